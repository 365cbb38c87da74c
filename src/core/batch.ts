// What every deliverer and the router share about a request that failed as a whole: one outcome per job, and
// the server's Retry-After read one way.
import { AuthError, RetryableError } from './errors.js';
import type { Outcome } from './job.js';

/** A Retry-After above this is capped: a hostile or mistaken value must not stall delivery for days. */
export const MAX_RETRY_AFTER_MS = 3_600_000;

// Signed, so that a negative delay is clamped to 0 rather than read by Date.parse as a year.
const DELAY_SECONDS = /^-?\d+(\.\d+)?$/;

/**
 * Retry-After as milliseconds from `now`: delay-seconds ("0", "120", "1.5") or an HTTP date
 * (https://www.rfc-editor.org/rfc/rfc9110#field.retry-after). A negative delay or a date in the past is 0; anything
 * that is neither form is undefined (the caller's own backoff applies). Capped at MAX_RETRY_AFTER_MS.
 */
export function parseRetryAfter(value: string | readonly string[] | undefined, now = Date.now()): number | undefined {
  const v = typeof value === 'string' ? value : value?.[0];
  if (!v) return undefined;
  const s = v.trim();
  let ms: number;
  if (DELAY_SECONDS.test(s)) ms = Math.round(Number(s) * 1000);
  else {
    const t = Date.parse(s);
    if (Number.isNaN(t)) return undefined;
    ms = t - now;
  }
  return Math.min(Math.max(ms, 0), MAX_RETRY_AFTER_MS);
}

/** The errors a deliverer raises on purpose for a whole request (anything else is a bug worth logging). */
export function isBatchError(err: unknown): err is RetryableError | AuthError {
  return err instanceof RetryableError || err instanceof AuthError;
}

/**
 * One `retry` outcome per job for a failure of the whole request: AuthError → scope 'auth' (the router pauses
 * the destination and keeps the jobs); RetryableError → scope 'request' with its code and Retry-After (the router
 * backs the destination off); any other error → scope 'request', code `delivery_error`.
 */
export function batchFailureOutcomes(jobs: readonly { id: number }[], err: unknown): Outcome[] {
  const known = isBatchError(err);
  const code = known ? err.code : 'delivery_error';
  const reason = err instanceof Error ? err.message : String(err);
  const scope = err instanceof AuthError ? 'auth' : 'request';
  const retryAfterMs = err instanceof RetryableError ? err.retryAfterMs : undefined;
  return jobs.map((j) => {
    const o: Outcome = { jobId: j.id, status: 'retry', code, reason, scope };
    if (retryAfterMs !== undefined) o.retryAfterMs = retryAfterMs;
    return o;
  });
}
