// Epoch seconds for CleverTap's `ts` from the values messages carry (ISO strings, epoch s, ms or µs, numeric strings).
import { toEpochMs } from '../../message/time.js';

/** A plausible `ts`: 2001-09-09 (1e9) … 2100-01-01. Anything else is a unit mistake or a broken clock. */
export const MIN_TS_SECONDS = 1_000_000_000;
export const MAX_TS_SECONDS = 4_102_444_800;

/** Numbers (and numeric strings) at or above this are microseconds: 1e14 ms would be the year 5138. */
const MICROS = 1e14;
const LONG_DIGITS = /^\s*\d{15,}(\.\d+)?\s*$/;

/**
 * Epoch seconds (integer) from a time value; NaN when it is not a time. Numbers below 1e11 are seconds,
 * below 1e14 milliseconds, above that microseconds.
 */
export function epochSeconds(v: unknown): number {
  let x = v;
  // An ISO time ("YYYY-…") is no run of 15 digits: its 5th character says so without the expression.
  if (typeof v === 'number') {
    if (v >= MICROS) x = v / 1000;
  } else if (typeof v === 'string' && v.length >= 15 && v.charCodeAt(4) !== 45 && LONG_DIGITS.test(v)) {
    const n = Number(v);
    if (n >= MICROS) x = n / 1000;
  }
  const ms = toEpochMs(x);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : NaN;
}

export function plausibleTs(s: number): boolean {
  return s >= MIN_TS_SECONDS && s <= MAX_TS_SECONDS;
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
 * A record's ts: the explicit value (properties.ts / traits.ts) when it is a plausible time, else the message
 * time. An explicit value that is not one is reported and replaced by the message time (rules.ts checks that
 * one in turn: an implausible message time leaves the record without ts).
 */
export function recordSeconds(explicit: unknown, msg: Timed, warnings: { code: string; message: string; field?: string }[]): number | undefined {
  if (explicit !== undefined && explicit !== null && explicit !== '') {
    const s = epochSeconds(explicit);
    if (plausibleTs(s)) return s;
    const why = Number.isFinite(s) ? 'is not a plausible time (2001–2100)' : 'is not a time';
    warnings.push({ code: 'invalid_ts', field: 'ts', message: `ts ${JSON.stringify(explicit)} ${why}: the message time is used` });
  }
  return messageSeconds(msg);
}
