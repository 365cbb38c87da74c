// The seam between the router and every destination, in the spirit of Segment's action-destinations:
// a destination is a typed definition; mapping (pure) is separate from delivery; every job gets its own outcome.
import type { TSchema, Static } from '@sinclair/typebox';
import type { Message } from '../spec/message.js';

/** One stored message routed to one destination. */
export interface Job {
  id: number;
  sourceId: string;
  destinationId: string;
  /** Ordering key: one user's jobs are delivered in order (userId, else anonymousId). */
  userKey: string;
  attempts: number;
  /** Epoch ms when the message was received (drives the retry age limit). */
  receivedAt: number;
  message: Message;
}

/** What became of one job after a delivery attempt. */
export type Outcome =
  | { jobId: number; status: 'done' }
  /** scope 'request': the whole request failed (destination trouble), so the router backs off the destination
   *  instead of holding back this user alone; 'auth': credentials were refused, so the router pauses the
   *  destination and keeps the job. */
  | { jobId: number; status: 'retry'; code?: string; reason: string; retryAfterMs?: number; scope?: 'record' | 'request' | 'auth' }
  | { jobId: number; status: 'dead'; code: string; reason: string }
  | { jobId: number; status: 'filtered'; reason: string };

/** A warning about a value the mapping had to fix (truncate, stringify, convert). */
export interface Warning {
  code: string;
  message: string;
  field?: string;
}

/** A rejection by the mapping: never retried. `clevertapCode` is CleverTap's own code when one applies. */
export interface TransformError {
  code: string;
  message: string;
  clevertapCode?: number;
}

export type TransformResult<R> =
  | { ok: true; records: R[]; warnings: Warning[] }
  | { ok: false; error: TransformError; filtered?: boolean };

/** Raised by deliverers; the router turns it into retry or pause. */
export class RetryableError extends Error {
  constructor(message: string, readonly retryAfterMs?: number, readonly code = 'retryable') {
    super(message);
  }
}
/** Credentials refused: the router pauses the destination and keeps its jobs. */
export class AuthError extends Error {
  constructor(message: string, readonly code = 'auth') {
    super(message);
  }
}

export interface DeliveryContext {
  log: { info(o: object, msg?: string): void; warn(o: object, msg?: string): void; error(o: object, msg?: string): void };
}

export interface Deliverer {
  /** Maximum jobs the router should hand over in one call. */
  readonly maxBatch: number;
  /** Maximum concurrent deliver() calls. */
  readonly maxInFlight: number;
  /** Delivers a batch; returns one outcome per job (any order), or throws RetryableError / AuthError for the whole batch. */
  deliver(jobs: Job[]): Promise<Outcome[]>;
  close(): Promise<void>;
}

export interface DestinationDefinition<S extends TSchema = TSchema> {
  type: string;
  settingsSchema: S;
  create(settings: Static<S>, ctx: DeliveryContext): Deliverer;
}
