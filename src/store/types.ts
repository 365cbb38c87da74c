// The Store hides the database. SQLite is the embedded default; a PostgreSQL backend implements the same interface.
import type { Job, Settlement } from '../core/job.js';
export type { Settlement };

/** A message ready to store: its canonical JSON (already serialised once at ingest) and where it goes. */
export interface StoredMessage {
  messageId: string;
  userKey: string;
  /** The message's anonymousId when it differs from the user key (an identified visitor's message), so the
   *  user lookup finds it by either id. */
  anonymousId?: string;
  receivedAt: number;
  payload: string;
  /** Destination ids to create jobs for. */
  destinations: string[];
  /** Destination ids this message is filtered from at routing time (loop guard, a connection's filter), with the
   *  rule that filtered it (counted per rule). */
  filtered?: { destination: string; reason: string }[];
}

export interface AppendResult {
  accepted: number;
  /** Index (into the input) of every message dropped as a duplicate of (source, messageId). */
  duplicates: number[];
}

export interface Counts {
  sourceId: string;
  destinationId: string;
  received: number;
  delivered: number;
  dead: number;
  filtered: number;
  /** Jobs still in the store, counted (not derived), so the sum can be checked. */
  pending: number;
  /** Warnings of delivered and dead jobs: values the mapping had to fix or leave out. */
  warnings: number;
  /** The last failed delivery attempt of this connection (a retry, or a whole request that failed), if any. */
  lastError?: LastError;
}

/** Filtered events of a connection by the rule that filtered them. */
export interface FilteredCount {
  sourceId: string;
  destinationId: string;
  rule: string;
  filtered: number;
}

/** Warnings of a connection by warning code (the mapping's fixes: invalid_value, truncated, ...). */
export interface WarningCount {
  sourceId: string;
  destinationId: string;
  code: string;
  warnings: number;
}

export interface LastError {
  code?: string;
  reason: string;
  /** Epoch ms of the attempt. */
  at: number;
}

/** A destination's delivery state as the server last recorded it (the CLI reads it from the store file). */
export interface DestinationState {
  destinationId: string;
  /** Why delivery is paused (credentials refused), or null while it runs. */
  paused: string | null;
  /** Epoch ms of the last change. */
  since: number;
}

export interface SourceCounts {
  sourceId: string;
  received: number;
  duplicates: number;
  rejected: number;
}

export interface DeadLetter {
  id: number;
  jobId: number;
  sourceId: string;
  destinationId: string;
  userKey: string;
  messageId: string;
  code: string;
  reason: string;
  attempts: number;
  receivedAt: number;
  failedAt: number;
  /** The message's type and event (track) or name (page, screen), for listing. */
  messageType?: string;
  event?: string;
  message?: unknown;
  /** What was (or would have been) sent for it, and the mapping's warnings (failure() only, when there were any). */
  records?: unknown[];
  warnings?: { code: string; message: string; field?: string }[];
}

/** Every given field must match (AND). */
export interface FailureFilter {
  destination?: string;
  code?: string;
  /** CleverTap's own code only: the dead letter's code when it is CleverTap's (a per-record answer), or the code
   *  named in its reason as "(CleverTap code 515)" beside Taproute's. */
  clevertapCode?: string;
  /** failedAt range, epoch ms, both ends included. */
  from?: number;
  to?: number;
  /** Dead letter ids; an empty list matches nothing (never "everything"). */
  ids?: number[];
  /** failures(): default 100; replay(): default no limit. */
  limit?: number;
}

/** One destination's outcome of a stored message, as far as the store knows it now. */
export type UserOutcome = { destinationId: string } & (
  | { status: 'pending'; attempts: number; /** Epoch ms of the next attempt when it waits for a retry. */ nextAt?: number; lastError?: string }
  | { status: 'delivered' }
  | { status: 'dead'; code: string; reason: string; deadLetterId: number; at: number }
  | { status: 'filtered'; rule: string }
);

export interface UserMessage {
  /** The stored message's row id (the page cursor). */
  id: number;
  sourceId: string;
  messageId: string;
  receivedAt: number;
  message: unknown;
  outcomes: UserOutcome[];
}

export interface UserMessagesPage {
  messages: UserMessage[];
  /** Pass as `before` for the next (older) page; absent on the last page. */
  next?: number;
}

/**
 * The store's contract. Every method that touches the database returns a promise, so a networked backend
 * (PostgreSQL) implements the same seam as the embedded SQLite one; `test/store/contract.ts` checks both.
 */
export interface Store {
  /**
   * Stores messages and one job per destination; resolves only once they are durably committed (group
   * commit), so a second handle on the same storage sees them. A message whose (source, messageId) was
   * stored within the dedupe window, earlier or in the same call, is dropped and listed in `duplicates`.
   */
  /** `rejected` counts the request's messages refused at ingest (never stored), in the same transaction, so a
   *  failure to count them can never fail a request whose messages were stored. A store that cannot write
   *  (disk full) rejects with a StoreUnavailableError (errors.ts) and stores nothing. */
  append(sourceId: string, msgs: StoredMessage[], rejected?: number): Promise<AppendResult>;
  /**
   * Oldest due jobs of a destination from the given lanes (see lanes.ts), at most `max`, in lane order then
   * id order, skipping users whose earlier job waits for a retry. The caller keeps at most one claim per
   * lane in flight, which is what keeps each user's jobs in order: claiming changes nothing in the store,
   * so claiming a lane again before settling returns the same jobs. The payloads of one claim stay within
   * `maxBytes`, except that a claim always takes at least one job.
   */
  claim(destinationId: string, lanes: readonly number[], max: number, now: number, maxBytes?: number): Promise<Job[]>;
  /** Drops the in-memory claim of a job that could not be settled (it stays pending in the store). */
  forget(jobId: number): void;
  /** False while the store cannot write (disk full: true again once a write succeeds) and for good once an
   *  fsync failed (the kernel may have dropped pages: nothing can be acknowledged safely any more). */
  healthy(): boolean;
  /**
   * Records the outcome of jobs: done, dead (a dead letter; the failed attempt counts), filtered, retry_at
   * (not claimable before nextAt, holds back that user's later jobs) or release (claimable again at once).
   * retry_at and release count an attempt; their reason becomes the job's and its connection's last error.
   * A job already settled or unknown is ignored, so a job is never counted twice; a job claimed by an earlier
   * process (or forgotten) can still be settled. The warnings of done and dead settlements are counted per
   * connection; a dead one keeps its records and warnings with the dead letter. Rejects (StoreUnavailableError)
   * when the store cannot write.
   */
  settle(destinationId: string, settlements: Settlement[], now: number): Promise<void>;
  /** Records that a destination is paused (with the reason) or runs again (reason null). */
  setDestinationPaused(destinationId: string, reason: string | null, now: number): Promise<void>;
  /** Every destination state recorded so far, by destination id. */
  destinationStates(): Promise<DestinationState[]>;
  /** Request-level dedupe (mParticle source_request_id): was this id stored before? */
  seenRequest(sourceId: string, requestId: string): Promise<boolean>;
  /** Records request ids once their messages are committed (so a crash in between loses nothing). */
  rememberRequests(sourceId: string, requestIds: string[], now: number): Promise<void>;
  /** Jobs not yet delivered, dead or filtered, over every destination (the backlog bound). Read on every
   *  ingest request, so it may be kept in memory: changes made through another handle may show only after prune(). */
  pendingTotal(): Promise<number>;
  /** Per connection: received = delivered + dead + filtered + pending. */
  counts(): Promise<Counts[]>;
  /** Per connection and rule (loop_guard, types, where, function, suppressed, destination, ...): filtered counts,
   *  which add up to the connection's `filtered`. A settled filtered job without a rule counts as `destination`. */
  filteredByRule(): Promise<FilteredCount[]>;
  /** Per connection and warning code: the warnings of delivered and dead jobs, which add up to the connection's `warnings`. */
  warningsByCode(): Promise<WarningCount[]>;
  /** Per source: received, duplicates dropped, rejected at ingest. */
  sourceCounts(): Promise<SourceCounts[]>;
  /** Dead letters matching the filter, in the order they failed (oldest first), without their messages. */
  failures(filter: FailureFilter): Promise<DeadLetter[]>;
  /** One dead letter with its message, or undefined. */
  failure(id: number): Promise<DeadLetter | undefined>;
  /** Moves matching dead letters back to pending jobs (attempts 0, receivedAt = now: a fresh retry window); returns how many. */
  replay(filter: FailureFilter, now?: number): Promise<number>;
  /** What is stored for a user key (the userId, or the anonymousId of a message without one), newest first, each
   *  message with every destination's outcome; at most `limit` (default 50, at most 500) messages older than the
   *  cursor `before`. Reads by an index on the user key, never the whole jobs table. Delivered messages stay
   *  only until prune() forgets them. */
  userMessages(userKey: string, page?: { limit?: number; before?: number }): Promise<UserMessagesPage>;
  /** Suppresses these user ids: their later jobs are filtered, never sent. */
  suppress(userIds: string[], now: number): Promise<void>;
  /** Every suppressed user id (the router reads it before each request: keep it cheap). */
  suppressed(): Promise<Set<string>>;
  /**
   * Housekeeping: forgets message ids received before now - dedupeWindowMs (they are accepted again) and
   * request ids remembered more than 30 days ago, deletes messages no job or dead letter refers to, and
   * recounts the backlog.
   */
  prune(now: number, dedupeWindowMs: number): Promise<void>;
  /** Flushes, syncs and closes; resolves once no background thread touches the files any more. */
  close(): Promise<void>;
}
