import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { webhookToMessages, WEBHOOK_EVENT } from '../../../src/sources/clevertap-webhook/convert.js';

const RECEIVED = Date.parse('2025-03-01T12:00:00.000Z');
const ISO = new Date(RECEIVED).toISOString();
const run = (body: unknown) => webhookToMessages(body, { receivedAt: RECEIVED });

// The current doc sample (clevertap-api.md §4.1), camelCase / snake_case keys.
function camelProfile(n = 227) {
  return {
    key_values: { SomeKey1: 'SomeValue1' },
    email: `webhook${n}@gmail.com`,
    identity: `webhook${n}@gmail.com`,
    all_identities: [`webhook${n}@gmail.com`],
    objectId: `__Webhook${n}`,
    phone: '+917872483227',
    name: 'Nick',
    systemProfileData: {
      webPushSubscription: 'Unsubscribed', mobilePushSubscription: 'Unsubscribed', emailSubscription: 'Subscribed',
      smsSubscription: 'Subscribed', whatsappSubscription: 'Subscribed', timezone: 'Eastern Standard Time',
      country: 'Unknown', region: 'Unknown', city: 'Mumbai', latitude: 19.1667, longitude: 72.8485, age: '2 years 1 months',
    },
    profileData: { 'customer type': 'gold', 'customer id': 11384938, multi: ['foo', 'bar'], ts: 1586937505801 },
    event_properties: {
      'Product Id': 1, date: '$D_1664890781', ct_sdk_version: 30700, ct_latitude: 19.1667, ct_longitude: 72.8485,
      ct_os_version: '9.1.11111', ct_app_version: 6.55, 'CT Source': 'Mobile',
    },
    session_props: {},
    push_token: 'tok-1',
  };
}
// The same profile in the older PascalCase form.
function pascalProfile(n = 227) {
  const p = camelProfile(n);
  return {
    Key_values: p.key_values, Email: p.email, Identity: p.identity, All_identities: p.all_identities, ObjectId: p.objectId,
    Phone: p.phone, Name: p.name, SystemProfileData: p.systemProfileData, ProfileData: p.profileData,
    Event_properties: p.event_properties, Session_props: p.session_props, Push_token: p.push_token,
  };
}

const EXPECTED_TRAITS = {
  'customer type': 'gold', 'customer id': 11384938, multi: ['foo', 'bar'], ts: 1586937505801,
  email: 'webhook227@gmail.com', phone: '+917872483227', name: 'Nick', allIdentities: ['webhook227@gmail.com'],
  webPushSubscription: 'Unsubscribed', mobilePushSubscription: 'Unsubscribed', emailSubscription: 'Subscribed',
  smsSubscription: 'Subscribed', whatsappSubscription: 'Subscribed', timezone: 'Eastern Standard Time',
  address: { city: 'Mumbai' }, profileAge: '2 years 1 months',
};

describe('webhook: both casings, array and single object', () => {
  const shapes: [string, unknown][] = [
    ['camelCase, profiles array', { targetId: 1659684581, key_values: { Top: 'T' }, profiles: [camelProfile()] }],
    ['camelCase, single profile object', { targetId: 1659684581, key_values: { Top: 'T' }, profiles: camelProfile() }],
    ['PascalCase, profiles array', { TargetId: 1659684581, Key_values: { Top: 'T' }, Profiles: [pascalProfile()] }],
    ['PascalCase, single profile object', { TargetId: 1659684581, Key_values: { Top: 'T' }, Profiles: pascalProfile() }],
  ];
  const outputs: unknown[] = [];
  for (const [label, body] of shapes) {
    test(label, () => {
      const { messages, errors } = run(body);
      assert.deepEqual(errors, []);
      assert.equal(messages.length, 2);
      const [id, tr] = messages;
      assert.equal(id.type, 'identify');
      assert.equal(id.userId, 'webhook227@gmail.com');
      assert.equal(id.anonymousId, '__Webhook227');
      assert.equal(id.timestamp, ISO);
      assert.deepEqual(id.traits, EXPECTED_TRAITS);
      assert.deepEqual(id.context, {
        clevertap: { webhook: { targetId: 1659684581 } },
        location: { latitude: 19.1667, longitude: 72.8485 },
        device: { token: 'tok-1' },
        integration: { name: 'clevertap' },
      });
      assert.equal(tr.type, 'track');
      assert.equal(tr.event, WEBHOOK_EVENT);
      assert.equal(tr.event, 'Webhook Received');
      assert.equal(tr.userId, 'webhook227@gmail.com');
      assert.equal(tr.anonymousId, '__Webhook227');
      assert.deepEqual(tr.properties, { ...camelProfile().event_properties, Top: 'T', SomeKey1: 'SomeValue1', targetId: 1659684581 });
      assert.deepEqual(tr.context, { clevertap: { webhook: { targetId: 1659684581 }, system: false }, integration: { name: 'clevertap' } });
      assert.match(id.messageId!, /^wh-[0-9a-f]{40}-identify$/);
      assert.match(tr.messageId!, /^wh-[0-9a-f]{40}-track$/);
      outputs.push(messages.map(({ messageId: _m, ...rest }) => rest));
    });
  }
  test('all four shapes give the same messages', () => {
    assert.equal(outputs.length, 4);
    for (const o of outputs.slice(1)) assert.deepEqual(o, outputs[0]);
  });
});

describe('webhook details', () => {
  test('broadcast: one identify (+ track) per profile', () => {
    const { messages } = run({ targetId: 5, profiles: [camelProfile(1), camelProfile(2), camelProfile(3)] });
    assert.deepEqual(messages.map((m) => [m.type, m.userId]), [
      ['identify', 'webhook1@gmail.com'], ['track', 'webhook1@gmail.com'],
      ['identify', 'webhook2@gmail.com'], ['track', 'webhook2@gmail.com'],
      ['identify', 'webhook3@gmail.com'], ['track', 'webhook3@gmail.com'],
    ]);
    assert.equal(new Set(messages.map((m) => m.messageId)).size, 6);
  });
  test('no event_properties and no key_values → identify only', () => {
    const { messages } = run({ targetId: 5, profiles: { identity: 'u1', email: 'u1@x.test' } });
    assert.deepEqual(messages.map((m) => m.type), ['identify']);
    assert.deepEqual(messages[0].traits, { email: 'u1@x.test' });
    assert.equal(messages[0].anonymousId, undefined);
  });
  test('payload-level key_values alone make a track', () => {
    const { messages } = run({ targetId: 5, key_values: { coupon: 'X' }, profiles: [{ objectId: '__g1' }] });
    assert.deepEqual(messages.map((m) => m.type), ['identify', 'track']);
    assert.equal(messages[1].userId, undefined);
    assert.equal(messages[1].anonymousId, '__g1');
    assert.deepEqual(messages[1].properties, { coupon: 'X', targetId: 5 });
  });
  test('profile key_values beat payload key_values beat event_properties; targetId wins; session_props kept when non-empty', () => {
    const { messages } = run({
      targetId: 9,
      key_values: { a: 'top', b: 'top' },
      profiles: { identity: 'u', event_properties: { a: 'ev', b: 'ev', c: 'ev', targetId: 'ev' }, key_values: { a: 'profile' }, session_props: { s: 1 } },
    });
    assert.deepEqual(messages[1].properties, { a: 'profile', b: 'top', c: 'ev', targetId: 9, sessionProps: { s: 1 } });
  });
  test('identity falls back to all_identities; profileData CleverTap keys are mapped', () => {
    const { messages } = run({ profiles: { all_identities: ['id-1', 'id-2'], profileData: { 'MSG-email': false, DOB: '$D_638928000', Email: 'pd@x.test' }, email: 'top@x.test' } });
    assert.equal(messages[0].userId, 'id-1');
    assert.deepEqual(messages[0].traits, { emailOptIn: false, birthday: '1990-04-01T00:00:00.000Z', email: 'top@x.test', allIdentities: ['id-1', 'id-2'] });
  });
  test('the same payload (CleverTap retry) gives the same ids; a different payload different ids', () => {
    const body = { targetId: 1, profiles: [camelProfile()] };
    const a = run(body).messages.map((m) => m.messageId);
    const b = webhookToMessages(structuredClone(body), { receivedAt: RECEIVED + 2000 }).messages.map((m) => m.messageId);
    assert.deepEqual(a, b);
    const reordered = { profiles: [Object.fromEntries(Object.entries(camelProfile()).reverse())], targetId: 1 };
    assert.deepEqual(run(reordered).messages.map((m) => m.messageId), a, 'key order does not matter');
    const other = run({ targetId: 2, profiles: [camelProfile()] }).messages.map((m) => m.messageId);
    assert.notDeepEqual(other, a);
  });
  test('errors: bad bodies and unusable profiles', () => {
    assert.deepEqual(run([]).errors, ['body must be a JSON object']);
    assert.deepEqual(run({ targetId: 1 }).errors, ['payload has no profiles']);
    const r = run({ profiles: [{ email: 'only@x.test' }, 'x', { identity: 'ok' }] });
    assert.equal(r.messages.length, 1);
    assert.equal(r.errors.length, 2);
    assert.match(r.errors[0], /profiles\[0\]: needs identity/);
    assert.match(r.errors[1], /profiles\[1\]: not an object/);
  });
});

// --- hostile / odd input and dedupe window (review fixes) ---

const deepJson = (n: number) => JSON.parse('{"a":'.repeat(n) + '1' + '}'.repeat(n));

describe('webhook: hostile nesting', () => {
  for (const depth of [2500, 5000]) {
    for (const where of ['profileData', 'event_properties', 'systemProfileData'] as const) {
      test(`${depth} levels in one profile's ${where}: that profile is listed in errors, the others convert`, () => {
        const bad = { identity: 'bad', [where]: { deep: deepJson(depth) } };
        let r: ReturnType<typeof run> | undefined;
        assert.doesNotThrow(() => (r = run({ targetId: 1, profiles: [{ identity: 'ok-1' }, bad, { identity: 'ok-2' }] })));
        assert.deepEqual(r!.messages.map((m) => m.userId), ['ok-1', 'ok-2']);
        assert.deepEqual(r!.errors, ['profiles[1]: could not be converted (nested too deeply; skipped)']);
      });
    }
  }
  test('payload key_values nested absurdly: no messages, one error, no throw', () => {
    let r: ReturnType<typeof run> | undefined;
    assert.doesNotThrow(() => (r = run({ key_values: { deep: deepJson(5000) }, profiles: [{ identity: 'u' }] })));
    assert.deepEqual(r!.messages, []);
    assert.deepEqual(r!.errors, ['key_values could not be converted (nested too deeply)']);
  });
});

describe('webhook: prototype-named keys', () => {
  const parse = (json: string) => JSON.parse(json) as Record<string, unknown>;
  test('profileData {"__proto__":{"email":"evil"},"Email":"real@x.com"} keeps the real email', () => {
    const r = run({ profiles: [parse('{"identity":"u","profileData":{"__proto__":{"email":"evil","emailOptIn":"yes"},"Email":"real@x.com"}}')] });
    const t = r.messages[0].traits!;
    assert.deepEqual(JSON.parse(JSON.stringify(t)), { email: 'real@x.com' });
    assert.equal(Object.getPrototypeOf(t), Object.prototype);
    assert.equal((t as Record<string, unknown>).emailOptIn, undefined, 'no trait injected through the prototype');
    assert.deepEqual(r.errors, ['profiles[0]: profileData key "__proto__" ignored']);
  });
  test('systemProfileData keys constructor / toString / __proto__', () => {
    const r = run({ profiles: [parse('{"identity":"u","systemProfileData":{"constructor":"k","toString":"t","__proto__":{"city":"x"},"City":"Pune"}}')] });
    const t = r.messages[0].traits!;
    assert.deepEqual(JSON.parse(JSON.stringify(t)), { constructor: 'k', toString: 't', address: { city: 'Pune' } });
    assert.equal(Object.getPrototypeOf(t), Object.prototype);
    assert.deepEqual(r.errors, ['profiles[0]: systemProfileData key "__proto__" ignored']);
  });
  test('event_properties / key_values: __proto__ dropped, constructor kept', () => {
    const r = run(parse('{"key_values":{"__proto__":{"a":1},"top":1},"profiles":[{"identity":"u","event_properties":{"__proto__":{"b":1},"constructor":"k"},"key_values":{"__proto__":{"c":1},"hasOwnProperty":"h"}}]}'));
    const p = r.messages[1].properties!;
    assert.deepEqual(JSON.parse(JSON.stringify(p)), { constructor: 'k', top: 1, hasOwnProperty: 'h' });
    assert.equal(Object.getPrototypeOf(p), Object.prototype);
    assert.deepEqual(r.errors, [
      'key_values: key "__proto__" ignored',
      'profiles[0]: event_properties key "__proto__" ignored',
      'profiles[0]: key_values key "__proto__" ignored',
    ]);
  });
});

describe('webhook: dedupe window', () => {
  const T = Date.parse('2025-03-01T12:00:10.000Z');
  const idsAt = (at: number) => webhookToMessages({ targetId: 1, profiles: [camelProfile()] }, { receivedAt: at }).messages.map((m) => m.messageId);
  test("CleverTap's retry a few seconds later gets the same ids", () => {
    assert.deepEqual(idsAt(T + 5000), idsAt(T));
  });
  test('the same payload delivered again minutes later (recurring campaign) gets new ids', () => {
    const a = idsAt(T);
    const b = idsAt(T + 120_000);
    assert.equal(a.length, 2);
    assert.ok(a.every((id, i) => id !== b[i]));
  });
});

describe('webhook: per-request work', () => {
  test('payload key_values are serialised for the hash once per request, not once per profile', () => {
    let reads = 0;
    const leaf = {
      get v() {
        reads++;
        return 1;
      },
    };
    const n = 5;
    const r = run({ key_values: { leaf }, profiles: Array.from({ length: n }, (_, i) => ({ identity: `u${i}` })) });
    assert.equal(r.messages.length, 2 * n);
    // One read for the request's hash, plus one per track message when normalise deep-copies its properties.
    assert.equal(reads, 1 + n);
  });
  test('a missed field lookup scans the profile keys once per profile, not once per lookup', () => {
    let scans = 0;
    const p = new Proxy(pascalProfile(), {
      ownKeys(t) {
        scans++;
        return Reflect.ownKeys(t);
      },
    });
    const r = run({ targetId: 1, profiles: [p] });
    assert.equal(r.messages.length, 2);
    assert.equal(r.messages[0].userId, 'webhook227@gmail.com');
    // One for the casing-insensitive key map, one for the canonical JSON of the hash.
    assert.equal(scans, 2);
  });
});
