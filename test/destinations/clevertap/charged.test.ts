// Charged Items: always a list of flat objects within the key and property rules.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { EventRecord } from '../../../src/destinations/clevertap/records.js';
import { event, fail, track, codes } from './helpers.js';

describe('Charged Items is always validated', () => {
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

describe('Charged Items are flat objects within the key rules', () => {
  test('nested values are stringified, keys cleaned, with warnings', () => {
    const r = event(track('Order Completed', { products: [{ 'sku:id': 'a', tags: ['x'], dims: { w: 1 }, n: null }] }));
    assert.deepEqual(r.rec.evtData.Items, [{ skuid: 'a', tags: '["x"]', dims: '{"w":1}' }]);
    assert.deepEqual(codes(r.warnings).sort(), ['key_cleaned', 'value_stringified', 'value_stringified']);
  });
  test('an item over the property limit keeps its first N properties, with a warning', () => {
    const item: Record<string, number> = {};
    for (let i = 0; i < 11; i++) item[`p${i}`] = i;
    const r = event(track('Order Completed', { products: [item] }), { maxEventProperties: 10 });
    const items = r.rec.evtData.Items as Record<string, unknown>[];
    assert.deepEqual(Object.keys(items[0]), Object.keys(item).slice(0, 10));
    assert.deepEqual(r.warnings.map((w) => [w.code, w.field]), [['too_many_properties', 'Items[0]']]);
    const rec = event(track('Order Completed', { products: [item] }), { maxEventProperties: 11 }).rec as EventRecord;
    assert.equal(Object.keys((rec.evtData.Items as Record<string, unknown>[])[0]).length, 11);
    assert.equal(Object.keys(item).length, 11, 'the input item is never cut');
  });
  test('items kept whole (clean keys, plain values) are copies, in key order, beside items that need fixing', () => {
    const bare = Object.assign(Object.create(null) as Record<string, unknown>, { sku: 'b', '2': 2, price: 1.5 });
    const products = [
      { sku: 'a', price: 9.99, '10': true, in_stock: false },
      bare,
      { sku: 'c', note: '$D_x' },
      { 'sku:id': 'd', n: null, q: 1 },
      { sku: 'e', big: Infinity },
    ];
    const r = event(track('Order Completed', { products }));
    const items = r.rec.evtData.Items as Record<string, unknown>[];
    assert.deepEqual(items.map((o) => Object.entries(o)), [
      [['10', true], ['sku', 'a'], ['price', 9.99], ['in_stock', false]],
      [['2', 2], ['sku', 'b'], ['price', 1.5]],
      [['sku', 'c'], ['note', 'x']],
      [['skuid', 'd'], ['q', 1]],
      [['sku', 'e']],
    ]);
    items.forEach((o, i) => assert.notEqual(o, products[i]));
    assert.equal(Object.getPrototypeOf(items[1]), Object.prototype);
    assert.deepEqual(codes(r.warnings), ['value_normalised', 'key_cleaned', 'value_dropped']);
  });
});
