// Delivery to CleverTap: jobs → records (the one mapping) → upload requests → one outcome per job.
// CleverTap answers HTTP 200 with per-record results, so each record's fate is read from `unprocessed`.
import type { Deliverer, DeliveryContext, Job, Outcome } from '../types.js';
import { AuthError, RetryableError } from '../types.js';
import { CleverTapClient, type UploadAnswer } from './client.js';
import type { CleverTapRecord } from './records.js';
import type { CleverTapSettings } from './settings.js';
import { compileTransform } from './transform.js';

const MAX_TOKENS_PER_REQUEST = 100;
/** CleverTap's per-record validation codes: the record will never be accepted as it is. */
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
      if (err instanceof RetryableError) {
        for (const it of items)
          out.push({ jobId: it.job.id, status: 'retry', code: err.code, reason: err.message, retryAfterMs: err.retryAfterMs, scope: 'request' });
        return;
      }
      throw err;
    }
    if (answer.status !== 200) {
      // A request-level rejection (400): narrow it down to the records that cause it.
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
    for (const u of answer.body.unprocessed ?? []) {
      const idx = recordIndex(u, records);
      if (idx < 0) {
        ctx.log.warn({ code: u.code }, 'clevertap: could not match an unprocessed record');
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
    for (const it of items) out.push(worst.get(it.job.id) ?? { jobId: it.job.id, status: 'done' });
  }

  return {
    maxBatch: batchSize,
    maxInFlight: settings.maxInFlight ?? 15,
    async deliver(jobs: Job[]): Promise<Outcome[]> {
      const out: Outcome[] = [];
      const items: Item[] = [];
      for (const job of jobs) {
        const r = transform(job.message);
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
      const results = await Promise.allSettled(chunks.map((c) => send(c, out)));
      const auth = results.find((r) => r.status === 'rejected' && r.reason instanceof AuthError);
      if (auth) throw (auth as PromiseRejectedResult).reason;
      const other = results.find((r) => r.status === 'rejected');
      if (other) throw (other as PromiseRejectedResult).reason;
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
