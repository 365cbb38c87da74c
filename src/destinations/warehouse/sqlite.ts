// The SQLite warehouse (better-sqlite3, synchronous; one connection per destination).
//
// Decisions:
// - SQLite has no schemas: a source's tables are named `<schema>__<table>` in one database file. Sanitised names
//   never contain `__` nor end with `_` (naming.ts), so the split is unambiguous and sources never share a table.
// - Column types are declared BOOLEAN/BIGINT/DOUBLE/TIMESTAMP/TEXT (read back with pragma table_info); booleans
//   are stored as 1/0, timestamps as the original ISO-8601 string. A BIGINT column keeps non-integer numbers as
//   REAL, so SQLite never needs a widening ALTER (caps.integerHoldsDouble).
// - The file is opened on the first delivery (an unopenable file is a retryable error, not a crash), in WAL mode
//   with synchronous=NORMAL and a 5 s busy timeout.
// - Inserts are multi-row (up to 64 rows per statement, within SQLite's 32766 parameters); statements are cached
//   by SQL text (LRU, 256 entries).
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { quoteIdent } from './naming.js';
import type { Scalar } from './rows.js';
import { colTypeOf, type Change, type SchemaCatalog, type TableColumns } from './schema.js';
import { changesByTable, SQL_TYPES, type Dialect, type ErrorClass, type TableWrite } from './dialect.js';

const MAX_PARAMS = 32766;
const ROWS_PER_STATEMENT = 64;
const STATEMENT_CACHE = 256;

const RETRY_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|NOMEM|CORRUPT|PROTOCOL|NOTADB|INTERRUPT|PERM|AUTH)/;

export class SqliteDialect implements Dialect {
  readonly name = 'sqlite' as const;
  readonly caps = { integerHoldsDouble: true };
  private db: Database.Database | null;
  private readonly statements = new Map<string, Database.Statement>();

  /** `target`: a file path (opened lazily), or an open better-sqlite3 database (tests, bench). */
  constructor(private readonly target: string | Database.Database) {
    this.db = typeof target === 'string' ? null : target;
  }

  private open(): Database.Database {
    if (this.db) return this.db;
    const file = this.target as string;
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('busy_timeout = 5000');
    this.db = db;
    return db;
  }

  static tableName(schema: string, table: string): string {
    return `${schema}__${table}`;
  }

  private q(schema: string, table: string): string {
    return quoteIdent(SqliteDialect.tableName(schema, table));
  }

  private stmt(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (s) {
      this.statements.delete(sql);
      this.statements.set(sql, s);
      return s;
    }
    s = this.open().prepare(sql);
    this.statements.set(sql, s);
    if (this.statements.size > STATEMENT_CACHE) this.statements.delete(this.statements.keys().next().value as string);
    return s;
  }

  private readCatalog(schema: string): SchemaCatalog {
    const prefix = `${schema}__`;
    const rows = this.open()
      .prepare(
        `SELECT m.name AS t, p.name AS c, p.type AS ty FROM sqlite_master m, pragma_table_info(m.name) p
         WHERE m.type = 'table' AND substr(m.name, 1, ?) = ? ORDER BY m.name, p.cid`,
      )
      .all(prefix.length, prefix) as { t: string; c: string; ty: string }[];
    const cat: SchemaCatalog = new Map();
    for (const r of rows) {
      const table = r.t.slice(prefix.length);
      let cols = cat.get(table);
      if (!cols) cat.set(table, (cols = new Map()));
      cols.set(r.c, colTypeOf(r.ty));
    }
    return cat;
  }

  async loadCatalog(schema: string): Promise<SchemaCatalog> {
    return this.readCatalog(schema);
  }

  async applyChanges(schema: string, changes: Change[]): Promise<SchemaCatalog> {
    const db = this.open();
    const types = SQL_TYPES.sqlite;
    return db
      .transaction(() => {
        const cat = this.readCatalog(schema);
        for (const [table, list] of changesByTable(changes)) {
          let cols: TableColumns | undefined = cat.get(table);
          const qt = this.q(schema, table);
          for (const c of list) {
            if (c.op === 'createTable') {
              if (cols) continue;
              const defs = c.columns.map(([n, t]) => `${quoteIdent(n)} ${types[t]}${n === 'id' ? ' PRIMARY KEY NOT NULL' : ''}`);
              db.exec(`CREATE TABLE IF NOT EXISTS ${qt} (${defs.join(', ')})`);
              cols = new Map(c.columns);
              cat.set(table, cols);
            } else if (c.op === 'addColumn') {
              if (!cols) throw new Error(`table ${table} missing`);
              if (cols.has(c.column)) continue;
              db.exec(`ALTER TABLE ${qt} ADD COLUMN ${quoteIdent(c.column)} ${types[c.type]}`);
              cols.set(c.column, c.type);
            }
            // 'widen' never happens on SQLite (caps.integerHoldsDouble).
          }
        }
        return cat;
      })
      .immediate();
  }

  private insertSql(w: TableWrite, nrows: number): string {
    const qt = this.q(w.schema, w.table);
    const cols = w.columns.map(quoteIdent);
    const one = `(${cols.map(() => '?').join(',')})`;
    let sql = `INSERT INTO ${qt} (${cols.join(',')}) VALUES ${Array(nrows).fill(one).join(',')} ON CONFLICT("id") DO `;
    if (w.kind !== 'users') return sql + 'NOTHING';
    // users: the newer identify wins column by column; an older one only fills columns still empty.
    const newer = `${qt}."received_at" IS NULL OR julianday(excluded."received_at") >= julianday(${qt}."received_at")`;
    const sets = cols
      .filter((c) => c !== '"id"')
      .map((c) => `${c} = CASE WHEN ${newer} THEN coalesce(excluded.${c}, ${qt}.${c}) ELSE coalesce(${qt}.${c}, excluded.${c}) END`);
    return sql + `UPDATE SET ${sets.join(', ')}`;
  }

  private write(w: TableWrite): void {
    const ncols = w.columns.length;
    const per = Math.max(1, Math.min(ROWS_PER_STATEMENT, Math.floor(MAX_PARAMS / ncols)));
    const conv = (v: Scalar | null) => (typeof v === 'boolean' ? (v ? 1 : 0) : v);
    let i = 0;
    if (w.rows.length >= per && per > 1) {
      const many = this.stmt(this.insertSql(w, per));
      const params: (string | number | null)[] = new Array(per * ncols);
      for (; i + per <= w.rows.length; i += per) {
        let k = 0;
        for (let r = i; r < i + per; r++) for (const v of w.rows[r]) params[k++] = conv(v);
        many.run(params);
      }
    }
    if (i < w.rows.length) {
      const single = this.stmt(this.insertSql(w, 1));
      for (; i < w.rows.length; i++) single.run(w.rows[i].map(conv));
    }
  }

  async loadBatch(writes: TableWrite[]): Promise<void> {
    const db = this.open();
    db.transaction(() => {
      for (const w of writes) this.write(w);
    }).immediate();
  }

  async loadIsolated(units: { key: number; writes: TableWrite[] }[]): Promise<Map<number, unknown>> {
    const db = this.open();
    const failures = new Map<number, unknown>();
    const unit = db.transaction((writes: TableWrite[]) => {
      for (const w of writes) this.write(w);
    });
    db.transaction(() => {
      for (const u of units) {
        try {
          unit(u.writes); // nested: runs under a SAVEPOINT, rolled back alone on error
        } catch (err) {
          if (this.classify(err) !== 'job') throw err;
          failures.set(u.key, err);
        }
      }
    }).immediate();
    return failures;
  }

  classify(err: unknown): ErrorClass {
    const code = (err as { code?: unknown })?.code;
    const msg = err instanceof Error ? err.message : String(err);
    if (typeof code === 'string' && code.startsWith('SQLITE_')) {
      if (RETRY_CODES.test(code)) return 'retry';
      if (/no such table|no such column|has no column named/.test(msg)) return 'schema';
      return 'job';
    }
    return 'retry';
  }

  async close(): Promise<void> {
    this.statements.clear();
    if (this.db && typeof this.target === 'string') {
      this.db.close();
      this.db = null;
    }
  }
}
