// Which keys a profile may carry: never CleverTap's identity keys (except the mapping's link), at most 256 custom ones.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_CUSTOM_PROFILE_KEYS } from '../../../src/clevertap/limits.js';
import type { ProfileRecord } from '../../../src/destinations/clevertap/records.js';
import { event, profile, fail, ok, identify, track, T, ALL_MODES, DROP, warningsOf, type Mode, type Msg } from './helpers.js';

describe('identity keys in traits never reach profileData (reserved_key)', () => {
  const keys = ['identity', 'Identity', 'IDENTITY', 'objectId', 'objectid', 'OBJECTID', 'FBID', 'fbid', 'GPID', 'gpid', 'GpId'];
  for (const compat of ALL_MODES) {
    for (const k of keys) {
      test(`${compat ?? 'own'}: trait ${JSON.stringify(k)} is dropped with reserved_key`, () => {
        const r = profile(identify({ [k]: 'other-user', plan: 'pro' }), { compat });
        assert.deepEqual(r.rec.profileData, { plan: 'pro' });
        assert.deepEqual(warningsOf(r, 'reserved_key').map((w) => w.field), [k]);
      });
    }
  }

  // [label, mode, message, expected profileData.identity, reserved_key fields]
  const rows: [string, Mode, Msg, string | undefined, string[]][] = [
    ['own + objectIdMapping: the link is the userId, not the trait', undefined, { type: 'identify', userId: 'U', anonymousId: 'A', traits: { identity: 'X' } }, 'U', ['identity']],
    ['segment: no link, the trait is dropped', 'segment', { type: 'identify', userId: 'U', anonymousId: 'A', traits: { identity: 'X' } }, undefined, ['identity']],
    ['rudderstack: context.traits identity', 'rudderstack', { type: 'identify', userId: 'U', context: { traits: { Identity: 'X' } } }, undefined, ['Identity']],
    ['rudderstack: overrideFields identity', 'rudderstack', { type: 'identify', userId: 'U', traits: { overrideFields: { identity: 'X', tier: 'gold' } } }, undefined, ['overrideFields.identity']],
    ['rudderstack + objectIdMapping: link kept, trait dropped', 'rudderstack', { type: 'identify', userId: 'U', anonymousId: 'A', traits: { IDENTITY: 'X' } }, 'U', ['IDENTITY']],
    ['own: a key that cleans into "identity"', undefined, { type: 'identify', userId: 'U', traits: { 'iden.tity': 'X' } }, undefined, ['iden.tity']],
    ['own: a key that cleans into "FBID"', undefined, { type: 'identify', userId: 'U', traits: { ' FBID ': 'X' } }, undefined, [' FBID ']],
  ];
  for (const [label, compat, msg, link, fields] of rows) {
    test(label, () => {
      const r = profile({ timestamp: T, ...msg }, { compat, objectIdMapping: link !== undefined });
      assert.equal(r.rec.profileData.identity, link);
      for (const k of Object.keys(r.rec.profileData)) assert.ok(!['identity', 'objectid', 'fbid', 'gpid'].includes(k.toLowerCase()) || k === 'identity');
      assert.deepEqual(warningsOf(r, 'reserved_key').map((w) => w.field), fields);
    });
  }
  test('alias still links by profileData.identity', () => {
    const r = ok({ type: 'alias', previousId: 'old', userId: 'new', timestamp: T });
    assert.deepEqual((r.records[0] as ProfileRecord).profileData, { identity: 'new' });
  });
  test('event properties named identity are plain properties', () => {
    assert.equal(event(track('Clicked', { identity: 'x' })).rec.evtData.identity, 'x');
  });
});

describe('at most 256 custom profile keys', () => {
  function traits(n: number): Record<string, unknown> {
    const t: Record<string, unknown> = { email: 'a@example.com', name: 'Ann', gender: 'F', 'MSG-email': true };
    for (let i = 0; i < n; i++) t[`k${i}`] = i;
    return t;
  }
  const rows: [n: number, ok: boolean][] = [[MAX_CUSTOM_PROFILE_KEYS - 1, true], [MAX_CUSTOM_PROFILE_KEYS, true], [MAX_CUSTOM_PROFILE_KEYS + 1, false], [400, false]];
  for (const compat of ALL_MODES) {
    for (const [n, good] of rows) {
      test(`${compat ?? 'own'}: ${n} custom keys (+ standard fields) → ${good ? 'sent' : 'too_many_profile_keys'}`, () => {
        const msg = identify(traits(n));
        if (good) assert.equal(Object.keys(profile(msg, { compat }).rec.profileData).length, n + 4);
        else {
          const e = fail(msg, { compat }).error;
          assert.equal(e.code, 'too_many_profile_keys');
          assert.equal(fail(msg, { compat, ...DROP }).error.code, 'too_many_profile_keys');
        }
      });
    }
  }
});
