// flat-json.ts: the JSON text of flat objects and lists, remembered per key list / first item, is always what
// JSON.stringify writes, however values change or repeat between calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flatJson } from '../../../src/destinations/clevertap/flat-json.js';

const SCALARS: unknown[] = ['a', 'b', '', 'say "hi"', 'back\\slash', '\u0001', 'emoji 😀', 'lone \ud800', 1, 0, -0, 1.5, 1e21, NaN, Infinity, true, false, null, undefined, { x: 1 }, ['n'], () => 1];

/** flatJson where it answers, else JSON.stringify (as values.ts stringify does): must equal JSON.stringify. */
function check(v: object, note: string): void {
  const text = flatJson(v);
  if (text !== undefined) assert.equal(text, JSON.stringify(v), note);
}

test('objects of one key list, values changing and repeating in turns: always JSON.stringify text', () => {
  let answered = 0;
  for (let i = 0; i < 400; i++) {
    const a = SCALARS[(i * 7) % SCALARS.length];
    const b = SCALARS[(i >> 2) % SCALARS.length];
    const o = JSON.parse(JSON.stringify({ street: 's', city: 'c', zip: 'z' })) as Record<string, unknown>;
    o.city = a;
    o.zip = b;
    // Same first key, another list now and then: the remembered list is replaced.
    if (i % 5 === 0) o.extra = 'e';
    if (i % 11 === 0) delete o.city;
    check(o, `round ${i}`);
    if (flatJson(o) !== undefined) answered++;
    // The same values again (the remembered text), then one changed.
    check({ ...o }, `round ${i} again`);
  }
  assert.ok(answered > 100, `${answered} answered`);
});

test('lists with one first item, items changing and repeating in turns (more variants than are remembered)', () => {
  for (let i = 0; i < 400; i++) {
    const list = ['featured', SCALARS[i % SCALARS.length], SCALARS[(i * 3) % 7], 'family'];
    if (i % 6 === 0) list.pop();
    check(list, `round ${i}`);
    check([...list], `round ${i} again`);
  }
});

test('a list changed after it was written is not answered from memory', () => {
  const list = ['tag', 'one'];
  assert.equal(flatJson(list), '["tag","one"]');
  list[1] = 'two';
  assert.equal(flatJson(list), '["tag","two"]');
  assert.equal(flatJson(['tag', 'one']), '["tag","one"]');
});

test('an object changed after it was written is not answered from memory; empty object and list', () => {
  const o: Record<string, unknown> = { k1: 'a', k2: 'b' };
  assert.equal(flatJson(o), '{"k1":"a","k2":"b"}');
  o.k2 = 'c';
  assert.equal(flatJson(o), '{"k1":"a","k2":"c"}');
  assert.equal(flatJson({}), '{}');
  assert.equal(flatJson([]), '[]');
});
