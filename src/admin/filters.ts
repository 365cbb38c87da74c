// The dead-letter filter shared by the admin API (query string or body) and `taproute failures` (options).
import type { FailureFilter } from '../store/types.js';

/** Reads a failure filter from query or body fields (times as ISO strings or epoch ms). */
export function failureFilter(q: Record<string, unknown>): FailureFilter {
  const bad = (what: string) => Object.assign(new Error(`invalid ${what}`), { statusCode: 400 });
  const time = (v: unknown, what: string) => {
    if (v === undefined || v === '') return undefined;
    const t = /^\d+$/.test(String(v)) ? Number(v) : Date.parse(String(v));
    if (!Number.isFinite(t)) throw bad(`${what} "${String(v).slice(0, 40)}": use an ISO time (2026-01-31T12:00:00Z) or epoch milliseconds`);
    return t;
  };
  const ids = q.ids === undefined ? undefined : (Array.isArray(q.ids) ? q.ids : String(q.ids).split(',').filter((x) => x !== '')).map(Number);
  if (ids?.some((i) => !Number.isInteger(i))) throw bad('ids');
  const limit = q.limit === undefined ? undefined : Number(q.limit);
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) throw bad('limit');
  return {
    destination: q.destination ? String(q.destination) : undefined,
    code: q.code ? String(q.code) : undefined,
    clevertapCode: q.clevertapCode ? String(q.clevertapCode) : undefined,
    from: time(q.from ?? q.since, q.from === undefined ? 'since' : 'from'),
    to: time(q.to ?? q.until, q.to === undefined ? 'until' : 'to'),
    ids,
    limit,
  };
}
