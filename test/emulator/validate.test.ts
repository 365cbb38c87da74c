// Per-record validation of the emulator's /1/upload: every code, through real HTTP.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { isValidEmail, isValidPhone, isValidTs, isDateValue, validateRecord } from '../../src/emulator/validate.js';

const ACC = { id: 'TEST-ACC-1', passcode: 'pass-1' };
const TS = 1_700_000_000;

async function upload(emu: RunningEmulator, d: unknown[], query = ''): Promise<{ status: number; json: any }> {
  const res = await fetch(`${emu.url}/1/upload${query}`, {
    method: 'POST',
    headers: { 'X-CleverTap-Account-Id': ACC.id, 'X-CleverTap-Passcode': ACC.passcode, 'Content-Type': 'application/json' },
    body: JSON.stringify({ d }),
  });
  return { status: res.status, json: await res.json() };
}

const ev = (extra: Record<string, unknown>) => ({ type: 'event', identity: 'u1', ts: TS, evtName: 'Product Viewed', evtData: { a: 1 }, ...extra });
const pr = (profileData: unknown, extra: Record<string, unknown> = {}) => ({ type: 'profile', identity: 'u1', ts: TS, profileData, ...extra });
const tk = (tokenData: unknown, extra: Record<string, unknown> = {}) => ({ type: 'token', objectId: '__g123', tokenData, ...extra });
const manyKeys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));

// [label, record, expected code (0 = accepted)]
const CASES: [string, unknown, number][] = [
  // 524 type
  ['unknown type', { type: 'foo', identity: 'u1' }, 524],
  ['no type', { identity: 'u1', evtName: 'x' }, 524],
  ['null record', null, 524],
  ['string record', 'event', 524],
  ['array record', [1], 524],
  // 523 identity
  ['no id at all', { type: 'event', evtName: 'x', evtData: {} }, 523],
  ['empty identity', ev({ identity: '' }), 523],
  ['blank identity', ev({ identity: '   ' }), 523],
  ['object identity', ev({ identity: { id: 1 } }), 523],
  ['profile with id only inside profileData', { type: 'profile', profileData: { identity: 'u9' } }, 523],
  // 526 objectId
  ['numeric objectId', ev({ objectId: 123 }), 526],
  ['empty objectId', ev({ identity: undefined, objectId: '' }), 526],
  ['null objectId next to identity', ev({ objectId: null }), 526],
  // 525 ts
  ['ts 0', ev({ ts: 0 }), 525],
  ['negative ts', ev({ ts: -5 }), 525],
  ['string ts', ev({ ts: '1700000000' }), 525],
  ['float ts', ev({ ts: 1700000000.5 }), 525],
  ['millisecond ts', ev({ ts: 1_700_000_000_000 }), 525],
  ['null ts', ev({ ts: null }), 525],
  ['profile ts 0', pr({ Name: 'x' }, { ts: 0 }), 525],
  // 509 evtName
  ['missing evtName', ev({ evtName: undefined }), 509],
  ['empty evtName', ev({ evtName: '' }), 509],
  ['numeric evtName', ev({ evtName: 5 }), 509],
  // 513 restricted
  ['App Launched', ev({ evtName: 'App Launched' }), 513],
  ['restricted is case-insensitive', ev({ evtName: 'app LAUNCHED' }), 513],
  ['Notification Clicked', ev({ evtName: 'Notification Clicked' }), 513],
  ['wzrk_d', ev({ evtName: 'wzrk_d' }), 513],
  ['UTM Visited', ev({ evtName: 'UTM Visited' }), 513],
  ['Geocluster Exited', ev({ evtName: 'Geocluster Exited' }), 513],
  ['SCOutgoing (Signed Call)', ev({ evtName: 'SCOutgoing' }), 513],
  ['App Installed is not on the documented list', ev({ evtName: 'App Installed' }), 0],
  // 528 discarded (configured)
  ['discarded event', ev({ evtName: 'spam event' }), 528],
  // 512 structure
  ['evtData string', ev({ evtData: 'x' }), 512],
  ['evtData array', ev({ evtData: [1] }), 512],
  ['evtData null', ev({ evtData: null }), 512],
  ['nested object value', ev({ evtData: { a: { b: 1 } } }), 512],
  ['array value', ev({ evtData: { tags: ['a'] } }), 512],
  ['Items outside Charged', ev({ evtData: { Items: [{ a: 1 }] } }), 512],
  ['Charged Items not an array', ev({ evtName: 'Charged', evtData: { Items: { a: 1 } } }), 512],
  ['Charged Items with nested object', ev({ evtName: 'Charged', evtData: { Items: [{ a: { b: 1 } }] } }), 512],
  ['Charged Items with scalar', ev({ evtName: 'Charged', evtData: { Items: ['x'] } }), 512],
  ['key of 121 chars', ev({ evtData: { ['k'.repeat(121)]: 1 } }), 512],
  ['value of 513 bytes', ev({ evtData: { a: 'x'.repeat(513) } }), 512],
  ['multibyte value over 512 bytes', ev({ evtData: { a: '€'.repeat(200) } }), 512],
  ['evtName with a dot', ev({ evtName: 'Viewed v1.2' }), 512],
  ['evtName with $', ev({ evtName: '$pageview' }), 512],
  ["evtName with '", ev({ evtName: "Joe's page" }), 512],
  ['evtName with "', ev({ evtName: 'Say "hi"' }), 512],
  ['evtName with \\', ev({ evtName: 'a\\b' }), 512],
  ['evtName with a colon (RudderStack page)', ev({ evtName: 'Web Page Viewed: Home' }), 0],
  ['evtName with a colon (RudderStack screen)', ev({ evtName: 'Screen Viewed: Home' }), 0],
  ['evtName over 512 chars', ev({ evtName: 'E'.repeat(513) }), 512],
  ['key with $', ev({ evtData: { $current_url: 'x' } }), 512],
  ['key with colon', ev({ evtData: { 'a:b': 1 } }), 512],
  ['empty key', ev({ evtData: { '': 1 } }), 512],
  ['bad $D_ value', ev({ evtData: { when: '$D_yesterday' } }), 512],
  // 522 properties
  ['257 properties', ev({ evtData: manyKeys(257) }), 522],
  // accepted events
  ['plain event', ev({}), 0],
  ['event without evtData', ev({ evtData: undefined }), 0],
  ['event without ts', ev({ ts: undefined }), 0],
  ['numeric identity', ev({ identity: 42 }), 0],
  ['objectId only', ev({ identity: undefined, objectId: '__g9f' }), 0],
  ['FBID only', ev({ identity: undefined, FBID: '1000' }), 0],
  ['GPID only', ev({ identity: undefined, GPID: '2000' }), 0],
  ['256 properties', ev({ evtData: manyKeys(256) }), 0],
  ['key of 120 chars', ev({ evtData: { ['k'.repeat(120)]: 1 } }), 0],
  ['value of 512 bytes', ev({ evtData: { a: 'x'.repeat(512) } }), 0],
  ['$D_ date value', ev({ evtData: { when: '$D_1700000000' } }), 0],
  ['null/boolean values', ev({ evtData: { a: null, b: false } }), 0],
  ['key with a dot', ev({ evtData: { 'a.b': 1 } }), 0],
  ['quotes in values', ev({ evtData: { a: `it's "ok"` } }), 0],
  ['Charged with flat Items', ev({ evtName: 'Charged', evtData: { Amount: 300, Items: [{ Category: 'books', Quantity: 1 }] } }), 0],
  ['unknown top-level key passes through', ev({ source: 'Segment' }), 0],
  // profiles
  ['profile without profileData', { type: 'profile', identity: 'u1' }, 524],
  ['profileData array', pr([1]), 524],
  ['Gender Male', pr({ Gender: 'Male' }), 514],
  ['Gender lower-case', pr({ Gender: 'm' }), 514],
  ['Gender O', pr({ Gender: 'O' }), 514],
  ['Email $$$$$', pr({ Email: '$$$$$' }), 515],
  ['Email 1234', pr({ Email: '1234' }), 515],
  ['Email without tld', pr({ Email: 'a@b' }), 515],
  ['Email with space', pr({ Email: 'a b@c.com' }), 515],
  ['Phone without +', pr({ Phone: '35922333232' }), 516],
  ['Phone numeric', pr({ Phone: 35922333232 }), 516],
  ['Phone too short', pr({ Phone: '+123456' }), 516],
  ['Phone too long', pr({ Phone: '+1234567890123456' }), 516],
  ['Phone with spaces', pr({ Phone: '+1 415 555 1234' }), 516],
  ['Phone +0… (no country code starts with 0)', pr({ Phone: '+04155551234' }), 516],
  ['Employed yes', pr({ Employed: 'yes' }), 517],
  ['Education PhD', pr({ Education: 'PhD' }), 518],
  ['Married true', pr({ Married: true }), 519],
  ['Age aa', pr({ Age: 'aa' }), 520],
  ['Age negative', pr({ Age: -1 }), 520],
  ['gender checked before email', pr({ Gender: 'X', Email: 'bad' }), 514],
  ['nested object in profileData', pr({ address: { city: 'x' } }), 512],
  ['array for a single-value key', pr({ Name: ['a', 'b'] }), 512],
  ['multi-value with numbers', pr({ tags: ['a', 1] }), 512],
  ['unknown operator', pr({ n: { $foo: 1 } }), 512],
  ['$incr without a number', pr({ n: { $incr: 'x' } }), 512],
  ['DOB plain date string', pr({ DOB: '1990-01-01' }), 512],
  ['profile key with $', pr({ $email: 'x' }), 512],
  ['profile value over 512 bytes', pr({ bio: 'x'.repeat(513) }), 512],
  ['257 custom profile keys', pr(manyKeys(257)), 512],
  ['valid standard profile', pr({ Name: 'John Rush', Email: 'example@gmail.com', Gender: 'M', Phone: '+35922333232', Employed: 'Y', Education: 'Graduate', Married: 'N', Age: 18, 'MSG-sms': false, 'Customer Type': 'Platinum' }), 0],
  ['Gender F, Age as digits', pr({ Gender: 'F', Age: '42' }), 0],
  ['DOB $D_ (before 1970)', pr({ DOB: '$D_-315619200' }), 0],
  ['multi-value custom key', pr({ tags: ['a', 'b'] }), 0],
  ['$add / $incr / $delete', pr({ tags: { $add: ['c'] }, visits: { $incr: 1 }, old: { $delete: 1 } }), 0],
  ['category-unsubscribe subscription groups', pr({ 'category-unsubscribe': { email: ['Newsletters', 'Promos'] } }), 0],
  ['category-resubscribe with several channels', pr({ 'category-resubscribe': { email: ['Newsletters'], whatsapp: [] } }), 0],
  ['category-unsubscribe not an object', pr({ 'category-unsubscribe': ['Newsletters'] }), 512],
  ['category-unsubscribe with a non-array channel', pr({ 'category-unsubscribe': { email: 'Newsletters' } }), 512],
  ['category-unsubscribe with a non-string group', pr({ 'category-unsubscribe': { email: [1] } }), 512],
  ['other custom key with a plain object', pr({ prefs: { email: ['x'] } }), 512],
  ['objectId root + profileData.identity', { type: 'profile', objectId: '__anon', profileData: { identity: 'u1' } }, 0],
  // tokens
  ['token without objectId', tk({ id: 't', type: 'fcm' }, { objectId: undefined, identity: 'u1' }), 530],
  ['token numeric objectId', tk({ id: 't', type: 'fcm' }, { objectId: 5 }), 530],
  ['token ts invalid', tk({ id: 't', type: 'fcm' }, { ts: 0 }), 525],
  ['token without tokenData', tk(undefined), 531],
  ['tokenData string', tk('abc'), 531],
  ['token without id', tk({ type: 'fcm' }), 532],
  ['token without type', tk({ id: 't' }), 533],
  ['token type sms', tk({ id: 't', type: 'sms' }), 534],
  ['token type upper-case', tk({ id: 't', type: 'FCM' }), 534],
  ['chrome token without keys', tk({ id: 't', type: 'chrome' }), 535],
  ['fcm token', tk({ id: 't1', type: 'fcm' }), 0],
  ['apns token', tk({ id: 't2', type: 'apns' }), 0],
  ['chrome token with keys', tk({ id: 't3', type: 'chrome', keys: { p256dh: 'p', auth: 'a' } }), 0],
];

describe('emulator per-record validation', () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await startEmulator({ accounts: [ACC], discardedEvents: ['Spam Event'], maxRecords: 1000, logger: false });
  });
  after(() => emu.close());

  test('every case gets its code, and the 1-based skipped record number', async () => {
    const { status, json } = await upload(emu, CASES.map((c) => c[1]));
    assert.equal(status, 200);
    assert.equal(json.status, 'partial');
    const byIndex = new Map<number, any>();
    for (const u of json.unprocessed) {
      const m = /Skipped record number : (\d+)$/.exec(u.error);
      assert.ok(m, `error text ends with the record number: ${u.error}`);
      byIndex.set(Number(m[1]), u);
    }
    const failures: string[] = [];
    CASES.forEach(([label, , code], i) => {
      const got = byIndex.get(i + 1)?.code ?? 0;
      if (got !== code) failures.push(`#${i + 1} ${label}: expected ${code}, got ${got} (${byIndex.get(i + 1)?.error ?? 'accepted'})`);
    });
    assert.deepEqual(failures, []);
    const expectedFailures = CASES.filter((c) => c[2] !== 0).length;
    assert.equal(json.unprocessed.length, expectedFailures);
    assert.equal(json.processed, CASES.length - expectedFailures);
    for (const u of json.unprocessed) assert.equal(u.status, 'fail');
  });

  test('one request per case agrees with the batch (no state leaks between records)', async () => {
    for (const [label, rec, code] of CASES) {
      const { json } = await upload(emu, [rec], '?dryRun=1');
      if (code === 0) assert.equal(json.status, 'success', label);
      else {
        assert.equal(json.status, 'fail', label);
        assert.equal(json.unprocessed[0].code, code, label);
        assert.match(json.unprocessed[0].error, /Skipped record number : 1$/, label);
      }
    }
  });

  test('recorded CleverTap error texts', async () => {
    const { json } = await upload(emu, [
      pr({ Name: 'ok' }),
      pr({ Email: '$$$$$' }),
      pr({ Phone: 'abc' }),
      pr({ Employed: 'x' }),
      pr({ Education: 'x' }),
      pr({ Married: 'x' }),
      pr({ Age: 'aa' }),
      ev({ ts: 0 }),
    ]);
    assert.deepEqual(
      json.unprocessed.map((u: any) => u.error),
      [
        'Profile data is incorrect. Email is not valid.Skipped record number : 2',
        'Profile data is incorrect. Phone number is not valid.Skipped record number : 3',
        'Profile data is incorrect. Employed needs to be Y/N.Skipped record number : 4',
        'Profile data is incorrect. Education needs to be School/College/Graduate..Skipped record number : 5',
        'Profile data is incorrect. Married needs to be Y/N.Skipped record number : 6',
        'Profile data is incorrect. Age is invalid.Skipped record number : 7',
        'Timestamp should be present in the Unix Epoch format. Skipped record number : 8',
      ],
    );
  });

  test('unprocessed echoes the record as sent', async () => {
    const rec = pr({ Email: 'nope' }, { identity: '4' });
    const { json } = await upload(emu, [rec]);
    assert.deepEqual(json, {
      status: 'fail',
      processed: 0,
      unprocessed: [{ status: 'fail', code: 515, error: 'Profile data is incorrect. Email is not valid.Skipped record number : 1', record: rec }],
    });
  });

  test('maxEventProperties is configurable', async () => {
    const small = await startEmulator({ accounts: [ACC], maxEventProperties: 3, logger: false });
    try {
      const { json } = await upload(small, [ev({ evtData: manyKeys(3) }), ev({ evtData: manyKeys(4) })]);
      assert.equal(json.status, 'partial');
      assert.equal(json.unprocessed[0].code, 522);
      assert.match(json.unprocessed[0].error, /Skipped record number : 2$/);
    } finally {
      await small.close();
    }
  });
});

describe('emulator validation helpers', () => {
  test('ts', () => {
    assert.ok(isValidTs(1));
    assert.ok(isValidTs(TS));
    assert.ok(!isValidTs(32503680001));
    assert.ok(!isValidTs(Number.NaN));
  });
  test('email', () => {
    for (const ok of ['a@b.co', 'first.last+tag@example.co.uk']) assert.ok(isValidEmail(ok), ok);
    for (const bad of ['', 'a@@b.com', '@b.com', 'a@b.c', 'a@.com', 'a@b..com', 'a.@b.com', 5]) assert.ok(!isValidEmail(bad), String(bad));
  });
  test('phone', () => {
    assert.ok(isValidPhone('+14155551234'));
    assert.ok(isValidPhone('+1234567'));
    assert.ok(!isValidPhone('+1-415-555-1234'));
    assert.ok(!isValidPhone('+0123456789'));
    assert.ok(!isValidPhone('+0'));
  });
  test('dates', () => {
    assert.ok(isDateValue('$D_1664890781'));
    assert.ok(!isDateValue('$D_'));
    assert.ok(!isDateValue('$D_-'));
    assert.ok(!isDateValue('$D_12a'));
  });
  test('validateRecord is pure (does not mutate)', () => {
    const rec = ev({ ts: undefined });
    const copy = structuredClone(rec);
    assert.equal(validateRecord(rec, { maxEventProperties: 256, discarded: new Set() }), null);
    assert.deepEqual(rec, copy);
  });
});
