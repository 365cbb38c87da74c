// The small interface each warehouse database implements (sqlite.ts, postgres.ts); loader.ts drives it.
import type { ColType, Scalar, TableKind } from './rows.js';
import type { Capabilities, Change, SchemaCatalog } from './schema.js';

/** Rows for one table of one schema; `rows[i][j]` is the value of `columns[j]` (null = no value). */
export interface TableWrite {
  schema: string;
  table: string;
  kind: TableKind;
  columns: string[];
  rows: (Scalar | null)[][];
}

/**
 * How a database error is handled: `retry` = the whole batch is retried later (unreachable server, lock, disk...);
 * `connection` = an open connection was lost (server restarted, backend terminated): the batch is retried once at
 * once on a fresh connection, then as `retry`;
 * `schema` = the cached catalog is stale (table/column missing): drop the cache and retry;
 * `job` = the data of one job is at fault: isolate it and dead-letter it;
 * `auth` = credentials or privileges refused: AuthError (the router pauses the destination, keeping its jobs).
 */
export type ErrorClass = 'retry' | 'connection' | 'schema' | 'job' | 'auth';

export interface Dialect {
  readonly name: 'sqlite' | 'postgres';
  readonly caps: Capabilities;
  /** Reads the tables and columns of one schema from the database catalog. */
  loadCatalog(schema: string): Promise<SchemaCatalog>;
  /**
   * Applies DDL for one schema in its own transaction, serialised with other writers (PostgreSQL advisory lock,
   * SQLite BEGIN IMMEDIATE), skipping what already exists. Returns the schema's catalog after the change.
   */
  applyChanges(schema: string, changes: Change[]): Promise<SchemaCatalog>;
  /** Loads all writes in one transaction (all or nothing). Plain tables: insert, ignoring existing ids; users: upsert. */
  loadBatch(writes: TableWrite[]): Promise<void>;
  /**
   * Loads units in one transaction, each under its own savepoint: a unit failing with a `job` error is rolled back
   * alone and reported; any other error rolls back everything and is thrown.
   */
  loadIsolated(units: { key: number; writes: TableWrite[] }[]): Promise<Map<number, unknown>>;
  classify(err: unknown): ErrorClass;
  close(): Promise<void>;
}

export const SQL_TYPES: Record<'sqlite' | 'postgres', Record<ColType, string>> = {
  postgres: { boolean: 'boolean', bigint: 'bigint', double: 'double precision', timestamp: 'timestamptz', text: 'text' },
  sqlite: { boolean: 'BOOLEAN', bigint: 'BIGINT', double: 'DOUBLE', timestamp: 'TIMESTAMP', text: 'TEXT' },
};

/**
 * Groups changes per table (each table's changes in order), tables sorted by name: DDL and data transactions
 * touch tables in the same order, so they queue behind each other instead of deadlocking.
 */
export function changesByTable(changes: Change[]): [string, Change[]][] {
  const m = new Map<string, Change[]>();
  for (const c of changes) {
    const l = m.get(c.table);
    if (l) l.push(c);
    else m.set(c.table, [c]);
  }
  return [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}
