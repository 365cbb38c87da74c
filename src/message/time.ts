// Time helpers shared by ingest and the mappings.

/** The number written by n ASCII digits at s[i…], else -1. */
export function digits(s: string, i: number, n: number): number {
  let v = 0;
  for (let j = i; j < i + n; j++) {
    const c = s.charCodeAt(j) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/**
 * "YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM|±HHMM]" → epoch ms by a char scan; NaN when it is not that shape
 * (callers fall back to Date.parse). On ingest and in the mappings Date.parse cost more than the rest of the work.
 */
export function parseIsoFast(s: string): number {
  const n = s.length;
  if (n < 20 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return NaN;
  const t = s.charCodeAt(10);
  if (t !== 84 && t !== 116 && t !== 32) return NaN;
  const Y = digits(s, 0, 4), M = digits(s, 5, 2), D = digits(s, 8, 2), h = digits(s, 11, 2), m = digits(s, 14, 2), sec = digits(s, 17, 2);
  if (Y < 0 || M < 1 || M > 12 || D < 1 || D > 31 || h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59) return NaN;
  let i = 19;
  let ms = 0;
  if (s.charCodeAt(i) === 46) {
    i++;
    let scale = 100;
    const start = i;
    while (i < n) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      ms += c * scale;
      scale /= 10;
      i++;
    }
    if (i === start) return NaN;
    ms = Math.floor(ms);
  }
  let off = 0;
  const z = s.charCodeAt(i);
  if ((z === 90 || z === 122) && i + 1 === n) off = 0;
  else if ((z === 43 || z === 45) && (i + 6 === n || i + 5 === n)) {
    const oh = digits(s, i + 1, 2);
    const om = i + 6 === n ? (s.charCodeAt(i + 3) === 58 ? digits(s, i + 4, 2) : -1) : digits(s, i + 3, 2);
    if (oh < 0 || om < 0) return NaN;
    off = (oh * 60 + om) * 60000 * (z === 43 ? 1 : -1);
  } else return NaN;
  return utcMs(Y, M, D, h, m, sec, ms) - off;
}

/**
 * Date.UTC(Y, M - 1, D, h, m, s, ms) for the fields parseIsoFast reads (Y 0–9999, M 1–12, D 1–31, integers), in
 * arithmetic: Date.UTC is a call into the runtime that cost more than the rest of the parse. Days from the civil
 * date as in https://howardhinnant.github.io/date_algorithms.html#days_from_civil; years 0–99 are 1900–1999, as
 * Date.UTC reads them; a day past the month's end runs into the next month, as it does there.
 */
function utcMs(Y: number, M: number, D: number, h: number, m: number, s: number, ms: number): number {
  const y = (Y <= 99 ? Y + 1900 : Y) - (M <= 2 ? 1 : 0);
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (M > 2 ? M - 3 : M + 9) + 2) / 5) + D - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  const days = era * 146097 + doe - 719468;
  return days * 86_400_000 + ((h * 60 + m) * 60 + s) * 1000 + ms;
}

/** The largest time a JavaScript Date holds (±100,000,000 days); beyond it toISOString() throws. */
export const MAX_TIME_MS = 8.64e15;

/** An ISO string for epoch ms, or undefined when the value is not a representable time. */
export function isoOrUndefined(ms: number): string | undefined {
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_TIME_MS ? new Date(ms).toISOString() : undefined;
}

/** Parses an ISO string, epoch ms or epoch seconds (numbers below 1e11) to epoch milliseconds; NaN when it is not a time. */
export function toEpochMs(v: unknown): number {
  const ms = parseTime(v);
  return Math.abs(ms) <= MAX_TIME_MS ? ms : NaN;
}

function parseTime(v: unknown): number {
  if (typeof v === 'number') return v < 1e11 ? v * 1000 : v;
  if (typeof v === 'string') {
    const fast = parseIsoFast(v);
    if (fast === fast) return fast;
    const s = v.trim();
    if (s === '') return NaN;
    return /^\d+(\.\d+)?$/.test(s) ? parseTime(Number(s)) : Date.parse(s);
  }
  if (v instanceof Date) return v.getTime();
  return NaN;
}

/**
 * Segment's clock-skew correction: timestamp = receivedAt - (sentAt - originalTimestamp).
 * Without sentAt (or originalTimestamp) the client time is kept as it is.
 */
export function correctedTimestamp(receivedAtMs: number, originalTimestamp?: string, sentAt?: string): number {
  return correctedTimestampMs(receivedAtMs, originalTimestamp ? toEpochMs(originalTimestamp) : NaN, sentAt ? toEpochMs(sentAt) : NaN);
}

/** correctedTimestamp from the times already read (NaN for one that is absent or not a time). */
export function correctedTimestampMs(receivedAtMs: number, orig: number, sent: number): number {
  if (Number.isFinite(orig) && Number.isFinite(sent)) return receivedAtMs - (sent - orig);
  if (Number.isFinite(orig)) return orig;
  return receivedAtMs;
}
