// A scanned batch's payloads stored as written cross to the store thread as the request body plus each item's
// place in it (message/payload-spans.ts, thread-wire.ts): after the structured clone they must be the payloads
// accept() made, byte for byte, whichever way each was made (as written, serialised, rejected items in between).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIngestContext } from '../../src/ingest/accept.js';
import { parseBatchBody, scannedItems } from '../../src/message/ids.js';
import { noteSpans, spansOf } from '../../src/message/payload-spans.js';
import { fromColumns, MAX_SHARED_TEXT, toColumns } from '../../src/store/sqlite/thread-wire.js';
import type { SourceConfig } from '../../src/config/schema.js';
import type { Store, StoredMessage } from '../../src/store/types.js';

const source = { id: 'web', type: 'segment', writeKey: 'k' } as SourceConfig;
const limits = { maxEventBytes: 2000, maxRequestBytes: 500 * 1024, maxBatchEvents: 2500, maxBacklog: 1e9 };

async function accepted(body: string): Promise<{ stored: StoredMessage[]; rejected: number }> {
  let stored: StoredMessage[] = [];
  const store = { append: async (_s: string, m: StoredMessage[]) => ((stored = m), { accepted: m.length, duplicates: [] }) } as unknown as Store;
  const ctx = createIngestContext([source], [{ id: 'd' }], [{ source: 'web', destination: 'd' } as never], store, limits, () => {});
  const parsed = parseBatchBody(body) as { batch: Record<string, unknown>[]; sentAt?: string };
  for (const m of parsed.batch) if (m.sentAt === undefined && parsed.sentAt !== undefined) m.sentAt = parsed.sentAt;
  const s = scannedItems(parsed);
  assert.ok(s, 'the body is scanned');
  const r = await ctx.accept(source, parsed.batch, { texts: s.texts, within: { text: s.text, starts: s.starts } });
  return { stored, rejected: r.rejected.length };
}

test('payloads cut from the body cross the thread as the payloads accept() made', async () => {
  const batch = [
    { type: 'track', event: 'as written', userId: 'u1', messageId: 'm1', properties: { a: 1 }, context: { ip: '1.2.3.4' } },
    { type: 'track', userId: 'u2', messageId: 'm2' }, // rejected: track without event
    { type: 'track', event: 'write key: serialised', userId: 'u3', messageId: 'm3', writeKey: 'k', properties: { b: 2 } },
    { type: 'identify', userId: 'u4', messageId: 'm4', traits: { big: 'x'.repeat(3000) } }, // rejected: too large
    { type: 'track', event: 'numeric id: serialised', userId: 5, messageId: 'm5' },
    { type: 'page', name: 'own times', anonymousId: 'a6', timestamp: '2026-01-01T00:00:00.000Z', sentAt: '2026-01-01T00:00:01.000Z' },
    { type: 'track', event: 'near the limit', userId: 'u7', messageId: 'm7', properties: { pad: 'y'.repeat(1400) } },
    { type: 'track', event: 'last', userId: 'u8', messageId: 'm8', timestamp: '2026-01-01T00:00:00.000Z' },
  ];
  const body = `{"sentAt":"2026-01-01T00:00:02.000Z","batch":${JSON.stringify(batch)}}`;
  const { stored, rejected } = await accepted(body);
  assert.equal(rejected, 2);
  assert.equal(stored.length, 6);
  const spans = spansOf(stored);
  assert.ok(spans, 'spans noted for the stored messages');
  assert.equal(spans.text, body);
  // Stored as written where nothing changed the item; whole payloads where it was serialised.
  assert.deepEqual(spans.start.map((s) => s >= 0), [true, false, false, true, true, true]);
  const crossed = fromColumns(structuredClone(toColumns(stored)));
  // (accept() sets `filtered: undefined`; the wire leaves an absent field absent)
  assert.deepEqual(crossed, stored.map(({ filtered: _f, ...m }) => m));
  for (const m of crossed) assert.equal(typeof JSON.parse(m.payload), 'object');
});

test('spans that do not fit the messages are not used: the payloads cross as they are', () => {
  const msgs: StoredMessage[] = [{ messageId: 'm1', userKey: 'u', receivedAt: 1, payload: '{"a":1,"b":2}', destinations: [] }];
  noteSpans(msgs, { text: 'xx{"a":1}', start: [2], end: [8], rest: [',"b":2}'] });
  assert.ok(spansOf(msgs));
  assert.deepEqual(fromColumns(structuredClone(toColumns(msgs))), msgs);
  // The list changed after the spans were noted.
  msgs.push({ messageId: 'm2', userKey: 'u', receivedAt: 1, payload: '{}', destinations: [] });
  assert.equal(spansOf(msgs), undefined);
  assert.deepEqual(fromColumns(structuredClone(toColumns(msgs))), msgs);
  // A payload that is not what the spans say.
  const other: StoredMessage[] = [{ messageId: 'm1', userKey: 'u', receivedAt: 1, payload: '{"a":1}', destinations: [] }];
  noteSpans(other, { text: 'xx{"a":1}', start: [2], end: [8], rest: [',"b":2}'] });
  assert.equal(spansOf(other), undefined);
  assert.deepEqual(fromColumns(structuredClone(toColumns(other))), other);
});

test('a batch none of whose payloads is cut from the body (a write key in every item): the body does not cross', async () => {
  const batch = [1, 2, 3].map((i) => ({ type: 'track', event: 'e', userId: `u${i}`, messageId: `m${i}`, writeKey: 'k', properties: { i } }));
  const { stored } = await accepted(JSON.stringify({ batch, writeKey: 'k' }));
  assert.equal(stored.length, 3);
  assert.equal(spansOf(stored), undefined);
  const c = toColumns(stored);
  assert.equal(c.texts, undefined);
  assert.ok(!JSON.stringify(fromColumns(structuredClone(c))).includes('writeKey'));
});

test('a body longer than MAX_SHARED_TEXT crosses in pieces no longer than that: the same payloads', async () => {
  const pad = 'z'.repeat(1000);
  const n = Math.ceil(MAX_SHARED_TEXT / 1000) + 5;
  const batch = Array.from({ length: n }, (_, i) => ({ type: 'track', event: 'e', userId: `u${i}`, messageId: `m${i}`, properties: { pad } }));
  const body = JSON.stringify({ batch });
  const { stored } = await accepted(body);
  assert.equal(stored.length, n);
  assert.ok(spansOf(stored), 'noted');
  const c = toColumns(stored);
  assert.ok(c.texts && c.texts.length >= 2, 'pieces');
  for (const t of c.texts) assert.ok(t.length <= MAX_SHARED_TEXT && body.includes(t));
  assert.deepEqual(fromColumns(structuredClone(c)), stored.map(({ filtered: _f, ...m }) => m));
});

test('pieces: spans out of order, overlapping, or longer than MAX_SHARED_TEXT still give the payloads noted', () => {
  const big = `{"p":"${'q'.repeat(MAX_SHARED_TEXT + 10)}"}`;
  const text = `[{"a":1},${big},{"b":2}]`;
  const a = text.indexOf('{"a"'), b = text.indexOf('{"b"'), p = text.indexOf('{"p"');
  const cut = (s: number, e: number, rest: string) => ({ s, e, rest, payload: text.slice(s, e) + rest });
  const parts = [cut(b, b + 6, ',"x":1}'), cut(a, a + 6, '}'), { s: -1, e: 0, rest: '{"whole":true}', payload: '{"whole":true}' }, cut(p, p + big.length - 1, '}'), cut(a, a + 6, ',"y":2}')];
  const msgs: StoredMessage[] = parts.map((x, i) => ({ messageId: `m${i}`, userKey: 'u', receivedAt: 1, payload: x.payload, destinations: [] }));
  noteSpans(msgs, { text, start: parts.map((x) => x.s), end: parts.map((x) => x.e), rest: parts.map((x) => x.rest) });
  const c = toColumns(msgs);
  assert.ok(c.texts);
  assert.deepEqual(fromColumns(structuredClone(c)), msgs);
});
