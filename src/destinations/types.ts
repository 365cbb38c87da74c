// The seam between the router and every destination, in the spirit of Segment's action-destinations:
// a destination is a typed definition; mapping (pure) is separate from delivery; every job gets its own outcome.
import type { TSchema, Static } from '@sinclair/typebox';

export type { Job, Outcome, Warning, TransformError, TransformResult } from '../core/job.js';
export { RetryableError, AuthError } from '../core/errors.js';
import type { Job, Outcome } from '../core/job.js';

export interface DeliveryContext {
  log: { info(o: object, msg?: string): void; warn(o: object, msg?: string): void; error(o: object, msg?: string): void };
  /** The id of every configured source (the warehouse derives its schema names from the whole set). */
  sourceIds?: readonly string[];
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
