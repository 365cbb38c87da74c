// Delivery to CleverTap: jobs → records (the one mapping) → upload requests → one outcome per job.
// CleverTap answers HTTP 200 with per-record results, so each record's fate is read from `unprocessed`.
import type { Deliverer, DeliveryContext, Job, Outcome } from '../types.js';
import { AuthError, RetryableError } from '../types.js';
import { CleverTapClient, type UploadAnswer } from './client.js';
import type { CleverTapRecord } from './records.js';
import type { CleverTapSettings } from './settings.js';
import { compileTransform } from './transform.js';

const MAX_TOKENS_PER_REQUEST = 100;
/** Per-record codes worth retrying (555: CleverTap's own server error); every other code is a validation
 *  failure: the record will never be accepted as it is, so it is dead-lettered. */
const RETRYABLE_RECORD_CODES = new Set([555]);

interface Item {
  job: Job;
  records: CleverTapRecord[];
}

export function createCleverTapDeliverer(settings: CleverTapSettings, ctx: DeliveryContext): Deliverer {
  const transform = compileTransform(settings);
  const client = new CleverTapClient(settings);
  const batchSize = settings.batchSize ?? 1000;

  async function send(items: Item[], out: Outcome[]): Promise<void> {
    const records: CleverTapRecord[] = [];
    const owner: number[] = []; // record index → item index
    items.forEach((it, i) => {
      for (const r of it.records) {
        records.push(r);
        owner.push(i);
      }
    });
    let answer: UploadAnswer;
    try {
      answer = await client.upload(records);
    } catch (err) {
      const scope = err instanceof AuthError ? 'auth' : 'request';
      const e = err as RetryableError;
      for (const it of items) out.push({ jobId: it.job.id, status: 'retry', code: e.code ?? 'delivery_error', reason: e.message, retryAfterMs: e.retryAfterMs, scope });
      return;
    }
    if (answer.status !== 200 || typeof answer.body.status !== 'string') {
      // Only a 400 or 413 means "something in this request": anything else (a proxy's 404, a 3xx, an
      // unreadable body) is the destination's trouble, so the whole request is retried.
      if (answer.status !== 400 && answer.status !== 413) {
        const reason = `CleverTap answered ${answer.status}${answer.status === 200 ? ' without a status' : ''}: ${answer.body.error ?? ''}`.trim();
        for (const it of items) out.push({ jobId: it.job.id, status: 'retry', code: `http_${answer.status}`, reason, scope: 'request' });
        return;
      }
      // Narrow the rejection down to the records that cause it.
      if (items.length > 1) {
        const mid = items.length >> 1;
        await send(items.slice(0, mid), out);
        await send(items.slice(mid), out);
        return;
      }
      out.push({ jobId: items[0].job.id, status: 'dead', code: `http_${answer.status}`, reason: answer.body.error ?? `CleverTap answered ${answer.status}` });
      return;
    }
    const worst = new Map<number, Outcome>();
    let unmatched = 0;
    for (const u of answer.body.unprocessed ?? []) {
      const idx = recordIndex(u, records);
      if (idx < 0) {
        unmatched++;
        continue;
      }
      const item = items[owner[idx]];
      const code = String(u.code ?? 'unknown');
      const reason = u.error ?? 'unprocessed';
      const o: Outcome = RETRYABLE_RECORD_CODES.has(Number(u.code))
        ? { jobId: item.job.id, status: 'retry', code, reason, scope: 'record' }
        : { jobId: item.job.id, status: 'dead', code, reason };
      const prev = worst.get(item.job.id);
      if (!prev || (prev.status === 'dead' && o.status === 'retry')) worst.set(item.job.id, o);
    }
    if (unmatched > 0) {
      // Some refusals could not be tied to a record: never count those as delivered. Retrying every job
      // not known to be refused may send accepted ones again (at-least-once), but loses nothing.
      ctx.log.warn({ unmatched }, 'clevertap: unprocessed records could not be matched; retrying the request');
      for (const it of items)
        out.push(worst.get(it.job.id) ?? { jobId: it.job.id, status: 'retry', code: 'unmatched', reason: 'CleverTap refused records it did not identify', scope: 'record' });
      return;
    }
    for (const it of items) out.push(worst.get(it.job.id) ?? { jobId: it.job.id, status: 'done' });
  }

  return {
    maxBatch: batchSize,
    maxInFlight: settings.maxInFlight ?? 15,
    async deliver(jobs: Job[]): Promise<Outcome[]> {
      const out: Outcome[] = [];
      const items: Item[] = [];
      for (const job of jobs) {
        let r: ReturnType<typeof transform>;
        try {
          r = transform(job.message);
        } catch (err) {
          // A mapping bug must cost one event, not its whole batch.
          out.push({ jobId: job.id, status: 'dead', code: 'transform_error', reason: `mapping failed: ${(err as Error).message}` });
          continue;
        }
        if (!r.ok) {
          const reason = r.error.clevertapCode ? `${r.error.message} (CleverTap code ${r.error.clevertapCode})` : r.error.message;
          out.push(r.filtered ? { jobId: job.id, status: 'filtered', reason: `${r.error.code}: ${reason}` } : { jobId: job.id, status: 'dead', code: r.error.code, reason });
        } else if (r.records.length === 0) out.push({ jobId: job.id, status: 'done' });
        else items.push({ job, records: r.records });
      }
      // Requests of at most batchSize records and 100 tokens; a job's records stay together, in order.
      const chunks: Item[][] = [];
      let cur: Item[] = [];
      let n = 0;
      let tokens = 0;
      for (const it of items) {
        const t = it.records.reduce((a, r) => a + (r.type === 'token' ? 1 : 0), 0);
        if (cur.length && (n + it.records.length > batchSize || tokens + t > MAX_TOKENS_PER_REQUEST)) {
          chunks.push(cur);
          cur = [];
          n = tokens = 0;
        }
        cur.push(it);
        n += it.records.length;
        tokens += t;
      }
      if (cur.length) chunks.push(cur);
      // Chunks go one after the other: a user's records may span two chunks and must arrive in order
      // (requests run in parallel across lanes instead). After a refusal the rest is not sent.
      for (const c of chunks) {
        const stop = out.find((o) => o.status === 'retry' && (o.scope === 'auth' || o.scope === 'request'));
        if (stop && stop.status === 'retry') {
          for (const it of c) out.push({ jobId: it.job.id, status: 'retry', code: stop.code, reason: stop.reason, retryAfterMs: stop.retryAfterMs, scope: stop.scope });
        } else await send(c, out);
      }
      return out;
    },
    close: () => client.close(),
  };
}

/** Finds which sent record an `unprocessed` entry is about: CleverTap names it by 1-based position. */
function recordIndex(u: { error?: string; record?: unknown }, records: CleverTapRecord[]): number {
  const m = /Skipped record number\s*:\s*(\d+)/.exec(u.error ?? '');
  if (m) {
    const i = Number(m[1]) - 1;
    if (i >= 0 && i < records.length) return i;
  }
  if (u.record !== undefined) {
    const s = JSON.stringify(u.record);
    return records.findIndex((r) => JSON.stringify(r) === s);
  }
  return -1;
}

/** Deletes profiles by identity, 100 per call, one call at a time (CleverTap's documented limit). */
export async function deleteCleverTapProfiles(settings: CleverTapSettings, identities: string[]): Promise<{ deleted: number }> {
  const client = new CleverTapClient(settings);
  try {
    for (let i = 0; i < identities.length; i += 100) {
      const a = await client.deleteProfiles(identities.slice(i, i + 100));
      if (a.status !== 200) throw new Error(`CleverTap delete answered ${a.status}: ${a.body.error ?? ''}`);
    }
    return { deleted: identities.length };
  } finally {
    await client.close();
  }
}
