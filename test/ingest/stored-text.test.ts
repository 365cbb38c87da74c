// Ingest stores a batch item's own text with its stamp appended instead of serialising the parsed message again.
// Both ways must store the same message: the same items go through accept() with their texts and without, into
// two real SQLite stores, and every stored payload reads back equal. A credential or a numeric id in an item
// sends it the serialising way (nothing of the write key is stored).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createIngestContext } from '../../src/ingest/accept.js';
import { bodyText, parseBody } from '../../src/message/ids.js';
import { arrayItemTexts } from '../../src/message/json-slices.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { SourceConfig } from '../../src/config/schema.js';
import { tmpDir } from '../tmp.js';

const t = tmpDir();
after(() => t.cleanup());

const source = { id: 'web', type: 'segment', writeKey: 'k' } as SourceConfig;
const limits = { maxEventBytes: 32 * 1024, maxRequestBytes: 500 * 1024, maxBatchEvents: 2500, maxBacklog: 1e9 };

async function storeAll(file: string, items: unknown[], texts?: string[]): Promise<Map<string, Record<string, unknown>>> {
  const store = new SqliteStore(file, { owner: true });
  const ctx = createIngestContext([source], [{ id: 'd' }], [{ source: 'web', destination: 'd' } as never], store, limits, () => {});
  const r = await ctx.accept(source, items, { receivedAt: Date.parse('2026-01-02T03:04:05.678Z'), texts });
  await store.close();
  const db = new Database(file, { readonly: true });
  const rows = db.prepare('SELECT payload FROM messages ORDER BY id').pluck().all() as string[];
  db.close();
  assert.equal(rows.length, r.accepted);
  return new Map(rows.map((p) => [(JSON.parse(p) as { event: string }).event, JSON.parse(p) as Record<string, unknown>]));
}

test('stored as written or serialised: the same messages', async () => {
  const batch = [
    { type: 'track', event: 'plain', userId: 'u1', messageId: 'm1', properties: { a: 'x"y\\z', n: [1, { b: null }] } },
    { type: 'track', event: 'no id, no times', anonymousId: 'a1' },
    { type: 'track', event: 'own sentAt and times', userId: 'u2', messageId: 'm3', sentAt: '2026-01-02T03:04:00.000Z', originalTimestamp: '2026-01-02T03:03:00.000Z' },
    { type: 'identify', event: 'timestamp only', userId: 'u3', messageId: 'm4', timestamp: '2025-12-31T23:59:59Z', traits: { 'ünï': '🙂', messageId: 'nested is data' } },
    { type: 'track', event: 'write key', userId: 'u4', messageId: 'm5', writeKey: 'secret-key', properties: { writeKey: 'a property, kept' } },
    { type: 'track', event: 'numeric id', userId: 12345, messageId: 'm6' },
    { type: 'track', event: 'repeated key', userId: 'first', messageId: 'm7' },
  ];
  // A repeated key in the text: JSON.parse keeps the last; so must the stored form.
  const text = JSON.stringify({ batch, sentAt: '2026-01-02T03:04:01.000Z' }, null, 1).replace('"userId": "first"', '"userId": "first", "userId": "last"');
  const parse = () => {
    const body = parseBody(text) as { batch: Record<string, unknown>[]; sentAt: string };
    // As the Segment route does: the batch's sentAt on items without their own.
    for (const m of body.batch) if (m.sentAt === undefined) m.sentAt = body.sentAt;
    return body;
  };
  const body = parse();
  const texts = arrayItemTexts(bodyText(body)!, 'batch')!;
  assert.equal(texts.length, batch.length);
  const fast = await storeAll(join(t.dir, 'fast.sqlite'), body.batch, texts);
  const slow = await storeAll(join(t.dir, 'slow.sqlite'), parse().batch);
  assert.equal(fast.size, batch.length);
  for (const [event, expected] of slow) {
    const got = { ...fast.get(event)! };
    // A message without an id gets a fresh one each time.
    if (event === 'no id, no times') {
      assert.match(String(got.messageId), /^[0-9a-f-]{36}$/);
      got.messageId = expected.messageId;
    }
    assert.deepEqual(got, expected, event);
  }
  // The texts were used: the stored form of a plain item keeps the request's own layout.
  const db = new Database(join(t.dir, 'fast.sqlite'), { readonly: true });
  const raw = db.prepare("SELECT payload FROM messages WHERE message_id = 'm1'").pluck().get() as string;
  const rawKey = db.prepare("SELECT payload FROM messages WHERE message_id = 'm5'").pluck().get() as string;
  db.close();
  assert.ok(raw.includes('\n'), 'stored as written');
  assert.ok(!rawKey.includes('secret-key'), 'nothing of the write key is stored');
  assert.equal(fast.get('write key')!.writeKey, undefined, 'the write key is never stored');
  assert.deepEqual(fast.get('write key')!.properties, { writeKey: 'a property, kept' });
  assert.equal(fast.get('numeric id')!.userId, '12345');
  assert.equal(fast.get('repeated key')!.userId, 'last');
  assert.equal(fast.get('plain')!.sentAt, '2026-01-02T03:04:01.000Z', "the batch's sentAt");
});
