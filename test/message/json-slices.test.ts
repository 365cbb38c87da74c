// arrayItemTexts: the text of each element of a top-level array, checked against JSON.parse on documents written
// to trip a scanner up (quotes, backslashes and brackets inside strings, nesting, whitespace, repeated keys).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { arrayItemTexts } from '../../src/message/json-slices.js';

const tricky = ['a"b', 'back\\slash', 'ends with \\', '}]{[', '\\"', 'ünï\u2028cödé 🙂', '', ',', '"batch":[1]'];

/** A deterministic pseudo-random JSON value. */
function value(seed: number, depth: number): unknown {
  const r = (seed * 2654435761) % 97;
  if (depth > 3 || r < 30) return [r, tricky[r % tricky.length], null, true, -1.5e-3][r % 5];
  if (r < 60) return Array.from({ length: r % 4 }, (_, i) => value(seed + i + 1, depth + 1));
  return Object.fromEntries(Array.from({ length: r % 5 }, (_, i) => [tricky[(r + i) % tricky.length] + i, value(seed * 3 + i, depth + 1)]));
}

test('every element of the array, exactly as JSON.parse reads it, whatever the strings hold', () => {
  for (let seed = 1; seed < 300; seed++) {
    const batch = Array.from({ length: seed % 7 }, (_, i) => value(seed * 10 + i, 0));
    const doc = { sentAt: tricky[seed % tricky.length], context: { batch: [1, 2] }, batch, after: [{ batch: 'x' }] };
    for (const text of [JSON.stringify(doc), JSON.stringify(doc, null, seed % 2 ? 2 : '\t')]) {
      const items = arrayItemTexts(text, 'batch');
      assert.ok(items, `seed ${seed}: found`);
      assert.deepEqual(items.map((t) => JSON.parse(t)), batch, `seed ${seed}`);
      for (const t of items) assert.equal(t, t.trim(), 'no surrounding whitespace');
    }
  }
});

test('repeated keys: the last array, as JSON.parse keeps it; an escaped key spelling the name: none', () => {
  assert.deepEqual(arrayItemTexts('{"batch":[{"a":1}],"batch":[{"b":2}]}', 'batch'), ['{"b":2}']);
  assert.equal(arrayItemTexts('{"batch":[{"a":1}],"b\\u0061tch":[{"b":2}]}', 'batch'), null);
  assert.equal(arrayItemTexts('{"other":[1]}', 'batch'), null);
  assert.deepEqual(arrayItemTexts('{"batch":[]}', 'batch'), []);
});

test('a document nested deeper than the limit: none (the serialising path judges it)', () => {
  const deep = '{"batch":[' + '{"a":'.repeat(100) + '1' + '}'.repeat(100) + ']}';
  assert.equal(arrayItemTexts(deep, 'batch'), null);
});
