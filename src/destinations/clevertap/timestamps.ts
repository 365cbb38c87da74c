// Epoch seconds for CleverTap's `ts` from the values messages carry (ISO strings, epoch s or ms, numeric strings).
import { toEpochMs } from '../../spec/time.js';

/** Epoch seconds (integer) from a time value; NaN when it is not a time. Numbers below 1e11 are seconds. */
export function epochSeconds(v: unknown): number {
  const ms = toEpochMs(v);
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
