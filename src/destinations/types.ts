// The seam between the router and every destination, in the spirit of Segment's action-destinations
// (https://github.com/segmentio/action-destinations, destination-kit): a destination is a typed definition that
// carries its settings schema (with defaults) and its capabilities; mapping (pure) is separate from delivery; every
// job gets its own outcome. Settings are defaulted and checked once, when the config is loaded: every capability
// below receives complete settings of its own type and never parses them again.
import { Type, type Static, type TLiteral, type TObject, type TSchema, type TString } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import type { CleverTapDeviceSettings } from '../clevertap/platform.js';
import { ConfigId } from '../config/id.js';
import { explainValue } from '../util/schema-error.js';
import type { InboundMessage } from '../message/schema.js';
import type { TransformResult } from '../core/job.js';

export type { Job, Outcome, Warning, TransformError, TransformResult } from '../core/job.js';
export { RetryableError, AuthError } from '../core/errors.js';
import type { Job, Outcome } from '../core/job.js';

export interface DeliveryContext {
  log: { info(o: object, msg?: string): void; warn(o: object, msg?: string): void; error(o: object, msg?: string): void };
  /** The id of every configured source (the warehouse derives its schema names from the whole set). */
  sourceIds?: readonly string[];
  /** Slots shared by every node of a cluster (absent on a single node): acquire resolves to the slot's release. */
  sharedSlots?: { acquire(key: string, limit: number): Promise<() => void> };
}

export interface Deliverer {
  /** Maximum jobs the router should hand over in one call. */
  readonly maxBatch: number;
  /** Maximum concurrent deliver() calls. */
  readonly maxInFlight: number;
  /** Delivers a batch; returns one outcome per job (any order), or throws RetryableError / AuthError for the whole batch.
   *  It may replace a job's message, once mapped, by the message's ids and times (type, messageId, userId,
   *  anonymousId, timestamp, receivedAt): all the router reads of it afterwards. */
  deliver(jobs: Job[]): Promise<Outcome[]>;
  close(): Promise<void>;
}

/**
 * What a destination type can do, over its (complete, checked) settings. Only `type` and `create` are required.
 * Function-typed properties, not methods, so that settings types are checked strictly (no bivariance).
 */
export interface DestinationCapabilities<T extends string, Settings> {
  /** The `type` of its config entries. */
  readonly type: T;
  /** The platform it delivers into. Messages whose source declares the same `origin` are held back by the loop
   *  guard unless the connection allows the loop. */
  readonly platform?: string;
  /** The deliverer the router hands jobs to. */
  readonly create: (settings: Settings, ctx: DeliveryContext) => Deliverer;
  /** Pure dry run of one message: what would be sent (records) and what was fixed (warnings), or a rejection.
   *  `taproute transform` uses it. */
  readonly transform?: (message: InboundMessage, settings: Settings) => TransformResult<unknown>;
  /** Settings a dry run may leave out, with stand-in values (credentials play no part in a mapping). */
  readonly dryRunSettings?: Partial<Settings>;
  /** Deletes users' data in the destination (the admin API's `suppress_with_delete` regulation). */
  /** The public settings the app's own SDK kit needs when a connection runs in device mode. */
  readonly deviceMode?: (settings: Settings) => CleverTapDeviceSettings;
  readonly deleteUsers?: (settings: Settings, userIds: string[]) => Promise<{ deleted: number }>;
  /** Resolves file paths in the settings against the config file's folder (at config load). */
  readonly resolvePaths?: (settings: Settings, baseDir: string) => Settings;
}

/** The config entry of one destination: `{id, type, settings}`. */
export type DestinationEntrySchema<T extends string, S extends TSchema> = TObject<{ id: TString; type: TLiteral<T>; settings: S }>;

export interface DestinationDefinition<T extends string = string, S extends TSchema = TSchema> extends DestinationCapabilities<T, Static<S>> {
  /** Settings schema. Defaults are declared in it (`default`) and applied once, at config load. */
  readonly settingsSchema: S;
  /** The config entry schema (built by defineDestination from `type` and `settingsSchema`). */
  readonly entrySchema: DestinationEntrySchema<T, S>;
  /** Applies the defaults to raw settings given outside a config file and checks them; throws one line naming
   *  the bad key (built by defineDestination). */
  readonly checkSettings: (raw: unknown) => Static<S>;
}

/** Declares a destination type; keeps its literal `type` and settings type for the registry and the config schema. */
export function defineDestination<const T extends string, S extends TSchema>(def: DestinationCapabilities<T, Static<S>> & { settingsSchema: S }): DestinationDefinition<T, S> {
  const entrySchema = Type.Object({ id: ConfigId, type: Type.Literal(def.type), settings: def.settingsSchema }, { additionalProperties: false });
  const checkSettings = (raw: unknown): Static<S> => {
    const settings = Value.Default(def.settingsSchema, Value.Clone(raw));
    if (Value.Check(def.settingsSchema, settings)) return settings;
    throw new Error(`invalid ${def.type} settings: ${explainValue(def.settingsSchema, settings)}`);
  };
  return { ...def, entrySchema, checkSettings };
}
