// The vocabulary that store, router and destinations share: a job, what became of it, how it is settled.
import type { Message } from '../message/schema.js';

/** One stored message routed to one destination. */
export interface Job {
  id: number;
  sourceId: string;
  destinationId: string;
  /** Ordering key: one user's jobs are delivered in order (userId, else anonymousId). */
  userKey: string;
  attempts: number;
  /** Epoch ms when the message was received (drives the retry age limit). */
  receivedAt: number;
  message: Message;
}

/** What became of one job after a delivery attempt. */
/** done and dead carry the mapping's warnings (what it fixed), dead also the records that were (or would have
 *  been) sent, so a dead letter shows them beside the original message. */
export type Outcome =
  | { jobId: number; status: 'done'; warnings?: Warning[] }
  /** scope 'request': the whole request failed (destination trouble), so the router backs off the destination
   *  instead of holding back this user alone; 'auth': credentials were refused, so the router pauses the
   *  destination and keeps the job. */
  | { jobId: number; status: 'retry'; code?: string; reason: string; retryAfterMs?: number; scope?: 'record' | 'request' | 'auth' }
  | { jobId: number; status: 'dead'; code: string; reason: string; warnings?: Warning[]; records?: unknown[] }
  /** rule: what filtered it (a connection filter's rule, `function`, `suppressed`); counted per rule. */
  | { jobId: number; status: 'filtered'; reason: string; rule?: string };

/** A job outcome as the router settles it: a retry reaches the store as retry_at (the time of the next
 *  attempt), release (the destination backs off as a whole) or dead (past the retry age limit). */
export type Settlement =
  | Exclude<Outcome, { status: 'retry' }>
  /** Back to pending without a delay (the destination is backing off as a whole); the reason is kept as the job's last error. */
  | { jobId: number; status: 'release'; code?: string; reason?: string }
  | { jobId: number; status: 'retry_at'; nextAt: number; code?: string; reason: string };

/** A warning about a value the mapping had to fix (truncate, stringify, convert). */
export interface Warning {
  code: string;
  message: string;
  field?: string;
}

/** A rejection by the mapping: never retried. `clevertapCode` is CleverTap's own code when one applies. */
export interface TransformError {
  code: string;
  message: string;
  clevertapCode?: number;
}

export type TransformResult<R> =
  | { ok: true; records: R[]; warnings: Warning[] }
  | { ok: false; error: TransformError; filtered?: boolean; warnings?: Warning[] };
