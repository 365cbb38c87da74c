// accept() reads each item's times once per distinct string (a batch's items mostly share them): every item must
// still get its own clock correction, whatever the order of equal and different times in the batch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIngestContext } from '../../src/ingest/accept.js';
import { correctedTimestamp } from '../../src/message/time.js';
import type { SourceConfig } from '../../src/config/schema.js';
import type { Store, StoredMessage } from '../../src/store/types.js';

const source = { id: 'web', type: 'segment', writeKey: 'k' } as SourceConfig;
const limits = { maxEventBytes: 32 * 1024, maxRequestBytes: 500 * 1024, maxBatchEvents: 2500, maxBacklog: 1e9 };

test('each item of a batch gets its own corrected timestamp, equal times or not', async () => {
  let stored: StoredMessage[] = [];
  const store = { append: async (_s: string, m: StoredMessage[]) => ((stored = m), { accepted: m.length, duplicates: [] }) } as unknown as Store;
  const ctx = createIngestContext([source], [{ id: 'd' }], [{ source: 'web', destination: 'd' } as never], store, limits, () => {});
  const now = Date.parse('2026-01-02T03:04:05.678Z');
  const times = ['2026-01-02T03:00:00.000Z', '2026-01-02T03:00:00.000Z', '2026-01-02T02:00:00.000Z', undefined, '', 'not a time', '2026-01-02T03:00:00.000Z'];
  const sents = ['2026-01-02T03:00:01.000Z', '2026-01-02T03:00:01.000Z', '2026-01-02T03:00:01.000Z', '2026-01-02T03:00:02.000Z', undefined, '2026-01-02T03:00:02.000Z', undefined];
  const batch: (Record<string, string> & { timestamp?: string; sentAt?: string })[] = [];
  for (let i = 0; i < 3 * times.length; i++) {
    const t = times[i % times.length];
    const s = sents[(i * 3) % sents.length];
    batch.push({ type: 'track', event: 'e', userId: 'u', messageId: `m${i}`, ...(t !== undefined && { timestamp: t }), ...(s !== undefined && { sentAt: s }) });
  }
  const r = await ctx.accept(source, structuredClone(batch), { receivedAt: now });
  assert.equal(r.accepted, batch.length);
  stored.forEach((m, i) => {
    const p = JSON.parse(m.payload) as { timestamp: string };
    const expected = correctedTimestamp(now, batch[i].timestamp || undefined, batch[i].sentAt);
    assert.equal(p.timestamp, Number.isFinite(expected) ? new Date(expected).toISOString() : new Date(now).toISOString(), `item ${i}`);
  });
});
