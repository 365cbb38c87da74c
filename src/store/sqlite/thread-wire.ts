// What the main thread and the store thread (thread.ts, thread-host.ts) post to each other.
import { StoreUnavailableError } from '../errors.js';
import type { Store, StoredMessage } from '../types.js';
import { type PayloadSpans, spansOf } from '../../message/payload-spans.js';

/** The Store methods the store thread answers (claim answers with RawJobs: the caller parses them). */
export type CallName = Exclude<keyof Store, 'healthy' | 'pendingTotal'>;
// A record, not a list: a Store method added without its entry here fails to compile.
const ANSWERED: Record<CallName, true> = {
  append: true, claim: true, settle: true, setDestinationPaused: true, destinationStates: true, seenRequest: true,
  rememberRequests: true, counts: true, filteredByRule: true, warningsByCode: true, sourceCounts: true, failures: true,
  failure: true, replay: true, suppress: true, suppressed: true, prune: true, userMessages: true, close: true, forget: true,
};
export const CALLS: ReadonlySet<string> = new Set(Object.keys(ANSWERED));

export interface Call {
  i: number;
  m: CallName | 'forget';
  a: unknown[];
}

/** The answer to call i: its result or error, with the backlog and health as they are after it. */
export interface Reply {
  i: number;
  r?: unknown;
  e?: WireError;
  /** Jobs pending (the store's in-memory backlog count). */
  p: number;
  h: boolean;
}

export type ThreadEvent =
  | { t: 'ready'; p: number; h: boolean; sup: string[] }
  | { t: 'open-error'; message: string }
  | { t: 'health'; h: boolean };

export interface WireError {
  message: string;
  code?: string;
  unavailable?: boolean;
}

export function errorToWire(err: unknown): WireError {
  const e = err as Error & { code?: unknown };
  return { message: e?.message ?? String(err), code: typeof e?.code === 'string' ? e.code : undefined, unavailable: err instanceof StoreUnavailableError };
}

/** The error as the caller would have seen it on one thread: a StoreUnavailableError stays one (503 at ingest). */
export function errorFromWire(w: WireError): Error {
  const err = w.unavailable ? new StoreUnavailableError(w.message) : new Error(w.message);
  if (w.code) Object.assign(err, { code: w.code });
  return err;
}

/**
 * append's messages as they cross to the store thread: one array per field instead of one object per message.
 * A structured clone writes every object's keys and the thread builds each object again from them; arrays of
 * strings cost about half as much in all (v8.serialize + deserialize of 100 realistic messages: 5.8 µs per message
 * as objects, 3.6 as columns plus building the objects again).
 * Payloads cut from one request body (message/payload-spans.ts) cross as that body, once, in pieces of at most
 * MAX_SHARED_TEXT, with their places in them and their stamps (`texts`, `piece`, `start`, `end`; `payload` then
 * holds the stamps, or whole payloads where start is -1).
 * Numbers cross in typed arrays (one copy of their bytes instead of one value at a time), `filtered` only when a
 * message has one, and a destinations list shared by consecutive messages (accept.ts) crosses once: a structured
 * clone writes an object it already wrote as a reference to it.
 */
export interface AppendColumns {
  messageId: string[];
  userKey: string[];
  anonymousId: (string | undefined)[];
  receivedAt: Float64Array;
  payload: string[];
  destinations: string[][];
  filtered?: StoredMessage['filtered'][];
  texts?: string[];
  piece?: Int32Array;
  start?: Int32Array;
  end?: Int32Array;
}

/**
 * The longest piece of a body that crosses as one string (UTF-16 units). A longer string is a large object to V8
 * (past 128 KB: its own memory mapping), and the store thread took about 3 times as long to read one such string
 * as to read the same bytes as 100 payloads (v8.deserialize, 138 KB).
 */
export const MAX_SHARED_TEXT = 60 * 1024;

/** The body pieces the spanned payloads are cut from: consecutive payloads share a piece while it stays within
 *  MAX_SHARED_TEXT (a payload longer than that has its own). */
function pieces(s: PayloadSpans, c: AppendColumns): void {
  const n = s.start.length;
  const texts: string[] = [];
  const piece = new Int32Array(n);
  const start = new Int32Array(n);
  const end = new Int32Array(n);
  let from = -1;
  let to = -1;
  for (let i = 0; i < n; i++) {
    const a = s.start[i];
    if (a < 0) {
      start[i] = -1;
      continue;
    }
    const b = s.end[i];
    if (from < 0 || a < from || Math.max(to, b) - from > MAX_SHARED_TEXT) {
      if (from >= 0) texts.push(s.text.slice(from, to));
      from = a;
      to = b;
    } else if (b > to) to = b;
    piece[i] = texts.length;
    start[i] = a - from;
    end[i] = b - from;
  }
  if (from >= 0) texts.push(s.text.slice(from, to));
  c.texts = texts;
  c.piece = piece;
  c.start = start;
  c.end = end;
  c.payload = s.rest;
}

export function toColumns(msgs: StoredMessage[]): AppendColumns {
  const n = msgs.length;
  const c: AppendColumns = { messageId: [], userKey: [], anonymousId: [], receivedAt: new Float64Array(n), payload: [], destinations: [] };
  let filtered = false;
  for (let i = 0; i < n; i++) {
    const m = msgs[i];
    c.messageId.push(m.messageId);
    c.userKey.push(m.userKey);
    c.anonymousId.push(m.anonymousId);
    c.receivedAt[i] = m.receivedAt;
    c.destinations.push(m.destinations);
    if (m.filtered !== undefined) filtered = true;
  }
  if (filtered) c.filtered = msgs.map((m) => m.filtered);
  const spans = spansOf(msgs);
  if (spans) pieces(spans, c);
  else for (const m of msgs) c.payload.push(m.payload);
  return c;
}

/** The messages toColumns was given (an absent anonymousId or filtered stays absent). */
export function fromColumns(c: AppendColumns): StoredMessage[] {
  const out: StoredMessage[] = [];
  const { texts, piece, start, end } = c;
  for (let i = 0; i < c.messageId.length; i++) {
    const payload = texts && piece && start && end && start[i] >= 0 ? texts[piece[i]].slice(start[i], end[i]) + c.payload[i] : c.payload[i];
    const m: StoredMessage = { messageId: c.messageId[i], userKey: c.userKey[i], receivedAt: c.receivedAt[i], payload, destinations: c.destinations[i] };
    if (c.anonymousId[i] !== undefined) m.anonymousId = c.anonymousId[i];
    if (c.filtered?.[i] !== undefined) m.filtered = c.filtered[i];
    out.push(m);
  }
  return out;
}
