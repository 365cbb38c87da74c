// Defaults that deliver, each rule in every mode: unfixable standard values dropped (reject opt-in), a device token
// independent of its profile, dates, chrome keys, what is still rejected.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { TokenRecord } from '../../../src/destinations/clevertap/records.js';
import { ALL_MODES, codes, fail, identify, ok, profile, T, track, event, REJECT, type Msg } from './helpers.js';

const withToken = (traits: Record<string, unknown>): Msg => ({
  type: 'identify', userId: 'u1', anonymousId: 'A', timestamp: T, traits, context: { device: { token: 'tok' }, os: { name: 'Android' } },
});

describe('invalidValues defaults to drop: the rest of the profile is sent', () => {
  const rows: [trait: string, value: unknown, field: string, code: string][] = [
    ['email', 'not-an-email', 'Email', 'invalid_email'],
    ['gender', 'other', 'Gender', 'invalid_gender'],
    ['phone', '9876543210', 'Phone', 'invalid_phone'],
    ['birthday', '02/03/1985', 'DOB', 'invalid_date'],
    ['employed', 'maybe', 'Employed', 'invalid_employed'],
    ['married', 'maybe', 'Married', 'invalid_married'],
    ['education', 'phd', 'Education', 'invalid_education'],
    ['Age', 'aa', 'Age', 'invalid_age'],
    ['MSG-push', 'sometimes', 'MSG-push', 'invalid_flag'],
  ];
  for (const compat of ALL_MODES) {
    for (const [trait, value, field, code] of rows) {
      // segment mode maps six standard traits; the others (and Age, snake_cased to age) are custom properties there.
      const standard = compat !== 'segment' || ['email', 'gender', 'phone', 'birthday', 'MSG-push'].includes(trait);
      test(`${compat ?? 'own'}: ${trait} ${JSON.stringify(value)} → ${standard ? `${field} left out, ${code} names it` : 'a custom property'}`, () => {
        const { rec, warnings } = profile(identify({ [trait]: value, plan: 'pro' }), { compat });
        if (!standard) return assert.equal(Object.keys(rec.profileData).length, 2);
        assert.deepEqual(rec.profileData, { plan: 'pro' });
        const w = warnings.find((x) => x.code === code);
        assert.equal(w?.field, field);
        assert.ok(w?.message.includes(JSON.stringify(value)), w?.message);
      });
    }
  }
  test('reject stays an opt-in strict mode', () => {
    assert.equal(fail(identify({ gender: 'other' }), REJECT).error.clevertapCode, 514);
  });
});

describe('a device token never depends on its profile', () => {
  for (const compat of ALL_MODES) {
    const s = { compat, objectIdMapping: true } as const;
    test(`${compat ?? 'own'}: strict mode rejects the profile, the token is still sent (profile_rejected)`, () => {
      const r = ok(withToken({ gender: 'other' }), { ...s, ...REJECT });
      assert.deepEqual(r.records, [{ type: 'token', objectId: 'A', tokenData: { id: 'tok', type: 'fcm' } }]);
      assert.deepEqual(codes(r.warnings), ['profile_rejected']);
      assert.match(r.warnings[0].message, /Gender "other".*invalid_gender/);
    });
    test(`${compat ?? 'own'}: too many custom keys rejects the profile, the token is still sent`, () => {
      const traits = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`t${i}`, i]));
      const r = ok(withToken(traits), s);
      assert.deepEqual(r.records.map((x) => x.type), ['token']);
    });
    test(`${compat ?? 'own'}: without a token the rejection stands`, () => {
      assert.equal(fail(identify({ gender: 'other' }), { ...s, ...REJECT }).error.code, 'invalid_gender');
    });
  }
});

describe('chrome (web push) tokens need both p256dh and auth, in every mode', () => {
  const msg = (keys: unknown): Msg => ({ ...withToken({}), integrations: { CleverTap: { deviceTokenType: 'chrome', chromeKeys: keys } } });
  for (const compat of ALL_MODES) {
    const s = { compat, objectIdMapping: true } as const;
    test(`${compat ?? 'own'}: both keys → sent`, () => {
      const r = ok(msg({ p256dh: 'p', auth: 'a' }), s);
      assert.deepEqual((r.records[1] as TokenRecord).tokenData.keys, { p256dh: 'p', auth: 'a' });
    });
    for (const keys of [{ p256dh: 'p' }, { auth: 'a' }, { p256dh: '', auth: 'a' }]) {
      test(`${compat ?? 'own'}: ${JSON.stringify(keys)} → token left out (token_skipped), profile sent`, () => {
        const r = ok(msg(keys), s);
        assert.deepEqual(r.records.map((x) => x.type), ['profile']);
        assert.deepEqual(codes(r.warnings), ['token_skipped']);
      });
    }
  }
});

describe('DOB formats', () => {
  const rows: [value: unknown, dateOrder: 'mdy' | 'dmy' | undefined, expected: string | undefined][] = [
    ['Tue, 05 Mar 1985 00:00:00 +0000', undefined, '$D_478828800'],
    ['5 Mar 1985 05:30:00 +0530', undefined, '$D_478828800'],
    ['Tue Mar 05 1985 01:00:00 GMT+0100 (Central European Standard Time)', undefined, '$D_478828800'],
    [0, undefined, '$D_0'],
    ['0', undefined, '$D_0'],
    ['02/03/1985', 'mdy', '$D_476236800'],
    ['02/03/1985', 'dmy', '$D_478569600'],
    ['31/02/1985', 'dmy', undefined],
    ['02/03/1985', undefined, undefined],
  ];
  for (const compat of ALL_MODES) {
    for (const [value, dateOrder, expected] of rows) {
      test(`${compat ?? 'own'}: ${JSON.stringify(value)}${dateOrder ? ` (${dateOrder})` : ''} → ${expected ?? 'dropped'}`, () => {
        const { rec, warnings } = profile(identify({ birthday: value }), { compat, dateOrder });
        assert.equal(rec.profileData.DOB, expected);
        if (expected === undefined) assert.deepEqual(codes(warnings), ['invalid_date']);
      });
    }
  }
  test('a slash date without dateOrder names the setting', () => {
    const { warnings } = profile(identify({ birthday: '02/03/1985' }));
    assert.match(warnings[0].message, /dateOrder/);
  });
});

describe('Order Completed matching', () => {
  const rows: [name: string, own: boolean, rudderstack: boolean][] = [
    ['Order Completed', true, true],
    ['ORDER completed', true, true],
    [' Order Completed ', true, false],
    ['Order  Completed', false, false],
  ];
  for (const [name, own, rudder] of rows) {
    for (const compat of ALL_MODES) {
      const expected = compat === 'rudderstack' ? rudder : own;
      test(`${compat ?? 'own'}: ${JSON.stringify(name)} → ${expected ? 'Charged' : 'an event of its own'}`, () => {
        assert.equal(event(track(name, { checkout_id: 'c' }), { compat }).rec.evtName === 'Charged', expected);
      });
    }
  }
});

describe('only what cannot be sent at all is rejected', () => {
  for (const compat of ALL_MODES) {
    const rows: [label: string, msg: Msg, code: string][] = [
      ['no identity', { type: 'track', event: 'E', timestamp: T }, 'missing_identity'],
      ['an empty event name', track(' '), 'missing_event_name'],
      ['a system event', track('App Launched'), 'restricted_event'],
      ['group', { type: 'group', userId: 'u1', groupId: 'g' }, 'unsupported_type'],
    ];
    for (const [label, msg, code] of rows) {
      test(`${compat ?? 'own'}: ${label} → ${code}`, () => assert.equal(fail(msg, { compat, trackAnonymous: true }).error.code, code));
    }
    test(`${compat ?? 'own'}: an event named Charged is sent as Charged`, () => {
      assert.equal(event(track('Charged', { Amount: 3 }), { compat }).rec.evtName, 'Charged');
    });
  }
});
