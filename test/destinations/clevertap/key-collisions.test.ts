// Keys that meet under one name (cleaning, snake_case, MSG-* casing, a custom key named like a standard field) keep one value.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { event, profile, fail, identify, track, T, ALL_MODES, warningsOf, type Mode, REJECT, type Msg } from './helpers.js';

describe('keys that clean to one name keep one value (key_collision)', () => {
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

describe('rudderstack: custom keys are copied after the mapped ones, so they replace a standard field of their name', () => {
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
    assert.deepEqual([fail(identify({ email: 'a@example.com', Email: '1234' }), { ...s, ...REJECT }).error.code], ['invalid_email']);
    assert.equal(profile(identify({ gender: 'F', Gender: 'male' }), s).rec.profileData.Gender, 'M');
  });
  test('own mode keeps the standard field (documented)', () => {
    assert.equal(profile(identify({ email: 'a@example.com', Email: 'b@example.com' })).rec.profileData.Email, 'a@example.com');
  });
});
