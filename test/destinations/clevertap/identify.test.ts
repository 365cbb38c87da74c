import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { profile, identify, codes, ok, fail, T, TS, REJECT } from './helpers.js';

describe('identify → profile: standard fields (own mode)', () => {
  const rows: [trait: string, value: unknown, key: string, expected: unknown][] = [
    ['name', 'Ann Lee', 'Name', 'Ann Lee'],
    ['email', 'ann@example.com', 'Email', 'ann@example.com'],
    ['phone', '+14155550100', 'Phone', '+14155550100'],
    ['gender', 'F', 'Gender', 'F'],
    ['gender', 'male', 'Gender', 'M'],
    ['birthday', '1990-01-02', 'DOB', '$D_631238400'],
    ['avatar', 'https://cdn.example.com/a.png', 'Photo', 'https://cdn.example.com/a.png'],
    ['employed', true, 'Employed', 'Y'],
    ['employed', 'N', 'Employed', 'N'],
    ['education', 'Graduate', 'Education', 'Graduate'],
    ['married', false, 'Married', 'N'],
    ['married', 'Y', 'Married', 'Y'],
    ['customerType', 'Platinum', 'Customer Type', 'Platinum'],
  ];
  for (const [trait, value, key, expected] of rows) {
    test(`${trait}: ${JSON.stringify(value)} → ${key}: ${JSON.stringify(expected)}`, () => {
      const { rec } = profile(identify({ [trait]: value }));
      assert.deepEqual(rec.profileData, { [key]: expected });
      assert.equal(rec.identity, 'u1');
      assert.equal(rec.ts, TS);
    });
  }

  const names: [traits: Record<string, unknown>, name: string | undefined][] = [
    [{ firstName: 'Ann', lastName: 'Lee' }, 'Ann Lee'],
    [{ first_name: 'Ann', last_name: 'Lee' }, 'Ann Lee'],
    [{ firstname: 'Ann', lastname: 'Lee' }, 'Ann Lee'],
    [{ firstName: 'Ann' }, 'Ann'],
    [{ lastName: 'Lee' }, 'Lee'],
    [{ name: 'Full Name', firstName: 'Ann', lastName: 'Lee' }, 'Full Name'],
    [{ plan: 'pro' }, undefined],
  ];
  for (const [traits, name] of names) {
    test(`Name from ${JSON.stringify(traits)} → ${name}`, () => {
      const { rec } = profile(identify(traits));
      assert.equal(rec.profileData.Name, name);
    });
  }

  test('firstName/lastName stay custom traits beside Name', () => {
    const { rec } = profile(identify({ firstName: 'Ann', lastName: 'Lee' }));
    assert.deepEqual(rec.profileData, { firstName: 'Ann', lastName: 'Lee', Name: 'Ann Lee' });
  });

  const flags: [string, unknown][] = [
    ['MSG-email', false],
    ['MSG-push', true],
    ['MSG-sms', false],
    ['MSG-whatsapp', true],
  ];
  for (const [k, v] of flags) {
    test(`${k} passes through`, () => {
      const { rec, warnings } = profile(identify({ [k]: v }));
      assert.deepEqual(rec.profileData, { [k]: v });
      assert.deepEqual(warnings, []);
    });
  }
  test('MSG-* in any casing is sent under CleverTap\'s key', () => {
    const { rec } = profile(identify({ 'msg-Email': false, 'MSG-PUSH': true }));
    assert.deepEqual(rec.profileData, { 'MSG-email': false, 'MSG-push': true });
  });

  const customs: [string, unknown][] = [
    ['plan', 'pro'],
    ['logins', 42],
    ['Flagged', false],
    ['Residence', 'Shibuya'],
    ['company name', 'Example'],
    ['score', 1.5],
  ];
  for (const [k, v] of customs) {
    test(`custom trait ${k} keeps its key and value`, () => {
      assert.deepEqual(profile(identify({ [k]: v })).rec.profileData, { [k]: v });
    });
  }

  test('null traits and traits.ts are not sent; empty standard values are dropped', () => {
    const { rec } = profile(identify({ plan: null, ts: 1700000000, email: '', city: '' }));
    assert.deepEqual(rec.profileData, { city: '' });
    assert.equal(rec.ts, 1700000000);
  });

  test('a standard field wins over a custom trait with the CleverTap key', () => {
    const { rec } = profile(identify({ Email: 'custom@example.com', email: 'std@example.com' }));
    assert.equal(rec.profileData.Email, 'std@example.com');
  });

  test('__proto__ in traits never reaches the record prototype', () => {
    const traits = JSON.parse('{"__proto__": {"polluted": true}, "plan": "pro"}');
    const { rec } = profile(identify(traits));
    assert.deepEqual(rec.profileData, { plan: 'pro' });
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('identify without traits sends an empty profile', () => {
    const r = ok({ type: 'identify', userId: 'u1', timestamp: T });
    assert.deepEqual(r.records, [{ type: 'profile', identity: 'u1', ts: TS, profileData: {} }]);
  });

  test('warnings name every fixed field', () => {
    const { warnings } = profile(identify({ gender: 'female', birthday: '1990-01-02', phone: '+1 415 555 0100' }));
    assert.deepEqual(codes(warnings), ['value_normalised', 'value_normalised', 'value_normalised']);
    assert.deepEqual(warnings.map((w) => w.field).sort(), ['DOB', 'Gender', 'Phone']);
  });

  test('a value that cannot be fixed rejects the message; with invalidValues drop it is dropped and named', () => {
    const traits = { gender: 'female', birthday: '1990-01-02', phone: 'n/a' };
    assert.deepEqual(fail(identify(traits), REJECT).error, { code: 'invalid_phone', message: 'Phone "n/a" is invalid: CleverTap needs an E.164 number (+<country code><number>)', clevertapCode: 516 });
    const { warnings } = profile(identify(traits), { invalidValues: 'drop' });
    assert.deepEqual(codes(warnings).sort(), ['invalid_phone', 'value_normalised', 'value_normalised']);
    assert.deepEqual(warnings.map((w) => w.field).sort(), ['DOB', 'Gender', 'Phone']);
  });
});

describe('identify in segment mode', () => {
  const s = { compat: 'segment' as const };
  const rows: [trait: string, value: unknown, key: string, expected: unknown][] = [
    ['name', 'Ann Lee', 'Name', 'Ann Lee'],
    ['email', 'ann@example.com', 'Email', 'ann@example.com'],
    ['phone', '+14155550100', 'Phone', '+14155550100'],
    ['gender', 'female', 'Gender', 'F'],
    ['birthday', '1990-01-02', 'DOB', '$D_631238400'],
    ['avatar', 'https://cdn.example.com/a.png', 'Photo', 'https://cdn.example.com/a.png'],
    // Segment maps only the six above: the rest are custom, snake_cased.
    ['employed', true, 'employed', true],
    ['customerType', 'Gold', 'customer_type', 'Gold'],
    ['firstName', 'Ann', 'first_name', 'Ann'],
    ['Plan Name', 'pro', 'plan_name', 'pro'],
    ['createdAt', '2020-01-01T00:00:00Z', 'created_at', '2020-01-01T00:00:00Z'],
    ['MSG-email', false, 'MSG-email', false],
  ];
  for (const [trait, value, key, expected] of rows) {
    test(`${trait} → ${key}`, () => {
      const { rec } = profile(identify({ [trait]: value }), s);
      assert.equal(rec.profileData[key], expected);
      if (trait !== 'firstName') assert.equal(Object.keys(rec.profileData).length, 1);
    });
  }
  test('firstName + lastName also make Name', () => {
    const { rec } = profile(identify({ firstName: 'Ann', lastName: 'Lee' }), s);
    assert.deepEqual(rec.profileData, { first_name: 'Ann', last_name: 'Lee', Name: 'Ann Lee' });
  });
});

describe('identify in rudderstack mode', () => {
  const s = { compat: 'rudderstack' as const };
  test('mapped fields come from traits then context.traits; custom keys from both, context.traits winning', () => {
    const { rec } = profile(
      {
        type: 'identify',
        userId: 'u1',
        timestamp: T,
        traits: { email: 'a@example.com', plan: 'pro', city: 'Tokyo' },
        context: { traits: { email: 'b@example.com', phone: '+14155550100', city: 'Pune' } },
      },
      s,
    );
    assert.deepEqual(rec.profileData, { plan: 'pro', city: 'Pune', Email: 'a@example.com', Phone: '+14155550100' });
  });
  test('Email falls back to properties.email', () => {
    assert.equal(profile({ type: 'identify', userId: 'u1', properties: { email: 'p@example.com' } }, s).rec.profileData.Email, 'p@example.com');
  });
  test('exclusion list: userId, id, anonymousId, firstName… are not custom keys', () => {
    const { rec } = profile(identify({ userId: 'x', id: 'y', anonymousId: 'z', firstName: 'Ann', last_name: 'Lee', age: 30 }), s);
    assert.deepEqual(rec.profileData, { age: 30, Name: 'Ann Lee' });
  });
  test('Name needs both first and last name', () => {
    assert.deepEqual(profile(identify({ firstName: 'Ann' }), s).rec.profileData, {});
  });
  test('overrideFields are applied last, and still pass the rules', () => {
    const { rec } = profile(identify({ name: 'Ann', overrideFields: { Name: 'Override', Gender: 'female', extra: { a: 1 } } }), s);
    assert.deepEqual(rec.profileData, { Name: 'Override', Gender: 'F', extra: '{"a":1}' });
  });
  test('context.traits.overrideFields are used when traits has none', () => {
    const { rec } = profile({ type: 'identify', userId: 'u1', traits: {}, context: { traits: { overrideFields: { tier: 'gold' } } } }, s);
    assert.deepEqual(rec.profileData, { tier: 'gold' });
  });
  test('nested traits are stringified (custom_tags example)', () => {
    const { rec } = profile(identify({ custom_tags: ['Test_User', 'Interested_User', 'DIY_Hobby'] }), s);
    assert.equal(rec.profileData.custom_tags, '["Test_User","Interested_User","DIY_Hobby"]');
  });
  test('Gender values outside M/F reject the message (514): RudderStack drops them silently, a bug not reproduced', () => {
    assert.deepEqual(fail(identify({ gender: 'other' }), { ...s, ...REJECT }).error, { code: 'invalid_gender', message: 'Gender "other" is invalid: CleverTap needs M or F (male/female)', clevertapCode: 514 });
  });
  test('with invalidValues drop, Gender values outside M/F are dropped (with a warning, unlike RudderStack)', () => {
    const { rec, warnings } = profile(identify({ gender: 'other' }), { ...s, invalidValues: 'drop' });
    assert.deepEqual(rec.profileData, {});
    assert.deepEqual(codes(warnings), ['invalid_gender']);
  });
  test('DOB, Married and Phone are converted (RudderStack sends them raw)', () => {
    const { rec } = profile(identify({ birthday: '1990-01-02', married: true, phone: '+1 415-555-0100' }), s);
    assert.deepEqual(rec.profileData, { DOB: '$D_631238400', Married: 'Y', Phone: '+14155550100' });
  });
  test('ts from context.traits.ts when traits.ts is absent', () => {
    assert.equal(profile({ type: 'identify', userId: 'u1', timestamp: T, context: { traits: { ts: 1600000000 } } }, s).rec.ts, 1600000000);
  });
  test('dotted keys are not expanded into nested objects (set-value quirk not reproduced)', () => {
    assert.deepEqual(profile(identify({ 'a.b': 1 }), s).rec.profileData, { ab: 1 });
  });
});
