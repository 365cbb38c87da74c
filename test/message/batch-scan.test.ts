// scanBatch: a batch body read without building its items' context / properties / traits, checked against
// JSON.parse: on valid bodies it gives what JSON.parse gives (the elided members stand for the same values), and it
// never takes a text JSON.parse refuses (mutated bodies), so a request it reads is one the server accepted before.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Elided, hasElided, materialise, scanBatch, stringifyItem } from '../../src/message/batch-scan.js';
import { parseBatchBody, parseBody, scannedItems } from '../../src/message/ids.js';

const escaped = ['a"b', 'back\\slash', 'ends with \\', '}]{[', '\\"', 'ünï\u2028cödé 🙂', '', ',', '"batch":[1]', '\u0000\u001f\t', '\ud800 lone'];
/** Strings JSON.stringify writes without a backslash or control character (the scan's quicker mode). */
const unescaped = ['a b', '}]{[', 'ünï\u2028cödé 🙂', '', ',', '[1]:', "'", '/'];
let tricky = escaped;
const numbers = [0, -0.5, 1e-7, 123456789012345, -1.5e300, 42, 3.14159];

/** A deterministic pseudo-random JSON value. */
function value(seed: number, depth: number): unknown {
  const r = (seed * 2654435761) % 97;
  if (depth > 4 || r < 30) return [numbers[r % numbers.length], tricky[r % tricky.length], null, true, false][r % 5];
  if (r < 55) return Array.from({ length: r % 4 }, (_, i) => value(seed + i + 1, depth + 1));
  return Object.fromEntries(Array.from({ length: r % 5 }, (_, i) => [tricky[(r + i) % tricky.length] + i, value(seed * 3 + i, depth + 1)]));
}

/** A message-like item: the members ingest reads, the bulky ones (objects or, now and then, other types). */
function item(seed: number): Record<string, unknown> {
  const r = (seed * 40503) % 101;
  const m: Record<string, unknown> = { type: ['track', 'identify', 'page'][r % 3], userId: r % 4 ? `u-${tricky[r % tricky.length]}` : r, messageId: `m${seed}` };
  if (r % 3) m.context = r % 17 ? { ip: '1.2.3.4', library: { name: tricky[r % tricky.length] }, extra: value(seed, 1) } : [1, 2];
  if (r % 5) m.properties = r % 13 ? (value(seed + 7, 0) as object) : 'not an object';
  if (r % 7 === 0) m.traits = { nested: { deeper: [value(seed + 9, 2)] } };
  if (r % 11 === 0) m.integrations = { All: false, CleverTap: true };
  if (r % 4 === 0) m.event = tricky[r % tricky.length];
  return m;
}

/** The scanned body with every Elided replaced by the value it stands for (its text parsed). */
const plain = (body: { batch: Record<string, unknown>[] }) => ({
  ...body,
  batch: body.batch.map((m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, v instanceof Elided ? JSON.parse(v.json) : v]))),
});

function bodies(): string[] {
  const out: string[] = [];
  for (let seed = 1; seed < 400; seed++) {
    tricky = seed % 2 ? escaped : unescaped;
    const batch = Array.from({ length: seed % 6 }, (_, i) => item(seed * 10 + i));
    const doc = { sentAt: tricky[seed % tricky.length], batch, writeKey: 'k', other: value(seed, 0) };
    out.push(JSON.stringify(doc), JSON.stringify(doc, null, seed % 2 ? 2 : '\t'));
  }
  return out;
}

test('a valid batch body: what JSON.parse gives, item texts exactly the items, only object bulk elided', () => {
  let scanned = 0;
  for (const text of bodies()) {
    const s = scanBatch(text);
    if (!s) continue; // (a long integer, say: JSON.parse reads those bodies)
    scanned++;
    const expected = JSON.parse(text) as { batch: Record<string, unknown>[] };
    assert.deepEqual(plain(s.body), expected);
    assert.equal(s.texts.length, expected.batch.length);
    assert.equal(s.text, text);
    s.texts.forEach((t, i) => {
      // Where the item's text starts in the body (the hand-over to the store thread cuts payloads by it).
      assert.equal(text.slice(s.starts[i], s.starts[i] + t.length), t);
      assert.deepEqual(JSON.parse(t), expected.batch[i]);
      assert.equal(t, t.trim());
      const m = s.body.batch[i];
      for (const [k, v] of Object.entries(m)) {
        if (v instanceof Elided) {
          assert.ok(['context', 'properties', 'traits'].includes(k), k);
          assert.equal(typeof expected.batch[i][k], 'object');
        } else assert.deepEqual(v, expected.batch[i][k], k);
      }
      // Keys in JSON.parse's order.
      assert.deepEqual(Object.keys(m), Object.keys(expected.batch[i]));
      assert.deepEqual(materialise(m), expected.batch[i]);
    });
  }
  assert.ok(scanned > 600, `scanned ${scanned}`);
});

test('never takes a text JSON.parse refuses: bodies with a character deleted, replaced or inserted', () => {
  const chars = ['{', '}', '[', ']', ',', ':', '"', '\\', ' ', '\n', '0', '1', '-', '+', '.', 'e', 'E', 'u', 't', 'n', 'f', 'x', '\u0001', '\u00a0'];
  let refused = 0;
  let seed = 7;
  const rnd = (n: number) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  for (const text of bodies().slice(0, 300)) {
    for (let k = 0; k < 40; k++) {
      const at = rnd(text.length);
      const op = rnd(3);
      const c = chars[rnd(chars.length)];
      const mutated = op === 0 ? text.slice(0, at) + text.slice(at + 1) : op === 1 ? text.slice(0, at) + c + text.slice(at + 1) : text.slice(0, at) + c + text.slice(at);
      let valid = true;
      try {
        JSON.parse(mutated);
      } catch {
        valid = false;
      }
      const s = scanBatch(mutated);
      if (!valid) {
        refused++;
        assert.equal(s, null, `accepted invalid JSON: ${JSON.stringify(mutated)}`);
      } else if (s) assert.deepEqual(plain(s.body), JSON.parse(mutated));
    }
  }
  assert.ok(refused > 3000, `refused ${refused}`);
});

test('the grammar at its edges: numbers, literals, escapes, whitespace, control characters', () => {
  const wrap = (v: string) => `{"batch":[{"type":"track","v":${v}}]}`;
  const cases = [
    '0', '-0', '1.5', '1e5', '1E+5', '1e-5', '-0.0e0', '01', '1.', '.5', '+1', '1e', '1e+', '--1', '0x10', 'Infinity', 'NaN',
    'true', 'false', 'null', 'tru', 'nul', 'True', '"\\u00e9"', '"\\u00G9"', '"\\x41"', '"\\/"', '"\\b\\f\\n\\r\\t"', '"\\uD83D\\uDE42"',
    '"a\tb"', '"a\u0000b"', '"a\u007fb"', '"\\"', '[]', '[ ]', '[1,]', '[,1]', '{}', '{"a":1,}', '{"a" 1}', '{a:1}', "{'a':1}",
    '{"a":[{"b":[{}]}]}', '[1 2]', '"\u2028"',
  ];
  for (const v of cases) {
    for (const text of [wrap(v), `\n\t {\r\n"batch" :\t[ {"type":"track" , "context" : {"v":${v}} } ] } \n`]) {
      let expected: unknown;
      try {
        expected = JSON.parse(text);
      } catch {
        assert.equal(scanBatch(text), null, text);
        continue;
      }
      const s = scanBatch(text);
      assert.ok(s, text);
      assert.deepEqual(plain(s.body), expected, text);
      if (typeof (expected as { batch: { v?: unknown }[] }).batch[0].v === 'number') assert.ok(Object.is(s.body.batch[0].v, (expected as { batch: { v: unknown }[] }).batch[0].v), text);
    }
  }
  // Bodies around the batch.
  for (const text of ['', ' ', '[]', '{}', '{"batch":{}}', '{"batch":[1]}', '{"batch":[[]]}', '{"batch":[]} x', '{"batch":[]}}', '\ufeff{"batch":[]}', '{"batch":[]', 'null']) {
    assert.equal(scanBatch(text), null, text);
  }
  assert.deepEqual(scanBatch(' {"batch" : [ ] } ')?.body, { batch: [] });
});

test('left to JSON.parse: repeated or escaped batch keys, __proto__, a batch context to merge, long integers, deep nesting', () => {
  const left = [
    '{"batch":[{"a":1}],"batch":[{"b":2}]}',
    '{"b\\u0061tch":[{"a":1}]}',
    '{"batch":[{"us\\u0065rId":"x"}]}',
    '{"batch":[{"__proto__":{"x":1}}]}',
    '{"__proto__":1,"batch":[]}',
    '{"batch":[{"type":"track"}],"context":{"ip":"1.2.3.4"}}',
    '{"integrations":{"All":false},"batch":[{"type":"track"}]}',
    '{"batch":[{"userId":12345678901234567}]}',
    '{"batch":[{"properties":{"big":-1234567890123456}}]}',
    `{"batch":[{"context":${'['.repeat(100)}${']'.repeat(100)}}]}`,
  ];
  for (const text of left) assert.equal(scanBatch(text), null, text);
  // 15 digits, a long fraction or exponent are not long integers.
  assert.ok(scanBatch('{"batch":[{"userId":123456789012345,"p":0.12345678901234567,"q":1e1234567890123456}]}'));
  // Repeated keys inside an item: the last, in the first one's place, as JSON.parse does.
  const s = scanBatch('{"batch":[{"userId":"a","type":"track","userId":"b","context":{"x":1},"context":{"y":2}}]}')!;
  assert.deepEqual(Object.keys(s.body.batch[0]), ['userId', 'type', 'context']);
  assert.equal(s.body.batch[0].userId, 'b');
  assert.deepEqual(JSON.parse(JSON.stringify(s.body.batch[0].context)), { y: 2 });
});

test('parseBatchBody: scanned when it can be, else as parseBody reads it (long ids kept as strings)', () => {
  const scanned = parseBatchBody('{"batch":[{"type":"track","userId":"u","context":{"ip":"x"}}],"sentAt":"s"}') as { batch: Record<string, unknown>[] };
  assert.ok(scanned.batch[0].context instanceof Elided);
  assert.deepEqual(scannedItems(scanned)?.texts, ['{"type":"track","userId":"u","context":{"ip":"x"}}']);
  const long = '{"batch":[{"type":"track","userId":1234567890123456789,"context":{"ip":"x"}}]}';
  const parsed = parseBatchBody(long) as { batch: Record<string, unknown>[] };
  assert.equal(scannedItems(parsed)?.texts, undefined);
  assert.deepEqual(parsed, parseBody(long));
  assert.equal(parsed.batch[0].userId, '1234567890123456789');
  assert.throws(() => parseBatchBody('{"batch":[{]}'), SyntaxError);
});

test('stringifyItem: an item with elided values written as JSON.stringify writes it, its elided texts as they came', () => {
  const body =
    '{"batch":[{"type":"track","writeKey":"k","userId":7,"event":"E \\"q\\" é","properties":{"a":[1,{"b":null}],"s":"x\\ny"},' +
    '"context":{ "page" : {"path":"/"} },"traits":{},"integrations":{"All":false},"n":-0.5e3}],"writeKey":"k"}';
  const scanned = scanBatch(body)!;
  const item = scanned.body.batch[0];
  assert.ok(hasElided(item));
  delete item.writeKey; // as ingest does
  item.userId = '7';
  item.receivedAt = '2026-01-01T00:00:00.000Z';
  item.gone = undefined;
  const written = stringifyItem(item);
  // The same JSON value as the full serialisation (which parses every elided text again)...
  assert.deepEqual(JSON.parse(written), JSON.parse(JSON.stringify(item)));
  // ...and byte for byte the same but for the whitespace kept inside the elided context.
  assert.equal(written.replace('{ "page" : {"path":"/"} }', '{"page":{"path":"/"}}'), JSON.stringify(item));
  assert.ok(!hasElided(materialise(item)));
  assert.equal(stringifyItem({}), '{}');
});
