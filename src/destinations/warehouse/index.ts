// The warehouse destination (`type: warehouse`): Segment's warehouse layout on an embedded SQLite file or on
// PostgreSQL. See naming.ts, rows.ts, schema.ts, loader.ts and the dialects for the decisions.
//
// Settings: exactly one of `sqlite` (file path) or `postgres` (connection URL); `schemaPrefix` is prepended to the
// source id before sanitising (schema = sanitise(schemaPrefix + sourceId), with a hash suffix only for configured
// source ids that collide: naming.ts); `batchSize` (default 500) is the number of jobs per transaction.
// maxInFlight: 1 for SQLite (one writer), 2 for PostgreSQL. The configured source ids come from the create context
// (`ctx.sourceIds`, every source of the config, so two warehouse destinations on one database agree on names).
import { isAbsolute, resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { defineDestination, type DeliveryContext } from '../types.js';
import type { Dialect } from './dialect.js';
import { WarehouseDeliverer } from './loader.js';
import { PostgresDialect } from './postgres.js';
import { messageToRows } from './rows.js';
import { SqliteDialect } from './sqlite.js';

export const DEFAULT_BATCH_SIZE = 500;

const common = {
  schemaPrefix: Type.Optional(Type.String({ maxLength: 32, description: 'Prefix of the per-source schema name' })),
  batchSize: Type.Integer({ minimum: 1, maximum: 10000, default: DEFAULT_BATCH_SIZE, description: 'Messages per load transaction' }),
};
/** Exactly one of `sqlite` or `postgres` (a union, so config validation catches both/neither at load time). */
export const WarehouseSettingsSchema = Type.Union([
  Type.Object(
    { sqlite: Type.String({ minLength: 1, description: 'SQLite database file (created if missing)' }), ...common },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      // Checked at load, so a typo fails the start rather than the first delivery.
      postgres: Type.String({ pattern: '^postgres(ql)?://[^\\s/?#]+(/[^\\s]*)?$', description: 'a PostgreSQL URL such as postgres://user:pass@host:5432/db' }),
      ...common,
    },
    { additionalProperties: false },
  ),
]);
export type WarehouseSettings = Static<typeof WarehouseSettingsSchema>;

/** Builds the Deliverer over a given dialect (used by create(); tests and the bench pass their own). */
export function createWarehouseDeliverer(dialect: Dialect, settings: { schemaPrefix?: string; batchSize?: number }, ctx: DeliveryContext): WarehouseDeliverer {
  return new WarehouseDeliverer(
    dialect,
    {
      batchSize: settings.batchSize ?? DEFAULT_BATCH_SIZE,
      maxInFlight: dialect.name === 'sqlite' ? 1 : 2,
      schemaPrefix: settings.schemaPrefix,
      sourceIds: ctx.sourceIds,
    },
    ctx,
  );
}

export const warehouseDestination = defineDestination({
  type: 'warehouse',
  settingsSchema: WarehouseSettingsSchema,
  create(settings, ctx) {
    const dialect: Dialect =
      'sqlite' in settings
        ? new SqliteDialect(settings.sqlite)
        : new PostgresDialect(settings.postgres, { maxConnections: 3, onError: (err) => ctx.log.warn({ err: err.message }, 'warehouse postgres idle client error') });
    return createWarehouseDeliverer(dialect, settings, ctx);
  },
  /** The rows the message would load (tables as named inside the source's schema; uuid_ts is now). */
  transform(message) {
    const r = messageToRows(message, new Date().toISOString());
    return r.ok ? { ok: true, records: r.rows, warnings: [] } : { ok: false, error: { code: 'warehouse_reject', message: r.reason } };
  },
  /** A relative SQLite file is relative to the config file. */
  resolvePaths: (settings, baseDir) => ('sqlite' in settings && !isAbsolute(settings.sqlite) ? { ...settings, sqlite: resolve(baseDir, settings.sqlite) } : settings),
});

/** Defaults and checks warehouse settings given outside a config file. */
export function parseWarehouseSettings(raw: unknown): WarehouseSettings {
  return warehouseDestination.checkSettings(raw);
}

export { WarehouseDeliverer } from './loader.js';
export { SqliteDialect } from './sqlite.js';
export { PostgresDialect } from './postgres.js';
