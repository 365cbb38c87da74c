// Reviewer-confirmed mapping/rules bugs (items 1–7), each as a table. Every table fails on the code before the fix.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { toCleverTapDate, normalisePhone, MAX_CUSTOM_PROFILE_KEYS } from '../../../src/destinations/clevertap/rules.js';
import { idOf } from '../../../src/destinations/clevertap/identity.js';
import { epochSeconds } from '../../../src/destinations/clevertap/timestamps.js';
import type { ProfileRecord, EventRecord } from '../../../src/destinations/clevertap/records.js';
import { event, profile, fail, ok, identify, track, codes, T, TS, type Msg } from './helpers.js';

const ALL_MODES = [undefined, 'segment', 'rudderstack'] as const;
type Mode = (typeof ALL_MODES)[number];
const DROP = { invalidValues: 'drop' } as const;

function warningsOf(r: { warnings: { code: string; field?: string }[] }, code: string): { code: string; field?: string; message?: string }[] {
  return r.warnings.filter((w) => w.code === code);
}

// ---------------------------------------------------------------------------------------------------------------
describe('1. identity keys in traits never reach profileData (reserved_key)', () => {
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

// ---------------------------------------------------------------------------------------------------------------
describe('2. keys that clean to one name keep one value (key_collision)', () => {
  const long = 'k'.repeat(120);
  // [label, mode, properties, expected evtData, dropped keys (warning fields)]
  const eventRows: [string, Mode, Record<string, unknown>, Record<string, unknown>, string[]][] = [
    ['the clean key wins, whatever its position', undefined, { 'a.b': 1, ab: 2, 'a:b': 3 }, { ab: 2 }, ['a.b', 'a:b']],
    ['no clean key: the first wins', undefined, { 'a.b': 1, 'a:b': 3 }, { ab: 1 }, ['a:b']],
    ['clean key first', undefined, { ab: 2, 'a.b': 1 }, { ab: 2 }, ['a.b']],
    ['two keys over 120 bytes sharing their first 120', undefined, { [long + 'A']: 1, [long + 'B']: 2 }, { [long]: 1 }, [long + 'B']],
    ['a 120-byte key beats a longer one cut to it', undefined, { [long + 'A']: 1, [long]: 2 }, { [long]: 2 }, [long + 'A']],
    ['rudderstack: same rule', 'rudderstack', { 'a.b': 1, ab: 2 }, { ab: 2 }, ['a.b']],
    ['segment: firstName / first_name / First Name', 'segment', { firstName: 'A', first_name: 'B', 'First Name': 'C' }, { first_name: 'B' }, ['firstName', 'First Name']],
    ['segment: no snake_case key sent: the first wins', 'segment', { userName: 'A', 'User Name': 'B' }, { user_name: 'A' }, ['User Name']],
  ];
  for (const [label, compat, props, expected, dropped] of eventRows) {
    test(`event, ${compat ?? 'own'}: ${label}`, () => {
      const r = event(track('Clicked', props), { compat });
      assert.deepEqual(r.rec.evtData, expected);
      const w = warningsOf(r, 'key_collision');
      assert.deepEqual(w.map((x) => x.field), dropped);
      const kept = Object.keys(props).find((k) => Object.values(expected).includes(props[k]));
      for (const x of w) {
        assert.ok(x.message?.includes(JSON.stringify(x.field)), 'names the dropped key');
        assert.ok(x.message?.includes(JSON.stringify(kept)), 'names the kept key');
      }
    });
  }

  // [label, mode, traits, expected profileData, dropped keys]
  const profileRows: [string, Mode, Record<string, unknown>, Record<string, unknown>, string[]][] = [
    ['own: dotted keys', undefined, { 'a.b': 1, ab: 2, 'a:b': 3 }, { ab: 2 }, ['a.b', 'a:b']],
    ['own: MSG-* spellings', undefined, { 'msg-email': true, 'MSG-email': false }, { 'MSG-email': false }, ['msg-email']],
    ['own: a standard field wins over a custom trait with its key', undefined, { Email: 'c@example.com', email: 's@example.com' }, { Email: 's@example.com' }, ['Email']],
    ['own: a key that cleans into a standard one', undefined, { 'E.mail': 'c@example.com', email: 's@example.com' }, { Email: 's@example.com' }, ['E.mail']],
    ['segment: firstName / first_name / First Name', 'segment', { firstName: 'A', first_name: 'B', 'First Name': 'C' }, { first_name: 'B', Name: 'A' }, ['firstName', 'First Name']],
    ['segment: Plan Name / planName', 'segment', { 'Plan Name': 'x', planName: 'y' }, { plan_name: 'x' }, ['planName']],
  ];
  for (const [label, compat, traits, expected, dropped] of profileRows) {
    test(`profile, ${label}`, () => {
      const r = profile(identify(traits), { compat });
      assert.deepEqual(r.rec.profileData, expected);
      assert.deepEqual(warningsOf(r, 'key_collision').map((w) => w.field), dropped);
    });
  }

  test('Charged: item keys follow the same rule', () => {
    const r = event(track('Order Completed', { products: [{ 'a.b': 1, ab: 2 }, { 'x.y': 1, 'x:y': 2 }] }));
    assert.deepEqual(r.rec.evtData.Items, [{ ab: 2 }, { xy: 1 }]);
    assert.deepEqual(warningsOf(r, 'key_collision').map((w) => w.field), ['Items[0].a.b', 'Items[1].x:y']);
  });
  test('Charged, segment: snake_case collisions inside items', () => {
    const r = event(track('Order Completed', { products: [{ productId: 'p', product_id: 'q' }] }), { compat: 'segment' });
    assert.deepEqual(r.rec.evtData.Items, [{ product_id: 'q' }]);
    assert.deepEqual(warningsOf(r, 'key_collision').map((w) => w.field), ['Items[0].productId']);
  });
  for (const compat of ALL_MODES) {
    test(`Charged, ${compat ?? 'own'}: the purchase fields win over properties of the same name, with a warning`, () => {
      const r = event(track('Order Completed', { checkout_id: 'c1', revenue: 10, Amount: 5, 'Charged ID': 'x' }), { compat });
      assert.equal(r.rec.evtData.Amount, 10);
      assert.equal(r.rec.evtData['Charged ID'], 'c1');
      // segment mode snake_cases the properties (amount, charged_id): nothing meets.
      assert.equal(warningsOf(r, 'key_collision').length, compat === 'segment' ? 0 : 2);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------
describe('3. DOB: only real dates become $D_', () => {
  const rows: [input: unknown, expected: string | undefined][] = [
    ['19900101', '$D_631152000'],
    [19900101, '$D_631152000'],
    ['20000229', '$D_951782400'],
    ['19900230', undefined],
    ['19901301', undefined],
    ['1990', undefined],
    [1990, undefined],
    ['199001', undefined],
    ['1990-02-30', undefined],
    ['1900-02-29', undefined],
    ['2000-02-29', '$D_951782400'],
    ['1990-01-01', '$D_631152000'],
    ['1990-01-01T10:00:00', '$D_631188000'],
    ['1990-01-01T10:00:00.5Z', '$D_631188000'],
    ['1990-01-01T12:00:00+02:00', '$D_631188000'],
    ['1990-01-01T25:00:00Z', undefined],
    ['May 5', undefined],
    ['5 May 1990', undefined],
    ['Tue, 01 Jan 1990 00:00:00 GMT', undefined],
    ['01011990', undefined],
    [1e20, undefined],
    ['1e20', undefined],
    [-1e20, undefined],
    [Number.NaN, undefined],
    [631152000, '$D_631152000'],
    [631152000000, '$D_631152000'],
    ['631152000', '$D_631152000'],
    [-315619200, '$D_-315619200'],
    ['$D_631152000', '$D_631152000'],
    ['$D_-315619200', '$D_-315619200'],
    ['$D_abc', undefined],
    ['$D_99999999999999', undefined],
    ['1799-12-31', undefined],
    ['1800-01-01', '$D_-5364662400'],
    ['2200-12-31', '$D_7289568000'],
    ['2201-01-01', undefined],
    [new Date(Date.UTC(1990, 0, 1)), '$D_631152000'],
    [new Date(Number.NaN), undefined],
  ];
  for (const [input, expected] of rows) {
    const label = input instanceof Date ? `Date(${input.getTime()})` : typeof input === 'number' ? String(input) : JSON.stringify(input);
    test(`${label} → ${expected ?? 'invalid_date'}`, () => {
      assert.equal(toCleverTapDate(input), expected);
      if (input instanceof Date || Number.isNaN(input)) return; // messages carry JSON values
      if (expected === undefined) {
        const e = fail(identify({ birthday: input, plan: 'pro' })).error;
        assert.equal(e.code, 'invalid_date');
        const r = profile(identify({ birthday: input, plan: 'pro' }), DROP);
        assert.deepEqual(r.rec.profileData, { plan: 'pro' });
        assert.deepEqual(codes(r.warnings), ['invalid_date']);
      } else {
        assert.equal(profile(identify({ birthday: input })).rec.profileData.DOB, expected);
      }
    });
  }
  test('a rejected "$D_…" DOB is named as sent', () => {
    assert.match(fail(identify({ birthday: '$D_abc' })).error.message, /^DOB "\$D_abc" is invalid/);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('4. phone: the default country code is not added twice', () => {
  const rows: [input: unknown, cc: string, expected: string | undefined][] = [
    ['1-555-123-4567', '+1', '+15551234567'],
    ['15551234567', '1', '+15551234567'],
    [15551234567, '+1', '+15551234567'],
    ['919876543210', '+91', '+919876543210'],
    ['91 98765 43210', '91', '+919876543210'],
    ['5551234567', '+1', '+15551234567'],
    ['9876543210', '+91', '+919876543210'],
    ['1555123456', '+1', '+11555123456'], // 10 digits: a national number, the code is prepended
    ['447700900123', '+44', '+447700900123'],
    ['07700 900123', '+44', '+447700900123'],
    ['06 1234 5678', '+39', '+390612345678'],
    ['390612345678', '+39', '+390612345678'],
  ];
  for (const [input, cc, expected] of rows) {
    test(`${JSON.stringify(input)} with ${cc} → ${expected}`, () => {
      assert.equal(normalisePhone(input, cc.replace('+', '')), expected);
      assert.equal(profile(identify({ phone: input }), { defaultCountryCode: cc }).rec.profileData.Phone, expected);
    });
  }
});

// ---------------------------------------------------------------------------------------------------------------
describe('5a. Charged Items is always validated', () => {
  // [label, Items, expected: Items array or rejection code]
  const rows: [string, unknown, Record<string, unknown>[] | 'invalid_products'][] = [
    ['short string', 'x', 'invalid_products'],
    ['long string', 'x'.repeat(300), 'invalid_products'],
    ['number', 5, 'invalid_products'],
    ['boolean', true, 'invalid_products'],
    ['one object → a one-item list', { sku: 'a' }, [{ sku: 'a' }]],
    ['list', [{ sku: 'a' }], [{ sku: 'a' }]],
  ];
  for (const compat of [undefined, 'rudderstack'] as const) {
    for (const [label, items, expected] of rows) {
      test(`${compat ?? 'own'}: Items ${label}`, () => {
        const msg = track('Order Completed', { revenue: 1, Items: items });
        if (expected === 'invalid_products') {
          const e = fail(msg, { compat }).error;
          assert.deepEqual([e.code, e.clevertapCode], ['invalid_products', 512]);
        } else assert.deepEqual(event(msg, { compat }).rec.evtData.Items, expected);
      });
    }
  }
  test('a plain event may carry a property named Items', () => {
    assert.equal(event(track('Clicked', { Items: 'x' })).rec.evtData.Items, 'x');
  });
});

describe('5b. at most 256 custom profile keys', () => {
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

describe('5c. ts is plausible epoch seconds (2001–2100)', () => {
  const rows: [label: string, ts: unknown, expected: number, warn: boolean][] = [
    ['microseconds', 1714557600123000, 1714557600, false],
    ['microseconds as a string', '1714557600123000', 1714557600, false],
    ['milliseconds', 1714557600123, 1714557600, false],
    ['seconds', 1714557600, 1714557600, false],
    ['nanoseconds → message time', 1714557600123000000, TS, true],
    ['1973 → message time', 100000000, TS, true],
    ['2128 → message time', 5000000000, TS, true],
    ['year 1999 ISO → message time', '1999-01-01T00:00:00Z', TS, true],
  ];
  for (const compat of ALL_MODES) {
    for (const [label, ts, expected, warn] of rows) {
      test(`${compat ?? 'own'}: properties.ts ${label}`, () => {
        const r = event(track('Clicked', { ts }), { compat });
        assert.equal(r.rec.ts, expected);
        assert.deepEqual(codes(r.warnings), warn ? ['invalid_ts'] : []);
      });
    }
  }
  test('epochSeconds reads microseconds', () => assert.equal(epochSeconds(1714557600123000), 1714557600));
  test('an implausible message time leaves no ts, with a warning', () => {
    const r = event({ type: 'track', userId: 'u', event: 'x', timestamp: '1970-01-02T00:00:00Z' });
    assert.equal('ts' in r.rec, false);
    assert.deepEqual(codes(r.warnings), ['invalid_ts']);
  });
});

describe('5d. a "$D_" value that is not a date loses its prefix', () => {
  const rows: [value: string, expected: string, warned: boolean][] = [
    ['$D_abc', 'abc', true],
    ['$D_', '', true],
    ['$D_12a', '12a', true],
    ['$D_ 123', ' 123', true],
    ['$D_$D_x', 'x', true],
    ['$D_1714557600', '$D_1714557600', false],
    ['$D_-315619200', '$D_-315619200', false],
    ['$price', '$price', false],
  ];
  for (const [value, expected, warned] of rows) {
    test(`${JSON.stringify(value)} → ${JSON.stringify(expected)}`, () => {
      const e = event(track('Clicked', { v: value }));
      assert.equal(e.rec.evtData.v, expected);
      assert.equal(codes(e.warnings).includes('value_normalised'), warned);
      assert.equal(profile(identify({ v: value })).rec.profileData.v, expected);
      const c = event(track('Order Completed', { products: [{ v: value }] }));
      assert.deepEqual(c.rec.evtData.Items, [{ v: expected }]);
    });
  }
  test('dirty keys too', () => {
    assert.deepEqual(event(track('Clicked', { 'a.b': '$D_x' })).rec.evtData, { ab: 'x' });
  });
});

describe('5e. Items are flat objects within the key rules', () => {
  test('nested values are stringified, keys cleaned, with warnings', () => {
    const r = event(track('Order Completed', { products: [{ 'sku:id': 'a', tags: ['x'], dims: { w: 1 }, n: null }] }));
    assert.deepEqual(r.rec.evtData.Items, [{ skuid: 'a', tags: '["x"]', dims: '{"w":1}' }]);
    assert.deepEqual(codes(r.warnings).sort(), ['key_cleaned', 'value_stringified', 'value_stringified']);
  });
  test('an item over the property limit is rejected (522)', () => {
    const item: Record<string, number> = {};
    for (let i = 0; i < 11; i++) item[`p${i}`] = i;
    const e = fail(track('Order Completed', { products: [item] }), { maxEventProperties: 10 }).error;
    assert.deepEqual([e.code, e.clevertapCode], ['too_many_properties', 522]);
    const rec = event(track('Order Completed', { products: [item] }), { maxEventProperties: 11 }).rec as EventRecord;
    assert.equal(Object.keys((rec.evtData.Items as Record<string, unknown>[])[0]).length, 11);
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('6. rudderstack: custom keys are copied after the mapped ones (§4.1 step 3)', () => {
  const s = { compat: 'rudderstack' } as const;
  // [label, message, expected profileData, key_collision fields]
  const rows: [string, Msg, Record<string, unknown>, string[]][] = [
    ['custom "Email" replaces the mapped email', identify({ email: 'a@example.com', Email: 'b@example.com' }), { Email: 'b@example.com' }, ['email']],
    ['custom "Name" replaces the mapped name', identify({ name: 'Ann', Name: 'Custom' }), { Name: 'Custom' }, ['name']],
    ['custom "Name" replaces first + last', identify({ firstName: 'Ann', lastName: 'Lee', Name: 'Custom' }), { Name: 'Custom' }, ['firstName + lastName']],
    ['custom "Customer Type" replaces customerType', identify({ customerType: 'Gold', 'Customer Type': 'Silver' }), { 'Customer Type': 'Silver' }, ['customerType']],
    [
      'context.traits custom "Email" replaces the mapped traits.email',
      { type: 'identify', userId: 'u1', timestamp: T, traits: { email: 'a@example.com' }, context: { traits: { Email: 'c@example.com' } } },
      { Email: 'c@example.com' },
      ['email'],
    ],
    [
      'custom "Email" in traits and context.traits: context.traits wins, silently',
      { type: 'identify', userId: 'u1', timestamp: T, traits: { Email: 'b@example.com' }, context: { traits: { Email: 'c@example.com' } } },
      { Email: 'c@example.com' },
      [],
    ],
  ];
  for (const [label, msg, expected, dropped] of rows) {
    test(label, () => {
      const r = profile(msg, s);
      assert.deepEqual(r.rec.profileData, expected);
      assert.deepEqual(warningsOf(r, 'key_collision').map((w) => w.field), dropped);
    });
  }
  test('the custom value still passes the rules', () => {
    assert.deepEqual([fail(identify({ email: 'a@example.com', Email: '1234' }), s).error.code], ['invalid_email']);
    assert.equal(profile(identify({ gender: 'F', Gender: 'male' }), s).rec.profileData.Gender, 'M');
  });
  test('own mode keeps the standard field (documented)', () => {
    assert.equal(profile(identify({ email: 'a@example.com', Email: 'b@example.com' })).rec.profileData.Email, 'a@example.com');
  });
});

// ---------------------------------------------------------------------------------------------------------------
describe('7. a blank userId / anonymousId is no id', () => {
  const blanks = ['', ' ', '   ', '\t', '\n ', '\u00a0', '\u3000'];
  for (const b of blanks) test(`idOf(${JSON.stringify(b)}) is undefined`, () => assert.equal(idOf(b), undefined));
  test('idOf keeps real ids as sent', () => {
    assert.equal(idOf(' u1 '), ' u1 ');
    assert.equal(idOf('u'), 'u');
    assert.equal(idOf(7), '7');
  });

  // [label, mode, objectIdMapping, ids, expected ids of the event or 523/'filtered']
  type Ids = { identity?: string; objectId?: string };
  const rows: [string, Mode, boolean, Record<string, unknown>, Ids | 523 | 'filtered'][] = [
    ['own: blank userId → by anonymousId', undefined, false, { userId: '  ', anonymousId: 'A' }, { identity: 'A' }],
    ['own: blank userId, no anonymousId → 523', undefined, false, { userId: ' ' }, 523],
    ['own: both blank → 523', undefined, false, { userId: ' ', anonymousId: '\t' }, 523],
    ['own + objectIdMapping: blank anonymousId → by userId', undefined, true, { userId: 'U', anonymousId: ' ' }, { identity: 'U' }],
    ['own + objectIdMapping: blank userId → objectId', undefined, true, { userId: ' ', anonymousId: 'A' }, { objectId: 'A' }],
    ['segment: blank anonymousId → no objectId', 'segment', false, { userId: 'U', anonymousId: '  ' }, { identity: 'U' }],
    ['segment: blank userId → objectId only', 'segment', false, { userId: '  ', anonymousId: 'A' }, { objectId: 'A' }],
    ['rudderstack: blank userId falls through to traits.userId', 'rudderstack', false, { userId: ' ', traits: { userId: 'T1' } }, { identity: 'T1' }],
    ['rudderstack: blank userId is anonymous (trackAnonymous off)', 'rudderstack', false, { userId: ' ', anonymousId: 'A' }, 'filtered'],
  ];
  for (const [label, compat, objectIdMapping, ids, expected] of rows) {
    test(label, () => {
      const msg: Msg = { type: 'track', event: 'x', timestamp: T, ...ids };
      const s = { compat, objectIdMapping };
      if (expected === 523) assert.equal(fail(msg, s).error.clevertapCode, 523);
      else if (expected === 'filtered') assert.equal(fail(msg, s).filtered, true);
      else {
        const { rec } = event(msg, s);
        assert.deepEqual({ ...(rec.identity !== undefined ? { identity: rec.identity } : {}), ...(rec.objectId !== undefined ? { objectId: rec.objectId } : {}) }, expected);
      }
    });
  }
  test('identify: a blank userId is neither identity nor link', () => {
    const r = profile({ type: 'identify', userId: ' ', anonymousId: 'A', timestamp: T, traits: {} }, { objectIdMapping: true });
    assert.deepEqual([r.rec.identity, r.rec.objectId, r.rec.profileData.identity], [undefined, 'A', undefined]);
    assert.equal(fail({ type: 'identify', userId: '  ', timestamp: T }).error.clevertapCode, 523);
  });
  test('alias: a blank previousId or userId is no id', () => {
    assert.equal(fail({ type: 'alias', previousId: ' ', userId: 'U', timestamp: T }).error.clevertapCode, 523);
    const r = ok({ type: 'alias', previousId: 'P', userId: ' ', timestamp: T });
    assert.deepEqual((r.records[0] as ProfileRecord).profileData, {});
  });
});
