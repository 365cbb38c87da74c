// The PostgreSQL warehouse (pg Pool).
//
// Decisions:
// - One PostgreSQL schema per source (`CREATE SCHEMA` when missing); sessions run with TimeZone=UTC so a
//   timestamp without zone is read as UTC.
// - Types: boolean, bigint, double precision, timestamptz, text. The catalog is read from
//   information_schema.columns.
// - DDL runs in its own short transaction under `pg_advisory_xact_lock(hashtext('taproute.warehouse:' || schema))`,
//   so concurrent deliveries and other Taproute processes never race on CREATE TABLE / ADD COLUMN; data
//   transactions never take that lock.
// - Inserts are multi-row statements chunked under the 65535-parameter limit (and 1000 rows), with
//   `ON CONFLICT ("id") DO NOTHING`; `users` is upserted column by column (newer received_at wins, an older
//   identify only fills empty columns). The SQL text is cached per (table, kind, column list, row count): a
//   batch's full chunks and the per-job savepoint inserts reuse it (oldest entries dropped past 256 entries or
//   4M characters).
// - NUL characters (which PostgreSQL text cannot hold) are replaced by U+FFFD.
// - SQLSTATE classes 22 (data), 23 (constraint), 54 (limits), 0A (unsupported) and 42 (except undefined
//   table/column/schema, which mean a stale cache) are blamed on the job's data; class 28 (authentication) and
//   42501 (insufficient privilege) raise AuthError; everything else (40, 53, 55, 57P03...) is retryable.
//   A lost connection (class 08, 57P01/57P02/57P05 such as pg_terminate_backend or a server restart, 25P03, a reset
//   socket, or node-postgres' "Connection terminated" errors) is `connection`: the loader retries at once on a
//   fresh connection (https://www.postgresql.org/docs/current/errcodes-appendix.html).
// - A client checked out for a transaction carries an 'error' listener: node-postgres emits 'error' on a client
//   whose connection dies, and the pool listens only to idle clients, so without it a terminated backend is an
//   uncaught exception (https://node-postgres.com/apis/pool#events). A broken client is released with its error,
//   which makes the pool discard it (https://node-postgres.com/apis/pool#releasing-clients).
import pg from 'pg';
import { quoteIdent } from './naming.js';
import type { Scalar } from './rows.js';
import { colTypeOf, type Change, type SchemaCatalog, type TableColumns } from './schema.js';
import { changesByTable, SQL_TYPES, type Dialect, type ErrorClass, type TableWrite } from './dialect.js';

const MAX_PARAMS = 65535;
const MAX_ROWS_PER_STATEMENT = 1000;
const SQL_CACHE_ENTRIES = 256;
const SQL_CACHE_CHARS = 4_000_000;

type Queryable = Pick<pg.PoolClient, 'query'>;

/** Session ended by the server: admin_shutdown, crash_shutdown, idle_session_timeout, idle-in-transaction timeout. */
const LOST_SQLSTATES: ReadonlySet<string> = new Set(['57P01', '57P02', '57P05', '25P03']);
/** Socket errors of an open connection (a refused or timed-out connect is not a lost connection: it backs off). */
const LOST_SOCKET: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE']);
/** node-postgres' errors for a connection that ended under a client (they carry no code). */
const LOST_MESSAGE = /^Connection terminated( unexpectedly)?$|not queryable/;

export class PostgresDialect implements Dialect {
  readonly name = 'postgres' as const;
  readonly caps = { integerHoldsDouble: false };
  readonly pool: pg.Pool;
  /** Insert SQL by (kind, row count, schema, table, columns); insertion-ordered, the oldest evicted first. */
  private readonly sqlCache = new Map<string, string>();
  private sqlCacheChars = 0;

  constructor(connectionString: string, opts: { maxConnections?: number; onError?: (err: Error) => void } = {}) {
    this.pool = new pg.Pool({
      connectionString,
      max: opts.maxConnections ?? 3,
      options: '-c TimeZone=UTC',
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: 10_000,
    });
    // An idle client losing its connection must not crash the process; the next query reconnects.
    this.pool.on('error', (err) => opts.onError?.(err));
  }

  private q(schema: string, table: string): string {
    return `${quoteIdent(schema)}.${quoteIdent(table)}`;
  }

  private async readCatalog(c: Queryable, schema: string): Promise<SchemaCatalog> {
    const r = await c.query<{ t: string; c: string; ty: string }>(
      `SELECT table_name AS t, column_name AS c, data_type AS ty FROM information_schema.columns
       WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
      [schema],
    );
    const cat: SchemaCatalog = new Map();
    for (const row of r.rows) {
      let cols = cat.get(row.t);
      if (!cols) cat.set(row.t, (cols = new Map()));
      cols.set(row.c, colTypeOf(row.ty));
    }
    return cat;
  }

  async loadCatalog(schema: string): Promise<SchemaCatalog> {
    return this.readCatalog(this.pool, schema);
  }

  private async tx<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    let broken: Error | undefined;
    const onError = (err: Error) => {
      broken ??= err;
    };
    c.on('error', onError);
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (err) {
      if (!broken) {
        try {
          await c.query('ROLLBACK');
        } catch (e) {
          broken = e as Error;
        }
      }
      throw err;
    } finally {
      c.removeListener('error', onError);
      c.release(broken);
    }
  }

  async applyChanges(schema: string, changes: Change[]): Promise<SchemaCatalog> {
    const types = SQL_TYPES.postgres;
    return this.tx(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`taproute.warehouse:${schema}`]);
      const ns = await c.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (ns.rowCount === 0) await c.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      const cat = await this.readCatalog(c, schema);
      for (const [table, list] of changesByTable(changes)) {
        let cols: TableColumns | undefined = cat.get(table);
        const qt = this.q(schema, table);
        const create: [string, string][] = [];
        const alter: string[] = [];
        let creating = false;
        for (const ch of list) {
          if (ch.op === 'createTable') {
            if (cols) continue;
            creating = true;
            cols = new Map(ch.columns);
            cat.set(table, cols);
            for (const [n, t] of ch.columns) create.push([n, types[t]]);
          } else if (ch.op === 'addColumn') {
            if (!cols) throw new Error(`table ${table} missing`);
            if (cols.has(ch.column)) continue;
            cols.set(ch.column, ch.type);
            if (creating) create.push([ch.column, types[ch.type]]);
            else alter.push(`ADD COLUMN IF NOT EXISTS ${quoteIdent(ch.column)} ${types[ch.type]}`);
          } else if (ch.op === 'widen') {
            if (!cols || cols.get(ch.column) !== 'bigint') continue;
            cols.set(ch.column, 'double');
            alter.push(`ALTER COLUMN ${quoteIdent(ch.column)} TYPE double precision`);
          }
        }
        if (create.length > 0) {
          const defs = create.map(([n, t]) => `${quoteIdent(n)} ${t}${n === 'id' ? ' PRIMARY KEY' : ''}`);
          await c.query(`CREATE TABLE IF NOT EXISTS ${qt} (${defs.join(', ')})`);
        }
        if (alter.length > 0) await c.query(`ALTER TABLE ${qt} ${alter.join(', ')}`);
      }
      return cat;
    });
  }

  private insertSql(w: TableWrite, nrows: number): string {
    const key = `${w.kind}\u0000${nrows}\u0000${w.schema}\u0000${w.table}\u0000${w.columns.join('\u0000')}`;
    const hit = this.sqlCache.get(key);
    if (hit !== undefined) return hit;
    const sql = this.buildInsertSql(w, nrows);
    this.sqlCache.set(key, sql);
    this.sqlCacheChars += key.length + sql.length;
    while (this.sqlCache.size > 1 && (this.sqlCache.size > SQL_CACHE_ENTRIES || this.sqlCacheChars > SQL_CACHE_CHARS)) {
      const [k, v] = this.sqlCache.entries().next().value as [string, string];
      this.sqlCache.delete(k);
      this.sqlCacheChars -= k.length + v.length;
    }
    return sql;
  }

  private buildInsertSql(w: TableWrite, nrows: number): string {
    const qt = this.q(w.schema, w.table);
    const cols = w.columns.map(quoteIdent);
    const n = cols.length;
    const tuples: string[] = new Array(nrows);
    for (let r = 0; r < nrows; r++) {
      const p: string[] = new Array(n);
      for (let j = 0; j < n; j++) p[j] = `$${r * n + j + 1}`;
      tuples[r] = `(${p.join(',')})`;
    }
    const head = `INSERT INTO ${qt} AS t (${cols.join(',')}) VALUES ${tuples.join(',')} ON CONFLICT ("id") DO `;
    if (w.kind !== 'users') return head + 'NOTHING';
    const newer = `t."received_at" IS NULL OR excluded."received_at" >= t."received_at"`;
    const sets = cols
      .filter((c) => c !== '"id"')
      .map((c) => `${c} = CASE WHEN ${newer} THEN coalesce(excluded.${c}, t.${c}) ELSE coalesce(t.${c}, excluded.${c}) END`);
    return head + `UPDATE SET ${sets.join(', ')}`;
  }

  private async write(c: Queryable, w: TableWrite): Promise<void> {
    const n = w.columns.length;
    const per = Math.max(1, Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(MAX_PARAMS / n)));
    const conv = (v: Scalar | null) => (typeof v === 'string' && v.includes('\u0000') ? v.replace(/\u0000/g, '\uFFFD') : v);
    for (let i = 0; i < w.rows.length; i += per) {
      const chunk = w.rows.slice(i, i + per);
      const values: (Scalar | null)[] = new Array(chunk.length * n);
      let k = 0;
      for (const row of chunk) for (const v of row) values[k++] = conv(v);
      await c.query(this.insertSql(w, chunk.length), values);
    }
  }

  async loadBatch(writes: TableWrite[]): Promise<void> {
    await this.tx(async (c) => {
      for (const w of writes) await this.write(c, w);
    });
  }

  async loadIsolated(units: { key: number; writes: TableWrite[] }[]): Promise<Map<number, unknown>> {
    const failures = new Map<number, unknown>();
    await this.tx(async (c) => {
      for (const u of units) {
        await c.query('SAVEPOINT taproute_job');
        try {
          for (const w of u.writes) await this.write(c, w);
          await c.query('RELEASE SAVEPOINT taproute_job');
        } catch (err) {
          if (this.classify(err) !== 'job') throw err;
          await c.query('ROLLBACK TO SAVEPOINT taproute_job');
          await c.query('RELEASE SAVEPOINT taproute_job');
          failures.set(u.key, err);
        }
      }
    });
    return failures;
  }

  classify(err: unknown): ErrorClass {
    const code = (err as { code?: unknown })?.code;
    if (typeof code === 'string' && LOST_SOCKET.has(code)) return 'connection';
    if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return LOST_MESSAGE.test(err instanceof Error ? err.message : '') ? 'connection' : 'retry';
    if (code.startsWith('08') || LOST_SQLSTATES.has(code)) return 'connection';
    if (code === '42P01' || code === '42703' || code === '3F000') return 'schema';
    const cls = code.slice(0, 2);
    if (cls === '28' || code === '42501') return 'auth'; // bad credentials / insufficient privilege: not the data
    return cls === '22' || cls === '23' || cls === '54' || cls === '42' || cls === '0A' ? 'job' : 'retry';
  }

  async close(): Promise<void> {
    this.sqlCache.clear();
    this.sqlCacheChars = 0;
    await this.pool.end();
  }
}
