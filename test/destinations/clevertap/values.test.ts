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
    {},
    [-0, 0.1, 1e21, 5e-7, NaN, Infinity, -Infinity, false],
    { n: -0, big: 1e21, nan: NaN, inf: -Infinity, t: true, f: false, nil: null, s: '' },
    { b: 1, 2: 'two', a: 3, 1: 'one' },
    { skipped: undefined, fn: () => 1, kept: 'x' },
    [undefined, () => 1, 'x'],
    // eslint-disable-next-line no-sparse-arrays
    [1, , 3],
    Object.assign(Object.create(null), { a: 'no prototype' }),
    { toJSON: () => 'custom' },
    Object.assign(['a'], { toJSON: () => 'custom list' }),
    { k: 'x', toJSON: 'not a function' },
    new Date(0),
    new (class Point { x = 1; y = 2; })(),
    { 'key "quoted"': 1, 'line\nbreak': 2 },
    { deep: { deeper: ['x'] } },
  ];
  for (const v of values) {
    test(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x)), () => {
      const { rec, warnings } = event(track('Signed Up', { v }));
      assert.equal(rec.evtData.v, JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x)));
      assert.deepEqual(codes(warnings), ['value_stringified']);
    });
  }
});
