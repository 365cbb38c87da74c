import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { cleanKey, cleanEventName, truncateUtf8, utf8Bytes, isRestrictedEventName } from '../../../src/destinations/clevertap/text.js';
import { toCleverTapDate, normaliseGender, normaliseYesNo, normaliseEducation, normalisePhone, normaliseEmail } from '../../../src/destinations/clevertap/profile-fields.js';
import { RESTRICTED_EVENT_NAMES, MAX_KEY_BYTES, MAX_VALUE_BYTES, DEFAULT_MAX_EVENT_PROPERTIES } from '../../../src/clevertap/limits.js';
import { parseCleverTapSettings } from '../../../src/destinations/clevertap/settings.js';
import { transformMessage } from '../../../src/destinations/clevertap/transform.js';
import type { TransformError } from '../../../src/destinations/types.js';
import { event, profile, fail, identify, track, codes, settings, T, REJECT, type Msg } from './helpers.js';

const ALL_MODES = [undefined, 'segment', 'rudderstack'] as const;
const DROP = { invalidValues: 'drop' } as const;

describe('rule: keys ≤ 120 (bytes, hence characters)', () => {
  test('fixed: a 130-character key is cut to 120, with a warning', () => {
    const long = 'k'.repeat(130);
    const { rec, warnings } = event(track('Clicked', { [long]: 1 }));
    assert.deepEqual(rec.evtData, { ['k'.repeat(MAX_KEY_BYTES)]: 1 });
    assert.deepEqual(codes(warnings), ['key_cleaned']);
  });
  test('fixed: multi-byte keys are cut on a character boundary', () => {
    const k = cleanKey('é'.repeat(100)); // 200 bytes
    assert.equal(k, 'é'.repeat(60));
    assert.ok(utf8Bytes(k) <= MAX_KEY_BYTES);
  });
  test('rejected: a key with nothing valid left is dropped, with a warning', () => {
    const { rec, warnings } = event(track('Clicked', { '$$$': 1, ok: 2 }));
    assert.deepEqual(rec.evtData, { ok: 2 });
    assert.deepEqual(codes(warnings), ['key_dropped']);
  });
  test('profile keys follow the same rule', () => {
    const { rec } = profile(identify({ ['p'.repeat(121)]: 'x' }));
    assert.deepEqual(Object.keys(rec.profileData), ['p'.repeat(120)]);
  });
});

describe('rule: prohibited characters in keys and event names', () => {
  const keys: [string, string][] = [
    ['a.b', 'ab'],
    ['price:usd', 'priceusd'],
    ['$amount', 'amount'],
    ["it's", 'its'],
    ['say "hi"', 'say hi'],
    ['back\\slash', 'backslash'],
    ['Tom & Jerry', 'Tom Jerry'],
    ['100%', '100'],
    ['a>b<c', 'abc'],
    ['wow!', 'wow'],
    ['tab\there', 'tabhere'],
    ['  padded  ', 'padded'],
    ['MSG-email', 'MSG-email'],
    ['Customer Type', 'Customer Type'],
    ['Charged ID', 'Charged ID'],
    ['snake_case-and-dash', 'snake_case-and-dash'],
  ];
  for (const [k, expected] of keys) {
    test(`key ${JSON.stringify(k)} → ${JSON.stringify(expected)}`, () => assert.equal(cleanKey(k), expected));
  }
  test('fixed: a dirty key in an event is renamed, with a warning, order kept', () => {
    const { rec, warnings } = event(track('Clicked', { first: 1, 'a.b': 2, last: 3 }));
    assert.deepEqual(Object.entries(rec.evtData), [['first', 1], ['ab', 2], ['last', 3]]);
    assert.deepEqual(warnings.map((w) => [w.code, w.field]), [['key_cleaned', 'a.b']]);
  });

  const names: [string, string][] = [
    ['Signed Up!', 'Signed Up'],
    ['Order.Placed', 'OrderPlaced'],
    ["Tom's & <Home>=x", 'Toms Home=x'],
    ['  Spaced  ', 'Spaced'],
    ['Web Page Viewed: Cart.Page', 'Web Page Viewed: CartPage'],
    ['Screen Viewed: $Home', 'Screen Viewed: Home'],
    ['Web Page Viewed: !!!', 'Web Page Viewed'],
    ['Plain: colon', 'Plain colon'],
  ];
  for (const [n, expected] of names) {
    test(`event name ${JSON.stringify(n)} → ${JSON.stringify(expected)}`, () => assert.equal(cleanEventName(n), expected));
  }
  test('fixed: an event name is cleaned, with a warning', () => {
    const { rec, warnings } = event(track('Signed Up!'));
    assert.equal(rec.evtName, 'Signed Up');
    assert.deepEqual(codes(warnings), ['event_name_cleaned']);
  });
  test('rejected: an event name with nothing valid left → missing_event_name (509)', () => {
    assert.deepEqual(fail(track('$$$')).error, { code: 'missing_event_name', message: 'event name "$$$" has no valid characters', clevertapCode: 509 });
  });
  test('rejected: no event name at all → 509', () => {
    assert.equal(fail({ type: 'track', userId: 'u1' }).error.clevertapCode, 509);
  });
  test('fixed: an event name over 512 bytes is cut', () => {
    const { rec } = event(track('E'.repeat(600)));
    assert.equal(rec.evtName.length, 512);
  });
});

describe('rule: string values ≤ 512 bytes', () => {
  const cases: [label: string, value: string, expectedChars: number][] = [
    ['ASCII', 'a'.repeat(600), 512],
    ['2-byte', 'é'.repeat(300), 256],
    ['3-byte', '€'.repeat(200), 170],
    ['4-byte emoji', '😀'.repeat(200), 256], // 128 emoji × 4 bytes, 2 UTF-16 units each
  ];
  for (const [label, value, chars] of cases) {
    test(`fixed: ${label} value cut to ≤ 512 bytes without breaking a character`, () => {
      const { rec, warnings } = event(track('Clicked', { v: value }));
      const out = rec.evtData.v as string;
      assert.equal(out.length, chars);
      assert.ok(utf8Bytes(out) <= MAX_VALUE_BYTES);
      assert.ok(!out.includes('\ufffd'));
      assert.equal(Buffer.from(out, 'utf8').toString('utf8'), out);
      assert.deepEqual(codes(warnings), ['value_truncated']);
    });
  }
  test('a value of exactly 512 bytes is kept, without a warning', () => {
    const { rec, warnings } = event(track('Clicked', { v: 'a'.repeat(512) }));
    assert.equal((rec.evtData.v as string).length, 512);
    assert.deepEqual(warnings, []);
  });
  test('truncateUtf8 keeps a surrogate pair whole', () => {
    assert.equal(truncateUtf8('ab😀', 5), 'ab');
    assert.equal(truncateUtf8('ab😀', 6), 'ab😀');
  });
  test('profile values follow the same rule', () => {
    const { rec, warnings } = profile(identify({ bio: 'x'.repeat(1000) }));
    assert.equal((rec.profileData.bio as string).length, 512);
    assert.deepEqual(codes(warnings), ['value_truncated']);
  });
  test('rejected: a value that cannot be serialised is dropped, with a warning', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const { rec, warnings } = event(track('Clicked', { cyclic, ok: 1 }));
    assert.deepEqual(rec.evtData, { ok: 1 });
    assert.deepEqual(codes(warnings), ['value_dropped']);
  });
  test('rejected: a non-finite number is dropped', () => {
    const { rec, warnings } = event(track('Clicked', { n: Infinity }));
    assert.deepEqual(rec.evtData, {});
    assert.deepEqual(codes(warnings), ['value_dropped']);
  });
});

describe('rule: no arrays or nested objects except Charged Items', () => {
  for (const compat of ALL_MODES) {
    test(`fixed (${compat ?? 'own'}): nested object and array are stringified, with warnings`, () => {
      const { rec, warnings } = event(track('Clicked', { obj: { a: 1, b: [2] }, list: ['x', 'y'] }), { compat });
      assert.equal(rec.evtData.obj, '{"a":1,"b":[2]}');
      assert.equal(rec.evtData.list, '["x","y"]');
      assert.deepEqual(codes(warnings), ['value_stringified', 'value_stringified']);
    });
  }
  test('a stringified value over 512 bytes is also cut', () => {
    const { rec, warnings } = event(track('Clicked', { big: Array.from({ length: 200 }, (_, i) => `item-${i}`) }));
    assert.ok(utf8Bytes(rec.evtData.big as string) <= 512);
    assert.deepEqual(codes(warnings), ['value_stringified', 'value_truncated']);
  });
  test('Items is kept as an array of flat objects on Charged; nested item values are stringified', () => {
    const { rec, warnings } = event(track('Order Completed', { products: [{ sku: 'a', tags: ['x'], 'b.c': 1, nul: null }] }));
    assert.deepEqual(rec.evtData.Items, [{ sku: 'a', tags: '["x"]', bc: 1 }]);
    assert.deepEqual(codes(warnings), ['value_stringified', 'key_cleaned']);
  });
  test('rejected: non-object items are dropped, with a warning', () => {
    const { rec, warnings } = event(track('Order Completed', { products: [{ sku: 'a' }, 'junk', 3] }));
    assert.deepEqual(rec.evtData.Items, [{ sku: 'a' }]);
    assert.deepEqual(codes(warnings), ['item_dropped', 'item_dropped']);
  });
  test('Items on a non-Charged event is stringified', () => {
    const { rec } = event(track('Cart Viewed', { Items: [{ a: 1 }] }));
    assert.equal(rec.evtData.Items, '[{"a":1}]');
  });
  test('input products are never mutated', () => {
    const products = [{ sku: 'a', tags: ['x'] }];
    const snapshot = JSON.stringify(products);
    event(track('Order Completed', { products }));
    assert.equal(JSON.stringify(products), snapshot);
  });
  test('subscription objects (category-unsubscribe) stay objects on profiles; malformed ones are stringified', () => {
    const { rec } = profile(identify({ 'category-unsubscribe': { email: ['Newsletters'] }, 'category-resubscribe': { email: 'x' } }));
    assert.deepEqual(rec.profileData['category-unsubscribe'], { email: ['Newsletters'] });
    assert.equal(rec.profileData['category-resubscribe'], '{"email":"x"}');
  });
});

describe('rule: per-event property limit: the first N properties are sent, the rest named in a warning', () => {
  const props = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, i]));
  test(`the default is CleverTap's documented ${DEFAULT_MAX_EVENT_PROPERTIES}`, () => assert.equal(DEFAULT_MAX_EVENT_PROPERTIES, 100));
  test(`boundary: ${DEFAULT_MAX_EVENT_PROPERTIES} properties pass untouched`, () => {
    const r = event(track('Clicked', props(100)));
    assert.equal(Object.keys(r.rec.evtData).length, 100);
    assert.deepEqual(r.warnings, []);
  });
  for (const compat of [undefined, 'segment', 'rudderstack'] as const) {
    test(`${compat ?? 'own'}: 300 properties → the first 100 sent, too_many_properties lists the other 200`, () => {
      const r = event(track('Clicked', props(300)), { compat });
      assert.deepEqual(Object.keys(r.rec.evtData), Object.keys(props(100)));
      const w = r.warnings.filter((x) => x.code === 'too_many_properties');
      assert.equal(w.length, 1);
      assert.match(w[0].message, /"p100", "p101", .*"p299"$/);
      assert.doesNotMatch(w[0].message, /"p99"/);
    });
  }
  test('the limit is configurable (maxEventProperties)', () => {
    assert.deepEqual(event(track('Clicked', props(3)), { maxEventProperties: 3 }).warnings, []);
    const r = event(track('Clicked', props(4)), { maxEventProperties: 3 });
    assert.deepEqual(r.rec.evtData, { p0: 0, p1: 1, p2: 2 });
    assert.deepEqual(codes(r.warnings), ['too_many_properties']);
  });
  test('Charged: Charged ID, Amount and Items are kept first, then message order', () => {
    const r = event(track('Order Completed', { a: 1, b: 2, products: [{ sku: 's' }], checkout_id: 'c', revenue: 3 }), { maxEventProperties: 4 });
    assert.deepEqual(Object.keys(r.rec.evtData), ['Charged ID', 'Amount', 'Items', 'a']);
    assert.match(r.warnings.find((w) => w.code === 'too_many_properties')!.message, /left out "b"$/);
  });
  test('properties dropped by the rules do not count', () => {
    assert.deepEqual(event(track('Clicked', { ...props(3), gone: null }), { maxEventProperties: 3 }).warnings, []);
  });
});

describe('rule: DOB as $D_<epoch seconds>', () => {
  const dates: [unknown, string][] = [
    ['1988-09-28', '$D_591408000'],
    ['1988-09-28T00:00:00Z', '$D_591408000'],
    ['1988-09-28T02:00:00+02:00', '$D_591408000'],
    [591408000, '$D_591408000'],
    [591408000000, '$D_591408000'],
    ['591408000', '$D_591408000'],
    ['$D_591408000', '$D_591408000'],
    ['1960-01-01', '$D_-315619200'],
  ];
  for (const [input, expected] of dates) {
    test(`fixed: ${JSON.stringify(input)} → ${expected}`, () => {
      assert.equal(toCleverTapDate(input), expected);
      assert.equal(profile(identify({ birthday: input })).rec.profileData.DOB, expected);
    });
  }
  test('rejected: "birthday" is not a date → invalid_date (no CleverTap code)', () => {
    assert.deepEqual(fail(identify({ birthday: 'birthday' }), REJECT).error, {
      code: 'invalid_date',
      message: 'DOB "birthday" is invalid: CleverTap needs a date',
    });
  });
  test('invalidValues drop: "birthday" → DOB dropped, with a warning', () => {
    const { rec, warnings } = profile(identify({ birthday: 'birthday' }), DROP);
    assert.deepEqual(rec.profileData, {});
    assert.deepEqual(codes(warnings), ['invalid_date']);
  });
  test('other ISO-8601 values stay strings', () => {
    assert.equal(profile(identify({ createdAt: '2020-01-01T00:00:00Z' })).rec.profileData.createdAt, '2020-01-01T00:00:00Z');
    assert.equal(event(track('Clicked', { at: '2020-01-01' })).rec.evtData.at, '2020-01-01');
  });
});

describe('rule: Gender M/F', () => {
  const rows: [unknown, string | undefined][] = [
    ['M', 'M'], ['F', 'F'], ['m', 'M'], ['f', 'F'], ['male', 'M'], ['Female', 'F'], ['MALE', 'M'], [' female ', 'F'],
    ['other', undefined], ['x', undefined], [1, undefined],
  ];
  for (const [v, expected] of rows) test(`${JSON.stringify(v)} → ${expected}`, () => assert.equal(normaliseGender(v), expected));
  test('fixed: "male" → "M" with a warning', () => {
    const { rec, warnings } = profile(identify({ gender: 'male' }));
    assert.equal(rec.profileData.Gender, 'M');
    assert.deepEqual(codes(warnings), ['value_normalised']);
  });
  test('rejected: "nonbinary" → invalid_gender (514)', () => {
    assert.deepEqual(fail(identify({ gender: 'nonbinary', plan: 'pro' }), REJECT).error, {
      code: 'invalid_gender',
      message: 'Gender "nonbinary" is invalid: CleverTap needs M or F (male/female)',
      clevertapCode: 514,
    });
  });
  test('invalidValues drop: "nonbinary" is dropped with invalid_gender (not the whole profile)', () => {
    const { rec, warnings } = profile(identify({ gender: 'nonbinary', plan: 'pro' }), DROP);
    assert.deepEqual(rec.profileData, { plan: 'pro' });
    assert.deepEqual(codes(warnings), ['invalid_gender']);
  });
});

describe('rule: Employed / Married Y/N', () => {
  const rows: [unknown, string | undefined][] = [
    [true, 'Y'], [false, 'N'], ['yes', 'Y'], ['No', 'N'], ['y', 'Y'], ['N', 'N'], ['true', 'Y'], ['false', 'N'], [1, 'Y'], [0, 'N'],
    ['maybe', undefined], [2, undefined],
  ];
  for (const [v, expected] of rows) test(`${JSON.stringify(v)} → ${expected}`, () => assert.equal(normaliseYesNo(v), expected));
  for (const [trait, key, code, ct] of [['employed', 'Employed', 'invalid_employed', 517], ['married', 'Married', 'invalid_married', 519]] as const) {
    test(`fixed: ${trait} "yes" → ${key} "Y"`, () => assert.equal(profile(identify({ [trait]: 'yes' })).rec.profileData[key], 'Y'));
    test(`rejected: ${trait} "maybe" → ${code} (${ct})`, () => {
      const { error } = fail(identify({ [trait]: 'maybe' }), REJECT);
      assert.deepEqual([error.code, error.clevertapCode], [code, ct]);
    });
    test(`invalidValues drop: ${trait} "maybe" is dropped with ${code}`, () => {
      const { rec, warnings } = profile(identify({ [trait]: 'maybe' }), DROP);
      assert.equal(rec.profileData[key], undefined);
      assert.deepEqual(codes(warnings), [code]);
    });
  }
});

describe('rule: Education School/College/Graduate', () => {
  const rows: [unknown, string | undefined][] = [['school', 'School'], ['COLLEGE', 'College'], ['Graduate', 'Graduate'], ['phd', undefined]];
  for (const [v, expected] of rows) test(`${JSON.stringify(v)} → ${expected}`, () => assert.equal(normaliseEducation(v), expected));
  test('fixed: "school" → "School", with a warning', () => {
    const { rec, warnings } = profile(identify({ education: 'school' }));
    assert.equal(rec.profileData.Education, 'School');
    assert.deepEqual(codes(warnings), ['value_normalised']);
  });
  test('rejected: "phd" → invalid_education (518)', () => {
    assert.equal(fail(identify({ education: 'phd' }), REJECT).error.clevertapCode, 518);
  });
  test('invalidValues drop: "phd" is dropped with invalid_education', () => {
    assert.deepEqual(codes(profile(identify({ education: 'phd' }), DROP).warnings), ['invalid_education']);
  });
});

describe('rule: Phone in E.164', () => {
  const rows: [input: unknown, cc: string | undefined, expected: string | undefined][] = [
    ['+14155550100', undefined, '+14155550100'],
    ['+1 (415) 555-0100', undefined, '+14155550100'],
    ['+44 20.7946.0018', undefined, '+442079460018'],
    ['0044 20 7946 0018', undefined, '+442079460018'],
    ['5555555555', '+1', '+15555555555'],
    [5555555555, '+1', '+15555555555'],
    ['07700 900123', '+44', '+447700900123'],
    ['06 1234 5678', '+39', '+390612345678'],
    ['9876543210', '91', '+919876543210'],
    ['5555555555', undefined, undefined],
    ['12', '+1', undefined],
    ['phone', '+1', undefined],
    ['+0123456789', undefined, undefined],
    ['+1234567890123456', undefined, undefined],
  ];
  for (const [input, cc, expected] of rows) {
    test(`${JSON.stringify(input)} (default ${cc ?? 'none'}) → ${expected ?? 'invalid_phone (516)'}`, () => {
      assert.equal(normalisePhone(input, cc?.replace('+', '')), expected);
      const s = cc ? { defaultCountryCode: cc } : {};
      if (expected === undefined) {
        const { error } = fail(identify({ phone: input }), { ...s, ...REJECT });
        assert.deepEqual([error.code, error.clevertapCode], ['invalid_phone', 516]);
        const { rec, warnings } = profile(identify({ phone: input }), { ...s, ...DROP });
        assert.equal(rec.profileData.Phone, undefined);
        assert.deepEqual(codes(warnings), ['invalid_phone']);
      } else {
        const { rec, warnings } = profile(identify({ phone: input }), s);
        assert.equal(rec.profileData.Phone, expected);
        assert.deepEqual(codes(warnings), expected === input ? [] : ['value_normalised']);
      }
    });
  }
});

describe('rule: valid Email', () => {
  const rows: [string, string | undefined][] = [
    ['ann@example.com', 'ann@example.com'],
    ['  Ann.Lee+tag@Example.co.uk ', 'Ann.Lee+tag@Example.co.uk'],
    ['1234', undefined],
    ['$$$$$', undefined],
    ['a@b', undefined],
    ['a b@example.com', undefined],
    ['a@@example.com', undefined],
    ['@example.com', undefined],
    ['ann@example', undefined],
    ['ann@example.c', undefined],
    ['ann..lee@example.com', undefined],
  ];
  for (const [v, expected] of rows) test(`${JSON.stringify(v)} → ${expected}`, () => assert.equal(normaliseEmail(v), expected));
  test('fixed: surrounding spaces trimmed, with a warning', () => {
    const { rec, warnings } = profile(identify({ email: ' ann@example.com ' }));
    assert.equal(rec.profileData.Email, 'ann@example.com');
    assert.deepEqual(codes(warnings), ['value_normalised']);
  });
  test('rejected: "1234" → invalid_email (515, as CleverTap answers)', () => {
    assert.deepEqual(fail(identify({ email: '1234', plan: 'pro' }), REJECT).error, {
      code: 'invalid_email',
      message: 'Email "1234" is invalid: CleverTap needs a valid email address',
      clevertapCode: 515,
    });
  });
  test('invalidValues drop: "1234" is dropped with invalid_email', () => {
    const { rec, warnings } = profile(identify({ email: '1234', plan: 'pro' }), DROP);
    assert.deepEqual(rec.profileData, { plan: 'pro' });
    assert.deepEqual(codes(warnings), ['invalid_email']);
  });
});

describe('rule: Age and MSG-* flags', () => {
  test('fixed: Age "18" → 18', () => assert.equal(profile(identify({ Age: '18' })).rec.profileData.Age, 18));
  test('rejected: Age "aa" → invalid_age (520)', () => assert.equal(fail(identify({ Age: 'aa' }), REJECT).error.clevertapCode, 520));
  test('invalidValues drop: Age "aa" dropped with invalid_age', () => assert.deepEqual(codes(profile(identify({ Age: 'aa' }), DROP).warnings), ['invalid_age']));
  test('fixed: MSG-sms "false" → false', () => assert.equal(profile(identify({ 'MSG-sms': 'false' })).rec.profileData['MSG-sms'], false));
  test('rejected: MSG-push "sometimes" → invalid_flag (no CleverTap code)', () => {
    assert.deepEqual(fail(identify({ 'MSG-push': 'sometimes' }), REJECT).error, {
      code: 'invalid_flag',
      message: 'MSG-push "sometimes" is invalid: CleverTap needs true or false',
    });
  });
  test('invalidValues drop: MSG-push "sometimes" dropped with invalid_flag', () => {
    assert.deepEqual(codes(profile(identify({ 'MSG-push': 'sometimes' }), DROP).warnings), ['invalid_flag']);
  });
});

describe('rule: restricted system events (513)', () => {
  const restricted = ['App Launched', 'notification viewed', 'NOTIFICATION CLICKED', 'App Installed', 'App Uninstalled', 'UTM Visited', 'Notification Sent', 'Stayed', 'wzrk_d', 'Geocluster Entered', 'Push Impressions', 'Webhook Delivered', ' App Launched '];
  for (const compat of ALL_MODES) {
    for (const name of restricted) {
      test(`${compat ?? 'own'}: ${JSON.stringify(name)} → restricted_event 513`, () => {
        const { error } = fail(track(name), { compat });
        assert.equal(error.code, 'restricted_event');
        assert.equal(error.clevertapCode, 513);
      });
    }
  }
  test('a name that cleans to a restricted one is rejected too', () => {
    assert.equal(fail(track('App Launched!')).error.code, 'restricted_event');
  });
  test('names that only contain a restricted one are fine; Charged is not restricted', () => {
    for (const n of ['App Launched Twice', 'My App Launched', 'Charged']) assert.equal(isRestrictedEventName(n), false);
    event(track('App Launched Twice'));
  });
  test('every listed name is restricted case-insensitively', () => {
    for (const n of RESTRICTED_EVENT_NAMES) {
      assert.ok(isRestrictedEventName(n.toUpperCase()), n);
      assert.ok(isRestrictedEventName(n.toLowerCase()), n);
    }
  });
  test('rudderstack screen named "App Launched" keeps its template, so it is not restricted', () => {
    assert.equal(event({ type: 'screen', userId: 'u1', name: 'App Launched' }, { compat: 'rudderstack' }).rec.evtName, 'Screen Viewed: App Launched');
  });
});

describe('rule: identity (523) and ts (525)', () => {
  for (const compat of ALL_MODES) {
    test(`${compat ?? 'own'}: no userId and no anonymousId → missing_identity (523)`, () => {
      for (const msg of [{ type: 'track', event: 'Clicked' }, { type: 'identify', traits: { plan: 'pro' } }, { type: 'page', name: 'Home' }]) {
        const { error } = fail(msg, { compat, trackAnonymous: true });
        assert.deepEqual([error.code, error.clevertapCode], ['missing_identity', 523]);
      }
    });
  }
  test('rudderstack + objectIdMapping, event with neither id → 523 (RudderStack: "Unable to process…")', () => {
    assert.equal(fail({ type: 'track', event: 'x' }, { compat: 'rudderstack', objectIdMapping: true, trackAnonymous: true }).error.clevertapCode, 523);
  });
  test('fixed: an unparseable properties.ts falls back to the message time, with a warning', () => {
    const { rec, warnings } = event(track('Clicked', { ts: 'yesterday-ish' }));
    assert.equal(rec.ts, 1714566896);
    assert.deepEqual(codes(warnings), ['invalid_ts']);
  });
  test('ts is always a positive integer', () => {
    const { rec } = event(track('Clicked', { ts: 1714566896.9 }));
    assert.equal(rec.ts, 1714566896);
    assert.equal(event({ type: 'track', userId: 'u', event: 'x', timestamp: T }).rec.ts, 1714566896);
  });
});

describe('rule: Charged Amount is a number', () => {
  test('fixed: "15.00" → 15', () => {
    const { rec, warnings } = event(track('Order Completed', { revenue: '15.00' }));
    assert.equal(rec.evtData.Amount, 15);
    assert.deepEqual(codes(warnings), ['value_normalised']);
  });
  test('rejected: "lots" is dropped with invalid_amount', () => {
    const { rec, warnings } = event(track('Order Completed', { revenue: 'lots' }));
    assert.equal(rec.evtData.Amount, undefined);
    assert.deepEqual(codes(warnings), ['invalid_amount']);
  });
});

describe('every mode passes the rules', () => {
  const dirty = track('Signed Up!', { 'a.b': { deep: true }, long: 'x'.repeat(700), ok: 1 });
  for (const compat of ALL_MODES) {
    test(`${compat ?? 'own'}`, () => {
      const { rec } = event(dirty, { compat });
      assert.equal(rec.evtName, 'Signed Up');
      for (const [k, v] of Object.entries(rec.evtData)) {
        assert.equal(cleanKey(k), k);
        assert.ok(typeof v !== 'object' || v === null);
        if (typeof v === 'string') assert.ok(utf8Bytes(v) <= 512);
      }
    });
  }
});

describe('standard fields are checked after key cleaning', () => {
  test('" Email" and "Gen.der" are validated as Email and Gender', () => {
    assert.equal(fail(identify({ ' Email': '1234', 'Gen.der': 'female' }), REJECT).error.code, 'invalid_email');
    const { rec, warnings } = profile(identify({ ' Email': '1234', 'Gen.der': 'female' }), DROP);
    assert.deepEqual(rec.profileData, { Gender: 'F' });
    assert.deepEqual(codes(warnings).sort(), ['invalid_email', 'key_cleaned', 'key_cleaned', 'value_normalised']);
  });
});

describe('rule: a standard profile value that cannot be fixed rejects the message (invalidValues: reject, opt-in)', () => {
  // [trait as sent, value, CleverTap key, code, CleverTap's code]
  const rows: [string, unknown, string, string, number | undefined][] = [
    ['gender', 'other', 'Gender', 'invalid_gender', 514],
    ['gender', 1, 'Gender', 'invalid_gender', 514],
    ['email', '1234', 'Email', 'invalid_email', 515],
    ['email', '$$$$$', 'Email', 'invalid_email', 515],
    ['phone', '12', 'Phone', 'invalid_phone', 516],
    ['phone', 'phone', 'Phone', 'invalid_phone', 516],
    ['employed', 'maybe', 'Employed', 'invalid_employed', 517],
    ['education', 'phd', 'Education', 'invalid_education', 518],
    ['married', 2, 'Married', 'invalid_married', 519],
    ['Age', 'aa', 'Age', 'invalid_age', 520],
    ['Age', -1, 'Age', 'invalid_age', 520],
    ['birthday', 'birthday', 'DOB', 'invalid_date', undefined],
    ['birthday', true, 'DOB', 'invalid_date', undefined],
    ['MSG-email', 'sometimes', 'MSG-email', 'invalid_flag', undefined],
    ['MSG-whatsapp', 3, 'MSG-whatsapp', 'invalid_flag', undefined],
  ];
  for (const [trait, value, key, code, ct] of rows) {
    test(`${trait} ${JSON.stringify(value)} → ${code}${ct ? ` (${ct})` : ''}; with drop → ${key} dropped, with a warning`, () => {
      const msg = identify({ [trait]: value, plan: 'pro' });
      const r = transformMessage(msg as never, settings(REJECT));
      const expected: TransformError = { code, message: `${key} ${JSON.stringify(value)} is invalid: CleverTap needs ` };
      if (ct !== undefined) expected.clevertapCode = ct;
      assert.ok(!r.ok);
      assert.deepEqual(Object.keys(r), ['ok', 'error']);
      assert.deepEqual({ ...r.error, message: r.error.message.slice(0, expected.message.length) }, expected);
      const { rec, warnings } = profile(msg, DROP);
      assert.deepEqual(rec.profileData, { plan: 'pro' });
      assert.deepEqual(warnings.map((w) => [w.code, w.field]), [[code, key]]);
    });
  }
  test('"reject" spelled out is the default', () => {
    assert.equal(fail(identify({ gender: 'other' }), { invalidValues: 'reject' }).error.clevertapCode, 514);
  });
  test('several bad values: the first in CleverTap\'s code order wins', () => {
    assert.equal(fail(identify({ birthday: 'x', phone: '12', email: '1234', 'MSG-sms': 'x' }), REJECT).error.code, 'invalid_email');
  });
  test('the message names the field and at most 60 characters of the value', () => {
    const long = 'x'.repeat(5000) + '@';
    const { error } = fail(identify({ email: long }), REJECT);
    assert.equal(error.code, 'invalid_email');
    assert.match(error.message, /^Email "x+\.\.\. is invalid: CleverTap needs a valid email address$/);
    assert.ok((error.message.match(/x/g) ?? []).length <= 60);
    const emoji = fail(identify({ gender: '😀'.repeat(100) }), REJECT).error.message;
    assert.ok(!/[\ud800-\udbff](?![\udc00-\udfff])/.test(emoji), 'no lone surrogate');
  });
  test('values that can be fixed are fixed with warnings, not rejected', () => {
    const { rec, warnings } = profile(
      identify({ gender: 'male', employed: 'yes', married: true, education: 'college', birthday: '1990-01-02', phone: '415-555-0100', email: ' a@example.com ', Age: '18', 'MSG-sms': 'no' }),
      { defaultCountryCode: '+1' },
    );
    assert.deepEqual(rec.profileData, {
      Gender: 'M', Employed: 'Y', Married: 'Y', Education: 'College', DOB: '$D_631238400', Phone: '+14155550100', Email: 'a@example.com', Age: 18, 'MSG-sms': false,
    });
    assert.deepEqual(new Set(codes(warnings)), new Set(['value_normalised']));
    assert.equal(warnings.length, 9);
  });
  test('an empty or blank standard value is no value: dropped with a warning in both settings', () => {
    for (const extra of [{}, DROP]) {
      const { rec, warnings } = profile(identify({ Email: '', Phone: '  ', plan: 'pro' }), extra);
      assert.deepEqual(rec.profileData, { plan: 'pro' });
      assert.deepEqual(warnings.map((w) => [w.code, w.field]), [['value_dropped', 'Email'], ['value_dropped', 'Phone']]);
    }
  });
  test('a bad value on an event property is not a standard profile value: sent as is', () => {
    assert.equal(event(track('Clicked', { Gender: 'other', Email: '1234' })).rec.evtData.Gender, 'other');
  });
  test('invalidValues is validated', () => {
    assert.throws(() => parseCleverTapSettings(settings({ invalidValues: 'ignore' as never })), /invalidValues/);
    assert.equal(parseCleverTapSettings(settings(DROP)).invalidValues, 'drop');
  });

  // Every mode: RudderStack silently drops an unknown gender (a peer bug, not reproduced); Segment's mapping has
  // no say on values. Each mode's own route to the field: segment maps gender/email/phone, rudderstack
  // also reads context.traits and overrideFields.
  const modeRows: [string, Msg, string, number][] = [
    ['gender', identify({ gender: 'other' }), 'invalid_gender', 514],
    ['email', identify({ email: '1234' }), 'invalid_email', 515],
    ['phone', identify({ phone: '12' }), 'invalid_phone', 516],
  ];
  for (const compat of ALL_MODES) {
    for (const [label, msg, code, ct] of modeRows) {
      test(`${compat ?? 'own'}: ${label} → ${code} (${ct}); drop → dropped with a warning`, () => {
        const { error } = fail(msg, { compat, ...REJECT });
        assert.deepEqual([error.code, error.clevertapCode], [code, ct]);
        const { rec, warnings } = profile(msg, { compat, ...DROP });
        assert.deepEqual(rec.profileData, {});
        assert.deepEqual(codes(warnings), [code]);
      });
    }
  }
  test('rudderstack: a bad gender from context.traits or overrideFields is rejected too', () => {
    const s = { compat: 'rudderstack', ...REJECT } as const;
    assert.equal(fail({ type: 'identify', userId: 'u1', context: { traits: { gender: 'x' } } }, s).error.clevertapCode, 514);
    assert.equal(fail(identify({ overrideFields: { Phone: 'n/a' } }), s).error.clevertapCode, 516);
  });
});

test('every CleverTap system event of the source catalogue, in every spelling, is a restricted name', async () => {
  const { SYSTEM_EVENTS } = await import('../../../src/clevertap/catalogue.js');
  const { isRestrictedEventName } = await import('../../../src/destinations/clevertap/text.js');
  for (const e of SYSTEM_EVENTS) for (const n of [e.name, ...e.variants]) assert.ok(isRestrictedEventName(n), n);
  assert.ok(isRestrictedEventName('System Control Group (Journeys)'));
  assert.equal(isRestrictedEventName('Coupon Redeemed'), false);
});
