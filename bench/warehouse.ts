// Warehouse load rate: ~50k realistic track messages (× BENCH_SCALE) loaded through the warehouse Deliverer into
// SQLite and into PostgreSQL, each printed next to a bulk insert of the same rows in the same run:
// - SQLite baseline: one transaction of prepared single-row INSERTs into plain tables with the same columns;
// - PostgreSQL baseline: COPY ... FROM STDIN (text format) into plain tables with the same columns, through a tiny
//   pg Submittable (pg has no COPY helper without pg-copy-streams).
// One message = one row in `tracks` + one row in its event table, in both subject and baseline; rates are
// messages/s. Baselines get the rows pre-converted (the subject's message → row conversion, schema checks,
// primary key and ON CONFLICT are exactly the overhead being measured). PostgreSQL is TAPROUTE_BENCH_PG, else
// TAPROUTE_TEST_PG, else postgres://postgres@127.0.0.1:5432/test; it is skipped with a note when unreachable.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { measure, report } from './lib.js';
import { parseWarehouseSettings, warehouseDestination } from '../src/destinations/warehouse/index.js';
import { quoteIdent } from '../src/destinations/warehouse/naming.js';
import { messageToRows, type ColType, type Scalar } from '../src/destinations/warehouse/rows.js';
import { Planner } from '../src/destinations/warehouse/schema.js';
import { buildWrites } from '../src/destinations/warehouse/loader.js';
import type { TableWrite } from '../src/destinations/warehouse/dialect.js';
import { SQL_TYPES } from '../src/destinations/warehouse/dialect.js';
import type { Deliverer, Job } from '../src/destinations/types.js';
import type { Message } from '../src/message/schema.js';

const PG_URL = process.env.TAPROUTE_BENCH_PG ?? process.env.TAPROUTE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';
const log = { info() {}, warn() {}, error() {} };

const EVENTS = ['Product Viewed', 'Product Added', 'Checkout Started', 'Order Completed', 'Signed In'];

/** Deterministic realistic track messages; `tag` makes messageIds unique per set. */
function makeMessages(n: number, tag: string): Message[] {
  const out: Message[] = new Array(n);
  const base = Date.parse('2024-05-01T00:00:00.000Z');
  for (let i = 0; i < n; i++) {
    const t = new Date(base + i * 1000).toISOString();
    out[i] = {
      type: 'track',
      messageId: `${tag}-${i}-${(i * 2654435761) >>> 0}`,
      event: EVENTS[i % EVENTS.length],
      userId: `user-${i % 5000}`,
      anonymousId: `anon-${(i * 7) % 9000}`,
      receivedAt: t,
      sentAt: t,
      timestamp: t,
      originalTimestamp: t,
      context: {
        library: { name: 'analytics-node', version: '3.1.0' },
        ip: `10.${i % 256}.${(i >> 8) % 256}.1`,
        locale: 'en-US',
        userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
        device: { type: i % 3 === 0 ? 'ios' : 'android', model: 'Pixel 8' },
        os: { name: 'Android', version: '14' },
        page: { path: '/products/123', url: 'https://shop.example.com/products/123' },
      },
      properties: {
        product_id: `sku-${i % 1000}`,
        name: `Product ${i % 1000}`,
        category: ['Shoes', 'Bags', 'Hats'][i % 3],
        price: (i % 200) + 0.99,
        quantity: (i % 5) + 1,
        currency: 'USD',
        in_stock: i % 7 !== 0,
        coupon: i % 4 === 0 ? 'SPRING' : 'NONE',
        position: i % 24,
        added_at: t,
      },
    };
  }
  return out;
}

function jobsOf(messages: Message[], sourceId: string): Job[] {
  return messages.map((message, i) => ({ id: i + 1, sourceId, destinationId: 'bench', userKey: String(message.userId), attempts: 0, receivedAt: 0, message }));
}

async function deliverAll(d: Deliverer, jobs: Job[], inFlight: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const batch = jobs.slice(next, next + d.maxBatch);
      next += d.maxBatch;
      const out = await d.deliver(batch);
      for (const o of out) if (o.status !== 'done') throw new Error(`bench job not loaded: ${JSON.stringify(o)}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/** The physical rows the messages become (tracks + event tables), with column types, for the baselines. */
function physicalWrites(messages: Message[]): { writes: TableWrite[]; types: Map<string, Map<string, ColType>> } {
  const planner = new Planner(new Map(), { integerHoldsDouble: false });
  const loadedAt = new Date().toISOString();
  const phys = messages.map((m) => {
    const r = messageToRows(m, loadedAt);
    if (!r.ok) throw new Error(r.reason);
    return r.rows.map((row) => planner.planRow(row));
  });
  const types = new Map<string, Map<string, ColType>>();
  for (const c of planner.changes) {
    if (c.op === 'createTable') types.set(c.table, new Map(c.columns));
    else if (c.op === 'addColumn') types.get(c.table)!.set(c.column, c.type);
    else types.get(c.table)!.set(c.column, 'double');
  }
  return { writes: buildWrites([{ schema: 'bench', phys: phys.flat() }], false), types };
}

// ---- PostgreSQL COPY FROM STDIN through pg's Submittable hook ----
interface CopyConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}
class CopyFrom implements pg.Submittable {
  readonly done: Promise<void>;
  private resolve!: () => void;
  private reject!: (e: Error) => void;
  private error: Error | null = null;
  constructor(private readonly text: string, private readonly chunks: Buffer[]) {
    this.done = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
  }
  submit(connection: pg.Connection): void {
    (connection as unknown as CopyConnection).query(this.text);
  }
  handleCopyInResponse(connection: CopyConnection): void {
    for (const c of this.chunks) connection.sendCopyFromChunk(c);
    connection.endCopyFrom();
  }
  handleError(err: Error): void {
    this.error = err;
  }
  handleReadyForQuery(): void {
    if (this.error) this.reject(this.error);
    else this.resolve();
  }
  handleCommandComplete(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

function copyText(v: Scalar | null): string {
  if (v === null) return '\\N';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'number') return String(v);
  return v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

function copyChunks(w: TableWrite): Buffer[] {
  const chunks: Buffer[] = [];
  let buf: string[] = [];
  let size = 0;
  for (const row of w.rows) {
    const line = row.map(copyText).join('\t') + '\n';
    buf.push(line);
    size += line.length;
    if (size > 256 * 1024) {
      chunks.push(Buffer.from(buf.join(''), 'utf8'));
      buf = [];
      size = 0;
    }
  }
  if (buf.length) chunks.push(Buffer.from(buf.join(''), 'utf8'));
  return chunks;
}

function createPlainTables(writes: TableWrite[], types: Map<string, Map<string, ColType>>, dialect: 'sqlite' | 'postgres', name: (t: string) => string): string[] {
  return writes.map((w) => {
    const t = types.get(w.table)!;
    return `CREATE TABLE ${name(w.table)} (${w.columns.map((c) => `${quoteIdent(c)} ${SQL_TYPES[dialect][t.get(c)!]}`).join(', ')})`;
  });
}

async function pgReachable(): Promise<boolean> {
  const c = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    await c.end();
    return true;
  } catch {
    return false;
  }
}

export async function run(): Promise<void> {
  const scale = Number(process.env.BENCH_SCALE ?? 1);
  const n = Math.max(1000, Math.round(50_000 * scale));
  const tag = randomBytes(3).toString('hex');
  const sets = [makeMessages(n, `${tag}w`), makeMessages(n, `${tag}m`)];
  const { writes, types } = physicalWrites(sets[1]);
  const dir = mkdtempSync(join(tmpdir(), 'taproute-bench-wh-'));
  const notes = [`${n.toLocaleString('en-US')} track messages, ${EVENTS.length} event names, 10 properties, 11 context fields; 1 message = 1 tracks row + 1 event-table row`];

  // ---- SQLite ----
  try {
    const file = join(dir, 'warehouse.db');
    const d = warehouseDestination.create(parseWarehouseSettings({ sqlite: file, schemaPrefix: 'bench_' }), { log });
    let call = 0;
    const subject = await measure(`deliverer → SQLite (batch ${d.maxBatch})`, 'msg', n, () => deliverAll(d, jobsOf(sets[call++ % 2], 'web'), 1));
    await d.close();
    const db = new Database(join(dir, 'baseline.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    let round = 0;
    const baseline = await measure('baseline: prepared INSERTs, 1 transaction', 'msg', n, () => {
      const r = round++;
      const name = (t: string) => quoteIdent(`plain${r}__${t}`);
      for (const sql of createPlainTables(writes, types, 'sqlite', name)) db.exec(sql);
      db.transaction(() => {
        for (const w of writes) {
          const st = db.prepare(`INSERT INTO ${name(w.table)} (${w.columns.map(quoteIdent).join(',')}) VALUES (${w.columns.map(() => '?').join(',')})`);
          for (const row of w.rows) st.run(row.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v)));
        }
      })();
    });
    db.close();
    report('Warehouse load: SQLite', subject, baseline, notes);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // ---- PostgreSQL ----
  if (!(await pgReachable())) {
    console.log(`\n== Warehouse load: PostgreSQL\nskipped: no PostgreSQL at ${PG_URL.replace(/\/\/[^@]*@/, '//***@')}`);
    return;
  }
  const prefix = `bench_${tag}_`;
  const admin = new pg.Pool({ connectionString: PG_URL, max: 1, options: '-c TimeZone=UTC' });
  try {
    const d = warehouseDestination.create(parseWarehouseSettings({ postgres: PG_URL, schemaPrefix: prefix }), { log });
    let call = 0;
    const subject = await measure(`deliverer → PostgreSQL (batch ${d.maxBatch}, ${d.maxInFlight} in flight)`, 'msg', n, () =>
      deliverAll(d, jobsOf(sets[call++ % 2], 'web'), d.maxInFlight),
    );
    await d.close();
    const schema = `${prefix}copy`;
    await admin.query(`CREATE SCHEMA ${quoteIdent(schema)}`);
    let round = 0;
    const baseline = await measure('baseline: COPY FROM STDIN', 'msg', n, async () => {
      const r = round++;
      const name = (t: string) => `${quoteIdent(schema)}.${quoteIdent(`r${r}_${t}`)}`;
      for (const sql of createPlainTables(writes, types, 'postgres', name)) await admin.query(sql);
      const client = await admin.connect();
      try {
        await client.query('BEGIN');
        for (const w of writes) {
          const copy = client.query(new CopyFrom(`COPY ${name(w.table)} (${w.columns.map(quoteIdent).join(',')}) FROM STDIN`, copyChunks(w)));
          await copy.done;
        }
        await client.query('COMMIT');
      } finally {
        client.release();
      }
    });
    report('Warehouse load: PostgreSQL', subject, baseline, notes);
  } finally {
    const r = await admin.query(`SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`, [prefix]);
    for (const { nspname } of r.rows) await admin.query(`DROP SCHEMA ${quoteIdent(nspname)} CASCADE`);
    await admin.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
