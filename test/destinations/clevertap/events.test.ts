import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { event, profile, ok, codes, T, TS, type Msg } from './helpers.js';
import { compileTransform, transformMessage } from '../../../src/destinations/clevertap/transform.js';
import type { TokenRecord } from '../../../src/destinations/clevertap/records.js';

describe('track → event', () => {
  test('custom event with properties kept as sent', () => {
    const r = ok({ type: 'track', userId: 'u1', timestamp: T, event: 'Checked Out', properties: { Clicked_Rush_delivery_Button: true, total_value: 2000, revenue: 2000 } });
    assert.deepEqual(r, {
      ok: true,
      records: [{ type: 'event', identity: 'u1', ts: TS, evtName: 'Checked Out', evtData: { Clicked_Rush_delivery_Button: true, total_value: 2000, revenue: 2000 } }],
      warnings: [],
    });
  });
  test('null properties are not sent; missing properties give empty evtData', () => {
    assert.deepEqual(event({ type: 'track', userId: 'u', event: 'x', properties: { a: null, b: 0, c: false, d: '' } }).rec.evtData, { b: 0, c: false, d: '' });
    assert.deepEqual(event({ type: 'track', userId: 'u', event: 'x' }).rec.evtData, {});
  });
  test('context is not copied into evtData', () => {
    assert.deepEqual(event({ type: 'track', userId: 'u', event: 'x', context: { ip: '1.2.3.4' } }).rec.evtData, {});
  });
  test('compileTransform and transformMessage agree', () => {
    const s = { accountId: 'a', passcode: 'p', compat: 'segment' as const };
    const msg = { type: 'track' as const, userId: 'u', anonymousId: 'a', event: 'x', properties: { someKey: 1 } };
    assert.deepEqual(compileTransform(s)(msg), transformMessage(msg, s));
  });
});

describe('ts derivation', () => {
  const rows: [label: string, m: Msg, ts: number | undefined, warn?: string][] = [
    ['properties.ts ISO', { type: 'track', event: 'x', timestamp: T, properties: { ts: '2020-01-01T00:00:00Z' } }, 1577836800],
    ['properties.ts ISO with offset', { type: 'track', event: 'x', timestamp: T, properties: { ts: '2020-01-01T02:00:00+02:00' } }, 1577836800],
    ['properties.ts epoch seconds', { type: 'track', event: 'x', timestamp: T, properties: { ts: 1600000000 } }, 1600000000],
    ['properties.ts epoch ms', { type: 'track', event: 'x', timestamp: T, properties: { ts: 1600000000123 } }, 1600000000],
    ['properties.ts numeric string', { type: 'track', event: 'x', timestamp: T, properties: { ts: '1600000000' } }, 1600000000],
    ['properties.ts invalid → timestamp', { type: 'track', event: 'x', timestamp: T, properties: { ts: 'soon' } }, TS, 'invalid_ts'],
    ['properties.ts 0 → timestamp', { type: 'track', event: 'x', timestamp: T, properties: { ts: 0 } }, TS, 'invalid_ts'],
    ['timestamp', { type: 'track', event: 'x', timestamp: T, originalTimestamp: '2020-01-01T00:00:00Z' }, TS],
    ['originalTimestamp when no timestamp', { type: 'track', event: 'x', originalTimestamp: '2020-01-01T00:00:00.000Z' }, 1577836800],
    ['originalTimestamp when timestamp is not a time', { type: 'track', event: 'x', timestamp: 'bogus', originalTimestamp: '2020-01-01T00:00:00Z' }, 1577836800],
    ['no time at all → no ts', { type: 'track', event: 'x' }, undefined],
    ['identify traits.ts', { type: 'identify', timestamp: T, traits: { ts: '2020-01-01T00:00:00Z' } }, 1577836800],
    ['identify timestamp', { type: 'identify', timestamp: T, traits: {} }, TS],
    ['page properties.ts', { type: 'page', timestamp: T, properties: { ts: 1600000000 } }, 1600000000],
    ['alias traits.ts', { type: 'alias', previousId: 'p', timestamp: T, traits: { ts: 1600000000 } }, 1600000000],
  ];
  for (const compat of [undefined, 'segment', 'rudderstack'] as const) {
    for (const [label, m, ts, warn] of rows) {
      test(`${compat ?? 'own'}: ${label} → ${ts}`, () => {
        const r = ok({ userId: 'u1', ...m }, { compat });
        const rec = r.records[0] as { ts?: number };
        assert.equal(rec.ts, ts);
        assert.equal('ts' in rec, ts !== undefined);
        assert.deepEqual(codes(r.warnings), warn ? [warn] : []);
      });
    }
  }
});

describe('device tokens', () => {
  const seg = { compat: 'segment' as const };
  function idMsg(context: Record<string, unknown>, extra: Record<string, unknown> = {}): Msg {
    return { type: 'identify', userId: 'u1', anonymousId: 'A', timestamp: T, traits: { plan: 'pro' }, context, ...extra };
  }
  const rows: [label: string, context: Record<string, unknown>, extra: Record<string, unknown>, settings: Record<string, unknown>, type: string][] = [
    ['android → fcm', { device: { token: 'tok' }, os: { name: 'Android' } }, {}, {}, 'fcm'],
    ['iOS → apns', { device: { token: 'tok' }, os: { name: 'iOS' } }, {}, {}, 'apns'],
    ['iPadOS → apns', { device: { token: 'tok' }, os: { name: 'iPadOS' } }, {}, {}, 'apns'],
    ['watchOS → apns', { device: { token: 'tok' }, os: { name: 'watchOS' } }, {}, {}, 'apns'],
    ['tvOS → apns', { device: { token: 'tok' }, os: { name: 'tvOS' } }, {}, {}, 'apns'],
    ['macOS → apns', { device: { token: 'tok' }, os: { name: 'macOS' } }, {}, {}, 'apns'],
    ['device.type android (no os) → fcm', { device: { token: 'tok', type: 'android' } }, {}, {}, 'fcm'],
    ['override integrations.CleverTap.deviceTokenType', { device: { token: 'tok' }, os: { name: 'Android' } }, { integrations: { CleverTap: { deviceTokenType: 'gcm' } } }, {}, 'gcm'],
    ['override, lower-case destination name', { device: { token: 'tok' }, os: { name: 'Android' } }, { integrations: { clevertap: { deviceTokenType: 'APNS' } } }, {}, 'apns'],
    ['override, upper-case destination name', { device: { token: 'tok' }, os: { name: 'iOS' } }, { integrations: { CLEVERTAP: { deviceTokenType: 'fcm' } } }, {}, 'fcm'],
    ['settings.deviceTokenType over the OS', { device: { token: 'tok' }, os: { name: 'iOS' } }, {}, { deviceTokenType: 'fcm' }, 'fcm'],
    ['message override over settings', { device: { token: 'tok' }, os: { name: 'iOS' } }, { integrations: { CleverTap: { deviceTokenType: 'wns' } } }, { deviceTokenType: 'fcm' }, 'wns'],
  ];
  for (const [label, context, extra, s, type] of rows) {
    test(label, () => {
      const r = ok(idMsg(context, extra), { ...seg, ...s });
      assert.equal(r.records.length, 2);
      assert.equal(r.records[0].type, 'profile');
      assert.deepEqual(r.records[1], { type: 'token', objectId: 'A', tokenData: { id: 'tok', type } });
      assert.deepEqual(r.warnings, []);
    });
  }
  test('an invalid override is reported and the OS decides', () => {
    const r = ok(idMsg({ device: { token: 'tok' }, os: { name: 'Android' } }, { integrations: { CleverTap: { deviceTokenType: 'pigeon' } } }), seg);
    assert.equal((r.records[1] as TokenRecord).tokenData.type, 'fcm');
    assert.deepEqual(codes(r.warnings), ['invalid_token_type']);
  });
  test('chrome tokens carry integrations.CleverTap.chromeKeys', () => {
    const keys = { p256dh: 'k1', auth: 'k2' };
    const r = ok(idMsg({ device: { token: 'tok' } }, { integrations: { CleverTap: { deviceTokenType: 'chrome', chromeKeys: keys } } }), seg);
    assert.deepEqual(r.records[1], { type: 'token', objectId: 'A', tokenData: { id: 'tok', type: 'chrome', keys } });
  });
  const skipped: [label: string, m: Msg, settings: Record<string, unknown>][] = [
    ['unknown OS', idMsg({ device: { token: 'tok' }, os: { name: 'Linux' } }), seg],
    ['chrome without keys', idMsg({ device: { token: 'tok' } }, { integrations: { CleverTap: { deviceTokenType: 'chrome' } } }), seg],
    ['no anonymousId', { ...idMsg({ device: { token: 'tok' }, os: { name: 'Android' } }), anonymousId: undefined }, seg],
    ['own mode without objectIdMapping', idMsg({ device: { token: 'tok' }, os: { name: 'Android' } }), {}],
    ['rudderstack mode without objectIdMapping', idMsg({ device: { token: 'tok' }, os: { name: 'Android' } }), { compat: 'rudderstack' }],
  ];
  for (const [label, m, s] of skipped) {
    test(`skipped with a warning: ${label}; the profile is still sent`, () => {
      const r = ok(m, s);
      assert.equal(r.records.length, 1);
      assert.equal(r.records[0].type, 'profile');
      assert.deepEqual(codes(r.warnings), ['token_skipped']);
    });
  }
  for (const compat of [undefined, 'rudderstack'] as const) {
    test(`${compat ?? 'own'} mode with objectIdMapping sends the token after its profile`, () => {
      const r = ok(idMsg({ device: { token: 'tok' }, os: { name: 'iOS' } }), { compat, objectIdMapping: true });
      assert.deepEqual(r.records.map((x) => x.type), ['profile', 'token']);
      assert.deepEqual(r.records[1], { type: 'token', objectId: 'A', tokenData: { id: 'tok', type: 'apns' } });
    });
  }
  test('no token without context.device.token, and none from track', () => {
    assert.equal(ok(idMsg({ os: { name: 'iOS' } }), seg).records.length, 1);
    assert.equal(ok({ type: 'track', userId: 'u', anonymousId: 'A', event: 'x', context: { device: { token: 'tok' }, os: { name: 'iOS' } } }, seg).records.length, 1);
  });
  test('a rejected profile takes its token with it', () => {
    assert.equal(transformMessage({ type: 'identify', context: { device: { token: 't' } } } as never, { accountId: 'a', passcode: 'p', compat: 'segment' }).ok, false);
  });
  test('profile rules still apply when a token follows', () => {
    const { rec } = profile(idMsg({ device: { token: 'tok' }, os: { name: 'iOS' } }, { traits: { gender: 'female' } }), seg);
    assert.equal(rec.profileData.Gender, 'F');
  });
});

describe('warnings and results are per message', () => {
  test('a compiled transform does not leak warnings between calls', () => {
    const t = compileTransform({ accountId: 'a', passcode: 'p' });
    const first = t({ type: 'track', userId: 'u', event: 'x!' });
    const second = t({ type: 'track', userId: 'u', event: 'x' });
    assert.ok(first.ok && second.ok);
    assert.equal(first.warnings.length, 1);
    assert.equal(second.warnings.length, 0);
  });
  test('the input message is never mutated', () => {
    const msg = { type: 'identify' as const, userId: 'u', traits: { gender: 'male', 'a.b': { c: 1 }, birthday: '1990-01-02' } };
    const snapshot = JSON.stringify(msg);
    const { rec } = profile(msg);
    assert.equal(JSON.stringify(msg), snapshot);
    assert.notEqual(rec.profileData, msg.traits);
  });
});

