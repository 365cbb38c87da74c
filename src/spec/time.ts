// Time helpers shared by ingest and the mappings.

/** Parses an ISO string, epoch ms or epoch seconds to epoch milliseconds; NaN when it is not a time. */
export function toEpochMs(v: unknown): number {
  if (typeof v === 'number') return v < 1e11 ? v * 1000 : v; // seconds vs milliseconds
  if (typeof v === 'string' && v.trim() !== '') {
    if (/^\d+(\.\d+)?$/.test(v.trim())) return toEpochMs(Number(v));
    return Date.parse(v);
  }
  if (v instanceof Date) return v.getTime();
  return NaN;
}

/**
 * Segment's clock-skew correction: timestamp = receivedAt - (sentAt - originalTimestamp).
 * Without sentAt (or originalTimestamp) the client time is kept as it is.
 */
export function correctedTimestamp(receivedAtMs: number, originalTimestamp?: string, sentAt?: string): number {
  const orig = originalTimestamp ? toEpochMs(originalTimestamp) : NaN;
  const sent = sentAt ? toEpochMs(sentAt) : NaN;
  if (Number.isFinite(orig) && Number.isFinite(sent)) return receivedAtMs - (sent - orig);
  if (Number.isFinite(orig)) return orig;
  return receivedAtMs;
}
