// What the transform remembers across messages (memo.ts: cleaned keys, identity-key checks, trait keys per
// destination, cleaned event names and the system-event check) is bounded, and never changes an answer: the same
// records and warnings before the cache holds a key, while it does, and after it was emptied by a flood of keys.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { memoize } from '../../../src/destinations/clevertap/memo.js';
import { isReservedProfileKey, keyFacts } from '../../../src/destinations/clevertap/keys.js';
import { cleanEventName, cleanKey, eventNameFacts, isCleanKey, isRestrictedEventName } from '../../../src/destinations/clevertap/text.js';
import { compileTransform } from '../../../src/destinations/clevertap/transform.js';
import { KeyShapes } from '../../../src/destinations/clevertap/shapes.js';
import { identify, settings, track, TS } from './helpers.js';

/** More distinct strings than any cache holds: every cache is emptied at least once. */
function flood(fn: (s: string) => unknown, prefix: string): void {
  for (let i = 0; i < 25_000; i++) fn(`${prefix}${i}`);
}

const KEYS = ['plan', 'Email', ' Email', 'E.mail', 'identity', 'IDENTITY', ' objectId ', 'obj.ectId', 'FBID', 'gp:id', '', ' ', 'k'.repeat(130), 'é'.repeat(61), "it's", '__proto__', 'MSG-email'];

describe('memo', () => {
  test('holds at most max results, forgets all when full, never stores long strings, answers as the function does', () => {
    let calls = 0;
    const upper = memoize((s: string) => (calls++, s.toUpperCase()), 3, 5);
    for (const s of ['a', 'b', 'c']) assert.equal(upper(s), s.toUpperCase());
    assert.equal(upper.size(), 3);
    assert.equal(upper('a'), 'A');
    assert.equal(calls, 3, 'a remembered result is not computed again');
    assert.equal(upper('d'), 'D');
    assert.equal(upper.size(), 1, 'full: everything forgotten, then d stored');
    assert.equal(upper('a'), 'A');
    assert.equal(calls, 5, 'a forgotten: computed again');
    assert.equal(upper('longer'), 'LONGER');
    assert.equal(upper('longer'), 'LONGER');
    assert.equal(calls, 7, 'a string over maxLength is computed every time');
    assert.equal(upper.size(), 2);
  });

  test('key facts: the same as computing them, before and after the cache is flooded; bounded', () => {
    const direct = (k: string) => ({ isClean: isCleanKey(k), clean: cleanKey(k), reserved: isReservedProfileKey(cleanKey(k)) });
    for (const k of KEYS) assert.deepEqual(keyFacts(k), direct(k), k);
    flood(keyFacts, 'key ');
    assert.ok(keyFacts.size() <= 10_000, `${keyFacts.size()} keys held`);
    for (const k of KEYS) assert.deepEqual(keyFacts(k), direct(k), k);
  });

  test('event names: a cached name never answers for another; system events stay restricted after a flood', () => {
    const names = ['App Launched', 'App Launched ', 'app launched', 'App Launched2', 'App.Launched', 'Video Played', 'UTM Visited', 'Notification Clicked', 'Charged', 'Web Page Viewed: Home'];
    const direct = (n: string) => ({ name: cleanEventName(n), restricted: isRestrictedEventName(cleanEventName(n)) });
    for (const n of names) assert.deepEqual(eventNameFacts(n), direct(n), n);
    assert.equal(eventNameFacts('App Launched').restricted, true);
    assert.equal(eventNameFacts('App Launched2').restricted, false);
    flood(eventNameFacts, 'Event ');
    assert.ok(eventNameFacts.size() <= 10_000);
    for (const n of names) assert.deepEqual(eventNameFacts(n), direct(n), n);
  });
});

describe('transform results do not depend on what was seen before', () => {
  const traits = { plan: 'pro', ' Email': 'a@example.com', 'E.mail': 'b@example.com', identity: 'x', OBJECTID: 'y', 'msg-Email': 'yes', 'First Name': 'Ada', firstName: 'Ada', address: { city: 'Pune' }, 'a.b': 1, ab: 2 };
  const props = { 'a.b': 1, ab: 2, ' spaced ': 's', identity: 'kept on events', ['k'.repeat(130)]: 1, nested: [1, 2], $price: '$D_abc' };

  for (const compat of [undefined, 'segment', 'rudderstack'] as const) {
    test(`${compat ?? 'own'}: the same records and warnings before and after a flood of new keys and event names`, () => {
      const t = compileTransform(settings({ compat, trackAnonymous: true }));
      const before = [t(identify(traits) as never), t(track('Signed Up', props) as never), t(track('App Launched') as never)];
      // Another destination's mode must not answer for this one (trait keys are remembered per destination).
      const other = compileTransform(settings({ compat: compat === 'segment' ? undefined : 'segment' }));
      for (let i = 0; i < 25_000; i++) {
        const m = i % 2 ? identify({ [`Trait ${i}`]: i, [`tr.ait${i}`]: i }) : track(`Event ${i}`, { [`Prop ${i}`]: i });
        (i % 3 ? t : other)(m as never);
      }
      const after = [t(identify(traits) as never), t(track('Signed Up', props) as never), t(track('App Launched') as never)];
      assert.deepEqual(after, before);
      assert.equal(before[2].ok, false);
      assert.ok(!before[2].ok && before[2].error.code === 'restricted_event');
      assert.ok(before[0].ok && before[0].records[0].type === 'profile' && before[0].records[0].ts === TS);
    });
  }

  test('trait keys are remembered per destination: each mode writes its own key for the same trait', () => {
    const own = compileTransform(settings());
    const segment = compileTransform(settings({ compat: 'segment' }));
    const rudder = compileTransform(settings({ compat: 'rudderstack' }));
    for (let i = 0; i < 3; i++) {
      const o = own(identify({ 'First Name': 'Ada', firstName: 'Ada' }) as never);
      const s = segment(identify({ 'First Name': 'Ada', firstName: 'Ada' }) as never);
      const r = rudder(identify({ 'First Name': 'Ada', firstName: 'Ada' }) as never);
      assert.ok(o.ok && s.ok && r.ok);
      assert.deepEqual(Object.keys((o.records[0] as { profileData: object }).profileData), ['First Name', 'firstName', 'Name']);
      assert.deepEqual(Object.keys((s.records[0] as { profileData: object }).profileData), ['first_name', 'Name']);
      assert.deepEqual(Object.keys((r.records[0] as { profileData: object }).profileData), ['First Name']); // Name needs both parts here
    }
  });
});

describe('standard profile fields: fixes remembered per value answer as computing them', () => {
  const traits = { gender: ' Male ', birthday: '02/03/1985', employed: 'yes', married: 'nope', education: 'college', Age: '42', 'MSG-push': 'no', phone: '020 7946 0958' };

  test('per destination: the dateOrder and defaultCountryCode of one never answer for another', () => {
    const mdy = compileTransform(settings({ dateOrder: 'mdy', defaultCountryCode: '+44' }));
    const dmy = compileTransform(settings({ dateOrder: 'dmy', defaultCountryCode: '+1' }));
    const none = compileTransform(settings());
    for (let i = 0; i < 2; i++) {
      const [a, b, c] = [mdy, dmy, none].map((t) => t(identify(traits) as never));
      assert.ok(a.ok && b.ok && c.ok);
      const pd = (r: typeof a) => (r.ok ? (r.records[0] as { profileData: Record<string, unknown> }).profileData : {});
      assert.equal(pd(a).DOB, `$D_${Date.UTC(1985, 1, 3) / 1000}`);
      assert.equal(pd(b).DOB, `$D_${Date.UTC(1985, 2, 2) / 1000}`);
      assert.equal(pd(c).DOB, undefined);
      assert.equal(pd(a).Phone, '+442079460958');
      assert.equal(pd(c).Phone, undefined);
      assert.deepEqual([pd(a).Gender, pd(a).Employed, pd(a).Married, pd(a).Education, pd(a).Age, pd(a)['MSG-push']], ['M', 'Y', undefined, 'College', 42, false]);
    }
  });

  test('the same records and warnings before and after a flood of values', () => {
    const t = compileTransform(settings({ dateOrder: 'dmy' }));
    const before = t(identify(traits) as never);
    for (let i = 0; i < 25_000; i++) t(identify({ gender: `g${i}`, birthday: `${1 + (i % 28)}/0${1 + (i % 9)}/${1900 + (i % 100)}`, Age: String(i) }) as never);
    assert.deepEqual(t(identify(traits) as never), before);
    const reject = compileTransform(settings({ invalidValues: 'reject' }));
    const bad = reject(identify({ gender: 'unknown' }) as never);
    assert.ok(!bad.ok && bad.error.code === 'invalid_gender');
    assert.deepEqual(reject(identify({ gender: 'unknown' }) as never), bad, 'a remembered invalid value is rejected again');
  });
});

describe('key lists known clean (shapes.ts)', () => {
  test('only the exact remembered list matches; bounded; a list with the same first key replaces the old one', () => {
    const shapes = new KeyShapes(2);
    shapes.add({ a: 1, b: 2 });
    assert.equal(shapes.has({ a: 3, b: 4 }), true);
    assert.equal(shapes.has({ a: 1 }), false, 'a prefix');
    assert.equal(shapes.has({ a: 1, b: 2, c: 3 }), false, 'a longer list');
    assert.equal(shapes.has({ b: 1, a: 2 }), false, 'another order');
    assert.equal(shapes.has({}), false);
    shapes.add({ a: 1, c: 2 });
    assert.equal(shapes.has({ a: 1, b: 2 }), false);
    assert.equal(shapes.has({ a: 1, c: 2 }), true);
    shapes.add({ x: 1 });
    shapes.add({ y: 1 });
    assert.ok(shapes.size() <= 2);
  });

  test('a record whose keys start as a clean one did still has its keys cleaned', () => {
    const t = compileTransform(settings());
    const clean = t(track('Signed Up', { plan: 'pro', seats: 3 }) as never);
    const dirty = t(track('Signed Up', { plan: 'pro', 'se.ats': 3 }) as never);
    const longer = t(track('Signed Up', { plan: 'pro', seats: 3, ' x ': 1 }) as never);
    assert.ok(clean.ok && dirty.ok && longer.ok);
    assert.deepEqual((dirty.records[0] as { evtData: object }).evtData, { plan: 'pro', seats: 3 });
    assert.deepEqual((longer.records[0] as { evtData: object }).evtData, { plan: 'pro', seats: 3, x: 1 });
    const p = compileTransform(settings())(identify({ plan: 'pro', identity: 'someone else' }) as never);
    assert.ok(p.ok && !('identity' in (p.records[0] as { profileData: object }).profileData));
  });
});
