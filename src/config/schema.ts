// Taproute's configuration: one TypeBox schema gives both validation and types. Sources and destinations are
// unions built from their registries, so each type's entry is checked by its own schema (settings included).
import { Type, type Static } from '@sinclair/typebox';
import { DESTINATION_DEFINITIONS } from '../destinations/registry.js';
import { MESSAGE_TYPES } from '../message/schema.js';
import { SOURCE_DEFINITIONS } from '../sources/registry.js';

const Duration = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: '^[0-9]+(ms|s|m|h|d)$' })], {
  description: 'milliseconds, or a string such as 30s, 5m, 24h',
});

/** One member per source type (src/sources/registry.ts), tagged by `type`: the schema knows which keys each needs. */
export const SourceSchema = Type.Union(SOURCE_DEFINITIONS.map((d) => d.entrySchema));
export type SourceConfig = Static<typeof SourceSchema>;

/** One member per destination type (src/destinations/registry.ts), tagged by `type`, with that type's settings schema. */
export const DestinationSchema = Type.Union(DESTINATION_DEFINITIONS.map((d) => d.entrySchema));
export type DestinationConfig = Static<typeof DestinationSchema>;

const Names = Type.Array(Type.String({ minLength: 1 }));

/** Per-connection filter (src/connections/filter.ts): rules on the message as received, then dropFields. */
export const FilterSchema = Type.Object(
  {
    types: Type.Optional(Type.Array(Type.Union(MESSAGE_TYPES.map((t) => Type.Literal(t))))),
    /** track/page/screen names let through, `*` as a wildcard. */
    allowEvents: Type.Optional(Names),
    /** track/page/screen names held back, `*` as a wildcard; applied after allowEvents. */
    denyEvents: Type.Optional(Names),
    /** A condition on the message (src/connections/expr.ts), e.g. "properties.env != 'test'". */
    where: Type.Optional(Type.String({ minLength: 1 })),
    /** Dotted paths removed before the function and the destination see the message. */
    dropFields: Type.Optional(Names),
  },
  { additionalProperties: false },
);

export const ConnectionSchema = Type.Object(
  {
    source: Type.String(),
    destination: Type.String(),
    /** Events go to a destination of the platform they came from (CleverTap) only when this is true (loop guard). */
    allowCleverTapLoop: Type.Optional(Type.Boolean()),
    /**
     * The source's SDK settings name this CleverTap destination as a device-mode integration (account id and region,
     * plus the public account token the mobile kits need when given); never the passcode.
     */
    deviceMode: Type.Optional(
      Type.Union([Type.Boolean(), Type.Object({ accountToken: Type.Optional(Type.String({ minLength: 1 })) }, { additionalProperties: false })]),
    ),
    filter: Type.Optional(FilterSchema),
    /** A JavaScript or TypeScript module exporting transform(message, ctx), run before the destination maps. */
    function: Type.Optional(Type.String({ minLength: 1 })),
    /** Time limit of the function per event (default 100ms). */
    functionTimeout: Type.Optional(Duration),
  },
  { additionalProperties: false },
);
export type ConnectionConfig = Static<typeof ConnectionSchema>;

export const ConfigSchema = Type.Object(
  {
    server: Type.Optional(
      Type.Object(
        {
          port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
          host: Type.Optional(Type.String()),
          /** A request must arrive whole within this (else 408); default 30s. */
          requestTimeout: Type.Optional(Duration),
          /**
           * Processes of this `taproute start` sharing the port, each a node of the cluster (PostgreSQL store only):
           * an integer, or "auto" for one per core the process may use (os.availableParallelism()); default 1.
           */
          processes: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Literal('auto')])),
        },
        { additionalProperties: false },
      ),
    ),
    storage: Type.Optional(
      Type.Object(
        {
          sqlite: Type.Optional(Type.String({ minLength: 1, description: 'the store file, e.g. data/taproute.sqlite' })),
          /** A PostgreSQL URL: the store lives there instead of SQLite, and several nodes can share it (docs/cluster.md). */
          postgres: Type.Optional(Type.String({ minLength: 1 })),
          /** FULL fsyncs every group commit (survives power loss); NORMAL survives process crashes only. */
          synchronous: Type.Optional(Type.Union([Type.Literal('FULL'), Type.Literal('NORMAL')])),
        },
        { additionalProperties: false },
      ),
    ),
    cluster: Type.Optional(
      Type.Object(
        {
          /** How long a silent node keeps its lanes before the other nodes take them over (default 10s). */
          leaseTimeout: Type.Optional(Duration),
        },
        { additionalProperties: false },
      ),
    ),
    ingest: Type.Optional(
      Type.Object(
        {
          maxEventBytes: Type.Optional(Type.Integer({ minimum: 1 })),
          maxRequestBytes: Type.Optional(Type.Integer({ minimum: 1 })),
          maxBatchEvents: Type.Optional(Type.Integer({ minimum: 1 })),
          dedupeWindow: Type.Optional(Duration),
          /** Pending jobs above which ingest answers 429 with Retry-After. */
          maxBacklog: Type.Optional(Type.Integer({ minimum: 1 })),
        },
        { additionalProperties: false },
      ),
    ),
    router: Type.Optional(
      Type.Object(
        {
          /** Retry a failing event until it is this old, then dead-letter it. */
          maxRetryAge: Type.Optional(Duration),
          retryBase: Type.Optional(Duration),
          retryMax: Type.Optional(Duration),
          pollInterval: Type.Optional(Duration),
        },
        { additionalProperties: false },
      ),
    ),
    admin: Type.Optional(Type.Object({ token: Type.Optional(Type.String({ minLength: 8 })) }, { additionalProperties: false })),
    log: Type.Optional(Type.Object({ level: Type.Optional(Type.String()) }, { additionalProperties: false })),
    sources: Type.Array(SourceSchema, { default: [] }),
    destinations: Type.Array(DestinationSchema, { default: [] }),
    connections: Type.Array(ConnectionSchema, { default: [] }),
  },
  { additionalProperties: false },
);
export type Config = Static<typeof ConfigSchema>;
