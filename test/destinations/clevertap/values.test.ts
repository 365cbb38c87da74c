// Value coercion: a "$D_" string must be a CleverTap date.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { event, profile, identify, track, codes } from './helpers.js';

describe('a "$D_" value that is not a date loses its prefix', () => {
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

describe('nested values are sent as their JSON text, exactly as JSON.stringify writes it', () => {
  const lost = '\ud83d';
  const values: unknown[] = [
    ['a', 'b c', ''],
    [],
    ['one'],
    ['say "hi"', 'back\\slash', 'tab\there', '\u0001'],
    ['emoji 😀', `lone ${lost}`],
    ['a', 1, true, null],
    [['nested'], { k: 'v' }],
    { street: '1 Market St', city: 'Pune' },
    { k: 10n },
  ];
  for (const v of values) {
    test(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x)), () => {
      const { rec, warnings } = event(track('Signed Up', { v }));
      assert.equal(rec.evtData.v, JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
      assert.deepEqual(codes(warnings), ['value_stringified']);
    });
  }
});
