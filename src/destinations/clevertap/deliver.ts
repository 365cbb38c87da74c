// Delivery to CleverTap: jobs → records (the one mapping) → upload requests → one outcome per job.
// CleverTap answers HTTP 200 with per-record results, so each record's fate is read from `unprocessed`.
// https://developer.clevertap.com/docs/upload-events-api
import type { Deliverer, DeliveryContext, Job, Outcome, Warning } from '../types.js';
import type { Message } from '../../message/schema.js';
import { RetryableError } from '../../core/errors.js';
import { batchFailureOutcomes } from '../../core/batch.js';
import { RETRYABLE_RECORD_CODES } from '../../clevertap/codes.js';
import { MAX_IDS_PER_DELETE, MAX_IN_FLIGHT, MAX_RECORDS_PER_UPLOAD, MAX_TOKENS_PER_UPLOAD } from '../../clevertap/limits.js';
import { CleverTapClient, type UploadAnswer } from './client.js';
import type { CleverTapRecord } from './records.js';
import type { CleverTapSettings } from './settings.js';
import { compileTransform } from './transform.js';

/** A job, the records it maps to (sent together, in order, in one request) and what the mapping fixed. */
interface Item {
  job: Job;
  records: CleverTapRecord[];
  warnings: Warning[];
}

// Outcomes carry what the mapping fixed (warnings) and, when dead, what was sent (records), so a dead letter shows
// them beside the original message. Built with them from the start: not copied afterwards for every job.
const done = (jobId: number, warnings: Warning[]): Outcome => (warnings.length ? { jobId, status: 'done', warnings } : { jobId, status: 'done' });

function dead(it: Item, code: string, reason: string): Outcome {
  const o: Outcome = { jobId: it.job.id, status: 'dead', code, reason, records: it.records };
  if (it.warnings.length) o.warnings = it.warnings;
  return o;
}

const jobsOf = (items: readonly Item[]): Job[] => items.map((it) => it.job);

export function createCleverTapDeliverer(settings: CleverTapSettings, ctx: DeliveryContext): Deliverer {
  const transform = compileTransform(settings);
  const client = new CleverTapClient(settings, ctx.sharedSlots);
  const batchSize = settings.batchSize ?? MAX_RECORDS_PER_UPLOAD;

  /**
   * Sends the items in one request and pushes one outcome per job. Returns the error when the request failed as a
   * whole (every job then has a `retry` outcome), so that the caller sends nothing after it.
   */
  async function send(items: Item[], out: Outcome[]): Promise<Error | undefined> {
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
      out.push(...batchFailureOutcomes(jobsOf(items), err));
      return err as Error;
    }
    if (answer.status === 200 && typeof answer.body.status === 'string') {
      out.push(...recordOutcomes(items, records, owner, answer));
      return undefined;
    }
    // Only a 400 or 413 means "something in this request": anything else (a proxy's 404, a 3xx, an unreadable
    // body) is the destination's trouble, so the whole request is retried.
    if (answer.status !== 400 && answer.status !== 413) {
      const reason = `CleverTap answered ${answer.status}${answer.status === 200 ? ' without a status' : ''}: ${answer.body.error ?? ''}`.trim();
      const err = new RetryableError(reason, undefined, `http_${answer.status}`);
      out.push(...batchFailureOutcomes(jobsOf(items), err));
      return err;
    }
    if (items.length === 1) {
      out.push(dead(items[0], `http_${answer.status}`, answer.body.error ?? `CleverTap answered ${answer.status}`));
      return undefined;
    }
    // Narrow the rejection down to the jobs that cause it: each half on its own, first half first.
    const mid = items.length >> 1;
    const failure = await send(items.slice(0, mid), out);
    if (!failure) return send(items.slice(mid), out);
    out.push(...batchFailureOutcomes(jobsOf(items.slice(mid)), failure));
    return failure;
  }

  /** One outcome per job from an answer with per-record results: the worst of its records' fates. */
  function recordOutcomes(items: Item[], records: CleverTapRecord[], owner: number[], answer: UploadAnswer): Outcome[] {
    const worst = new Map<number, Outcome>();
    let unmatched = 0;
    for (const u of answer.body.unprocessed ?? []) {
      const idx = recordIndex(u, records);
      if (idx < 0) {
        unmatched++;
        continue;
      }
      const item = items[owner[idx]];
      const job = item.job;
      const code = String(u.code ?? 'unknown');
      const reason = u.error ?? 'unprocessed';
      const o: Outcome = RETRYABLE_RECORD_CODES.has(Number(u.code)) ? { jobId: job.id, status: 'retry', code, reason, scope: 'record' } : dead(item, code, reason);
      const prev = worst.get(job.id);
      if (!prev || (prev.status === 'dead' && o.status === 'retry')) worst.set(job.id, o);
    }
    if (unmatched > 0) {
      // Some refusals could not be tied to a record: never count those as delivered. Retrying every job
      // not known to be refused may send accepted ones again (at-least-once), but loses nothing.
      ctx.log.warn({ unmatched }, 'clevertap: unprocessed records could not be matched; retrying the request');
      return items.map((it) => worst.get(it.job.id) ?? { jobId: it.job.id, status: 'retry', code: 'unmatched', reason: 'CleverTap refused records it did not identify', scope: 'record' });
    }
    return items.map((it) => worst.get(it.job.id) ?? done(it.job.id, it.warnings));
  }

  return {
    maxBatch: batchSize,
    maxInFlight: settings.maxInFlight ?? MAX_IN_FLIGHT,
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
          if (r.filtered) out.push({ jobId: job.id, status: 'filtered', reason: `${r.error.code}: ${reason}` });
          else out.push(r.warnings?.length ? { jobId: job.id, status: 'dead', code: r.error.code, reason, warnings: r.warnings } : { jobId: job.id, status: 'dead', code: r.error.code, reason });
        } else if (r.records.length === 0) out.push(done(job.id, r.warnings));
        else items.push({ job, records: r.records, warnings: r.warnings });
      }
      // Mapped: no one reads the parsed message again but the router after delivery (its ids and times, for the
      // metrics and the live tap). Keeping only those lets a request's parsed messages (a few MB per 1000 jobs) die
      // young instead of being copied by every scavenge, and promoted, while the request is in flight.
      for (const job of jobs) job.message = idsAndTimes(job.message);
      // Requests go one after the other: a user's records may span two requests and must arrive in order
      // (requests run in parallel across lanes instead). After a request fails as a whole the rest is not sent.
      let failure: Error | undefined;
      for (const c of requests(items, batchSize)) {
        if (failure) out.push(...batchFailureOutcomes(jobsOf(c), failure));
        else failure = await send(c, out);
      }
      return out;
    },
    close: () => client.close(),
  };
}

/** What of a message the router reads after its delivery (metrics: its age; live tap: its id). */
function idsAndTimes(m: Message): Message {
  return { type: m.type, messageId: m.messageId, userId: m.userId, anonymousId: m.anonymousId, timestamp: m.timestamp, receivedAt: m.receivedAt };
}

/** Requests of at most batchSize records and MAX_TOKENS_PER_UPLOAD tokens; a job's records stay together, in order. */
function requests(items: Item[], batchSize: number): Item[][] {
  const out: Item[][] = [];
  let cur: Item[] = [];
  let n = 0;
  let tokens = 0;
  for (const it of items) {
    const t = it.records.reduce((a, r) => a + (r.type === 'token' ? 1 : 0), 0);
    if (cur.length && (n + it.records.length > batchSize || tokens + t > MAX_TOKENS_PER_UPLOAD)) {
      out.push(cur);
      cur = [];
      n = tokens = 0;
    }
    cur.push(it);
    n += it.records.length;
    tokens += t;
  }
  if (cur.length) out.push(cur);
  return out;
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

/** Attempts per delete call, and the first backoff when a 429 / 5xx names no Retry-After (doubled each time, jittered). */
const DELETE_ATTEMPTS = 6;
const DELETE_BACKOFF_MS = 500;

/**
 * Deletes profiles by identity, MAX_IDS_PER_DELETE per call; the client keeps at most MAX_DELETES_IN_FLIGHT calls
 * in flight per account (CleverTap's limit for this API). A refused call (429, 5xx, network) is retried after its
 * Retry-After, else with exponential backoff.
 */
export async function deleteCleverTapProfiles(settings: CleverTapSettings, identities: string[]): Promise<{ deleted: number }> {
  const client = new CleverTapClient(settings);
  async function call(ids: string[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        const a = await client.deleteProfiles(ids);
        if (a.status !== 200) throw new Error(`CleverTap delete answered ${a.status}: ${a.body.error ?? ''}`);
        return;
      } catch (err) {
        if (!(err instanceof RetryableError) || attempt + 1 >= DELETE_ATTEMPTS) throw err;
        const backoff = DELETE_BACKOFF_MS * 2 ** attempt * (0.5 + Math.random() / 2);
        await new Promise((r) => setTimeout(r, err.retryAfterMs ?? backoff));
      }
    }
  }
  try {
    const calls: Promise<void>[] = [];
    for (let i = 0; i < identities.length; i += MAX_IDS_PER_DELETE) calls.push(call(identities.slice(i, i + MAX_IDS_PER_DELETE)));
    // Every call ends before the client closes; the first failure is reported.
    const failed = (await Promise.allSettled(calls)).find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return { deleted: identities.length };
  } finally {
    await client.close();
  }
}
