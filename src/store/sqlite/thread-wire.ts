// What the main thread and the store thread (thread.ts, thread-host.ts) post to each other.
import { StoreUnavailableError } from '../errors.js';
import type { Store } from '../types.js';

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
