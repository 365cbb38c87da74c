// Epoch seconds for CleverTap's `ts` from the values messages carry (ISO strings, epoch s or ms, numeric strings).
// ISO-8601 with a zone is parsed by a char scan: Date.parse costs more than the rest of a track mapping.

function digits(s: string, i: number, n: number): number {
  let v = 0;
  for (let j = i; j < i + n; j++) {
    const c = s.charCodeAt(j) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** "YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM|±HHMM]" → epoch ms; NaN when it is not that shape (caller falls back). */
function fastIso(s: string): number {
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
  return Date.UTC(Y, M - 1, D, h, m, sec, ms) - off;
}

/** Epoch seconds (integer) from a time value; NaN when it is not a time. Numbers below 1e11 are seconds. */
export function epochSeconds(v: unknown): number {
  let ms: number;
  if (typeof v === 'number') ms = v < 1e11 ? v * 1000 : v;
  else if (typeof v === 'string') {
    ms = fastIso(v);
    if (ms !== ms) {
      const s = v.trim();
      if (s === '') return NaN;
      ms = /^\d+(\.\d+)?$/.test(s) ? epochSeconds(Number(s)) * 1000 : Date.parse(s);
    }
  } else if (v instanceof Date) ms = v.getTime();
  else return NaN;
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : NaN;
}

interface Timed {
  timestamp?: string;
  originalTimestamp?: string;
}

/** The message's event time in epoch seconds: timestamp, else originalTimestamp; undefined when neither parses. */
export function messageSeconds(msg: Timed): number | undefined {
  let s = msg.timestamp === undefined ? NaN : epochSeconds(msg.timestamp);
  if (!(s > 0) && msg.originalTimestamp !== undefined) s = epochSeconds(msg.originalTimestamp);
  return s > 0 ? s : undefined;
}

/**
 * A record's ts: the explicit value (properties.ts / traits.ts) when it is a time, else the message time.
 * An explicit value that is not a time is reported and replaced by the message time.
 */
export function recordSeconds(explicit: unknown, msg: Timed, warnings: { code: string; message: string; field?: string }[]): number | undefined {
  if (explicit !== undefined && explicit !== null && explicit !== '') {
    const s = epochSeconds(explicit);
    if (s > 0) return s;
    warnings.push({ code: 'invalid_ts', field: 'ts', message: `ts ${JSON.stringify(explicit)} is not a time: the message time is used` });
  }
  return messageSeconds(msg);
}
