// The warehouse destination end to end, on a real SQLite file and on a real PostgreSQL server (a database of
// this file's own, see test/pg.ts). Every assertion runs on both databases.
// Each run uses its own schema prefix and drops its schemas at the end, so test files can run in parallel.
import { test, describe, before, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { warehouseDestination, parseWarehouseSettings, createWarehouseDeliverer, PostgresDialect, SqliteDialect } from '../../../src/destinations/warehouse/index.js';
import { schemaName } from '../../../src/destinations/warehouse/naming.js';
import { colTypeOf } from '../../../src/destinations/warehouse/schema.js';
import type { ColType } from '../../../src/destinations/warehouse/rows.js';
import { AuthError, RetryableError, type Deliverer, type Job, type Outcome } from '../../../src/destinations/types.js';
import type { Message } from '../../../src/message/schema.js';
import { testDatabaseUrl } from '../../pg.js';

const PG_URL = await testDatabaseUrl();
const PREFIX = `twh_${randomBytes(4).toString('hex')}_`;
const T0 = '2024-05-01T12:00:00.000Z';
const T1 = '2024-05-01T13:00:00.000Z';
const T2 = '2024-05-01T14:00:00.000Z';
const SAFE = /^[a-z_][a-z0-9_]*$/;
const log = { info() {}, warn() {}, error() {} };
/**
 * The source ids configured beside the warehouse (as the server passes them): ids that sanitise alike, so their
 * schemas need the hash suffix. The other ids these tests use are not configured and keep their plain names.
 */
const SOURCE_IDS = ['MySource', 'my-source', 'my_source', 'pg_foo', '_pg_foo', '1abc', '_1abc'];
const schemaOf = (source: string) => schemaName(source, PREFIX, SOURCE_IDS);

type Row = Record<string, unknown>;

interface Harness {
  kind: 'sqlite' | 'postgres';
  settings(): Record<string, unknown>;
  tables(source: string): Promise<string[]>;
  columns(source: string, table: string): Promise<Record<string, ColType>>;
  /** Rows ordered by id, values normalised: bigint/double → number, boolean → boolean, timestamp → ISO string. */
  rows(source: string, table: string): Promise<Row[]>;
  exec(sql: string): Promise<void>;
  /** Qualified, quoted table name for raw SQL. */
  qualified(source: string, table: string): string;
  close(): Promise<void>;
}

function normalise(row: Row, types: Record<string, ColType>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    if (v === null || v === undefined) continue; // absent and NULL are the same to these tests
    const t = types[k];
    if (t === 'bigint' || t === 'double') out[k] = Number(v);
    else if (t === 'boolean') out[k] = v === true || v === 1;
    else if (t === 'timestamp') out[k] = v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
    else out[k] = v;
  }
  return out;
}

class SqliteHarness implements Harness {
  kind = 'sqlite' as const;
  readonly dir = mkdtempSync(join(tmpdir(), 'taproute-wh-'));
  readonly file = join(this.dir, 'warehouse.db');
  private db: Database.Database | null = null;
  private get conn(): Database.Database {
    if (!this.db) {
      this.db = new Database(this.file);
      this.db.pragma('busy_timeout = 5000');
    }
    return this.db;
  }
  settings() {
    return { sqlite: this.file, schemaPrefix: PREFIX };
  }
  qualified(source: string, table: string) {
    return `"${schemaOf(source)}__${table}"`;
  }
  async tables(source: string) {
    const p = `${schemaOf(source)}__`;
    return (this.conn.prepare(`SELECT name FROM sqlite_master WHERE type='table' AND substr(name,1,?)=? ORDER BY name`).all(p.length, p) as { name: string }[]).map((r) =>
      r.name.slice(p.length),
    );
  }
  async columns(source: string, table: string) {
    const r = this.conn.prepare(`SELECT name, type FROM pragma_table_info(?)`).all(`${schemaOf(source)}__${table}`) as { name: string; type: string }[];
    return Object.fromEntries(r.map((c) => [c.name, colTypeOf(c.type)]));
  }
  async rows(source: string, table: string) {
    const types = await this.columns(source, table);
    return (this.conn.prepare(`SELECT * FROM ${this.qualified(source, table)} ORDER BY id`).all() as Row[]).map((r) => normalise(r, types));
  }
  async exec(sql: string) {
    this.conn.exec(sql);
  }
  async close() {
    this.db?.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

class PostgresHarness implements Harness {
  kind = 'postgres' as const;
  readonly pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
  settings() {
    return { postgres: PG_URL, schemaPrefix: PREFIX };
  }
  qualified(source: string, table: string) {
    return `"${schemaOf(source)}"."${table}"`;
  }
  async tables(source: string) {
    const r = await this.pool.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [schemaOf(source)]);
    return r.rows.map((x) => x.table_name as string);
  }
  async columns(source: string, table: string) {
    const r = await this.pool.query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`, [
      schemaOf(source),
      table,
    ]);
    return Object.fromEntries(r.rows.map((c) => [c.column_name as string, colTypeOf(c.data_type as string)]));
  }
  async rows(source: string, table: string) {
    const types = await this.columns(source, table);
    const r = await this.pool.query(`SELECT * FROM ${this.qualified(source, table)} ORDER BY id`);
    return r.rows.map((x) => normalise(x, types));
  }
  async exec(sql: string) {
    await this.pool.query(sql);
  }
  async close() {
    const r = await this.pool.query(`SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`, [PREFIX]);
    for (const { nspname } of r.rows) await this.pool.query(`DROP SCHEMA "${nspname}" CASCADE`);
    await this.pool.end();
  }
}

let seq = 0;
function msg(type: Message['type'], extra: Partial<Message> = {}): Message {
  seq++;
  return { type, messageId: `msg-${String(seq).padStart(5, '0')}`, receivedAt: T0, timestamp: T0, anonymousId: 'anon-1', ...extra } as Message;
}
let jobSeq = 0;
function jobsOf(messages: Message[], sourceId = 'web'): Job[] {
  return messages.map((message) => ({ id: ++jobSeq, sourceId, destinationId: 'wh', userKey: String(message.userId ?? message.anonymousId), attempts: 0, receivedAt: 0, message }));
}
function assertAllDone(out: Outcome[], jobs: Job[]): void {
  assert.deepEqual(
    [...out].sort((a, b) => a.jobId - b.jobId),
    jobs.map((j) => ({ jobId: j.id, status: 'done' })),
  );
}

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`warehouse on ${kind}`, () => {
    let h: Harness;
    const open: Deliverer[] = [];
    const make = (extra: Record<string, unknown> = {}): Deliverer => {
      const d = warehouseDestination.create(parseWarehouseSettings({ ...h.settings(), ...extra }), { log, sourceIds: SOURCE_IDS });
      open.push(d);
      return d;
    };
    let d: Deliverer;
    const load = async (messages: Message[], sourceId = 'web'): Promise<Job[]> => {
      const jobs = jobsOf(messages, sourceId);
      assertAllDone(await d.deliver(jobs), jobs);
      return jobs;
    };
    before(() => {
      h = kind === 'sqlite' ? new SqliteHarness() : new PostgresHarness();
      d = make();
    });
    after(async () => {
      for (const x of open) await x.close();
      await h.close();
    });

    test('every table and fixed column of Segment’s layout', async () => {
      const src = 'layout';
      const ctx = { library: { name: 'analytics.js', version: '5.1.0' }, device: { type: 'ios', id: 'dev-1' }, ip: '10.0.0.1' };
      const msgs = [
        msg('identify', { userId: 'u1', sentAt: T0, originalTimestamp: T0, context: ctx, traits: { email: 'ann@example.com', name: 'Ann', age: 33 } }),
        msg('track', { userId: 'u1', event: 'Order Completed', context: ctx, properties: { total: 42, revenue: 41.5, currency: 'EUR' } }),
        msg('page', { userId: 'u1', name: 'Home', category: 'Landing', properties: { url: 'https://example.com/', path: '/' } }),
        msg('screen', { userId: 'u1', name: 'Cart', properties: { items: 2 } }),
        msg('alias', { userId: 'u1', previousId: 'anon-1' }),
        msg('group', { userId: 'u1', groupId: 'acme', traits: { employees: 500, industry: 'Retail' } }),
      ];
      const before = Date.now();
      await load(msgs, src);
      assert.deepEqual(await h.tables(src), ['aliases', 'groups', 'identifies', 'order_completed', 'pages', 'screens', 'tracks', 'users']);
      const common = ['id', 'received_at', 'sent_at', 'timestamp', 'original_timestamp', 'uuid_ts', 'user_id', 'anonymous_id'];
      for (const t of ['identifies', 'tracks', 'order_completed', 'pages', 'screens', 'aliases', 'groups']) {
        const cols = await h.columns(src, t);
        for (const c of common) assert.ok(c in cols, `${t}.${c}`);
        assert.equal(cols.id, 'text');
        assert.equal(cols.received_at, 'timestamp');
      }
      const [ident] = await h.rows(src, 'identifies');
      assert.equal(ident.id, msgs[0].messageId);
      assert.equal(ident.received_at, T0);
      assert.equal(ident.sent_at, T0);
      assert.equal(ident.timestamp, T0);
      assert.equal(ident.original_timestamp, T0);
      assert.ok(Date.parse(ident.uuid_ts as string) >= before - 1000, 'uuid_ts is the load time');
      assert.equal(ident.user_id, 'u1');
      assert.equal(ident.anonymous_id, 'anon-1');
      assert.equal(ident.email, 'ann@example.com');
      assert.equal(ident.name, 'Ann');
      assert.equal(ident.age, 33);
      assert.equal(ident.context_library_name, 'analytics.js');
      assert.equal(ident.context_library_version, '5.1.0');
      assert.equal(ident.context_device_type, 'ios');
      assert.equal(ident.context_ip, '10.0.0.1');

      const [user] = await h.rows(src, 'users');
      assert.deepEqual({ id: user.id, email: user.email, name: user.name, age: user.age, anonymous_id: user.anonymous_id }, {
        id: 'u1', email: 'ann@example.com', name: 'Ann', age: 33, anonymous_id: 'anon-1',
      });

      const [tr] = await h.rows(src, 'tracks');
      assert.equal(tr.event, 'order_completed');
      assert.equal(tr.event_text, 'Order Completed');
      assert.equal(tr.context_device_id, 'dev-1');
      assert.ok(!('total' in (await h.columns(src, 'tracks'))), 'tracks carries no properties');
      const [oc] = await h.rows(src, 'order_completed');
      assert.equal(oc.id, msgs[1].messageId);
      assert.deepEqual([oc.event, oc.event_text, oc.total, oc.revenue, oc.currency, oc.context_library_name], ['order_completed', 'Order Completed', 42, 41.5, 'EUR', 'analytics.js']);

      const [page] = await h.rows(src, 'pages');
      assert.deepEqual([page.name, page.category, page.url, page.path], ['Home', 'Landing', 'https://example.com/', '/']);
      const [screen] = await h.rows(src, 'screens');
      assert.deepEqual([screen.name, screen.items], ['Cart', 2]);
      const [alias] = await h.rows(src, 'aliases');
      assert.deepEqual([alias.user_id, alias.previous_id], ['u1', 'anon-1']);
      const [group] = await h.rows(src, 'groups');
      assert.deepEqual([group.group_id, group.employees, group.industry], ['acme', 500, 'Retail']);
    });

    test('context flattening and column typing', async () => {
      const src = 'typing';
      await load(
        [
          msg('track', {
            event: 'Typed',
            context: { app: { build: { number: 7, flags: ['a', 'b'] } }, traits: { email: 'x@y.z' }, locale: 'en-US' },
            properties: {
              int: 7,
              big: 2 ** 40,
              dbl: 0.25,
              bool: true,
              ts: '2024-02-29T10:00:00Z',
              tsz: '2024-02-29T10:00:00.123+05:30',
              date: '2024-02-29',
              str: 'hello',
              arr: [1, 'two', { three: 3 }],
              obj: { a: { b: 'deep' }, n: 1 },
              nothing: null,
            },
          }),
        ],
        src,
      );
      const cols = await h.columns(src, 'typed');
      assert.deepEqual(
        [cols.int, cols.big, cols.dbl, cols.bool, cols.ts, cols.tsz, cols.date, cols.str, cols.arr, cols.obj_a_b, cols.obj_n],
        ['bigint', 'bigint', 'double', 'boolean', 'timestamp', 'timestamp', 'text', 'text', 'text', 'text', 'bigint'],
      );
      assert.ok(!('nothing' in cols), 'no column for a null value');
      assert.equal(cols.context_app_build_number, 'bigint');
      const [r] = await h.rows(src, 'typed');
      assert.equal(r.int, 7);
      assert.equal(r.big, 2 ** 40);
      assert.equal(r.dbl, 0.25);
      assert.equal(r.bool, true);
      assert.equal(r.ts, '2024-02-29T10:00:00.000Z');
      assert.equal(r.tsz, '2024-02-29T04:30:00.123Z');
      assert.equal(r.date, '2024-02-29');
      assert.equal(r.arr, '[1,"two",{"three":3}]');
      assert.equal(r.obj_a_b, 'deep');
      assert.equal(r.context_app_build_number, 7);
      assert.equal(r.context_app_build_flags, '["a","b"]');
      assert.equal(r.context_traits_email, 'x@y.z');
      assert.equal(r.context_locale, 'en-US');
    });

    test('new columns are added as new fields appear', async () => {
      const src = 'evolve';
      const [a] = await load([msg('track', { event: 'Signed Up', properties: { plan: 'free' } })], src);
      assert.deepEqual(Object.keys(await h.columns(src, 'signed_up')).filter((c) => c === 'plan' || c === 'referrer' || c === 'seats'), ['plan']);
      const [b] = await load([msg('track', { event: 'Signed Up', properties: { plan: 'pro', referrer: 'ad', seats: 3 }, context: { campaign: { source: 'g' } } })], src);
      const cols = await h.columns(src, 'signed_up');
      assert.equal(cols.referrer, 'text');
      assert.equal(cols.seats, 'bigint');
      assert.equal(cols.context_campaign_source, 'text');
      const rows = await h.rows(src, 'signed_up');
      assert.equal(rows.length, 2);
      assert.deepEqual([rows[0].id, rows[0].plan, rows[0].referrer], [a.message.messageId, 'free', undefined]);
      assert.deepEqual([rows[1].id, rows[1].plan, rows[1].referrer, rows[1].seats, rows[1].context_campaign_source], [b.message.messageId, 'pro', 'ad', 3, 'g']);
      // a fresh deliverer (cold cache, e.g. after a restart) reads the catalog and goes on
      const d2 = make();
      const [c] = jobsOf([msg('track', { event: 'Signed Up', properties: { plan: 'team', discount: 0.1 } })], src);
      assertAllDone(await d2.deliver([c]), [c]);
      assert.equal((await h.rows(src, 'signed_up')).length, 3);
      assert.equal((await h.columns(src, 'signed_up')).discount, 'double');
    });

    test('type conflicts never lose the value (across batches and within one batch)', async () => {
      const src = 'conflict';
      await load([msg('track', { event: 'Conf', properties: { n: 1, flag: true, s: 'text', when: '2024-01-01T00:00:00Z', code: 10 } })], src);
      await load(
        [
          msg('track', { event: 'Conf', properties: { n: 2.5, flag: 'maybe', s: 99, when: 'later', code: 'A-1' } }),
          msg('track', { event: 'Conf', properties: { n: 3, flag: 7, s: false, code: 11, fresh: 1 } }),
          msg('track', { event: 'Conf', properties: { fresh: 'now text' } }),
        ],
        src,
      );
      const cols = await h.columns(src, 'conf');
      if (kind === 'postgres') assert.equal(cols.n, 'double', 'bigint widened to double');
      assert.equal(cols.flag, 'boolean');
      assert.equal(cols.flag__text, 'text');
      assert.equal(cols.s, 'text');
      assert.equal(cols.when, 'timestamp');
      assert.equal(cols.when__text, 'text');
      assert.equal(cols.code, 'bigint');
      assert.equal(cols.code__text, 'text');
      assert.equal(cols.fresh, 'bigint');
      assert.equal(cols.fresh__text, 'text');
      const rows = await h.rows(src, 'conf');
      assert.deepEqual(
        rows.map((r) => [r.n, r.flag, r.flag__text, r.s, r.when, r.when__text, r.code, r.code__text, r.fresh, r.fresh__text]),
        [
          [1, true, undefined, 'text', '2024-01-01T00:00:00.000Z', undefined, 10, undefined, undefined, undefined],
          [2.5, undefined, 'maybe', '99', undefined, 'later', undefined, 'A-1', undefined, undefined],
          [3, undefined, '7', 'false', undefined, undefined, 11, undefined, 1, undefined],
          [undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, undefined, 'now text'],
        ],
      );
    });

    test('a property named x_text keeps its own column, apart from the overflow of x', async () => {
      const src = 'overflow';
      await load(
        [
          msg('track', { event: 'Ov', properties: { x: 1 } }),
          msg('track', { event: 'Ov', properties: { x: 'abc', x_text: 'def' } }),
          msg('track', { event: 'Ov', properties: { x: 'ghi' } }),
          msg('track', { event: 'Ov', properties: { x_text: 'jkl' } }),
        ],
        src,
      );
      await load([msg('track', { event: 'Ov', properties: { x_text: 'mno', x: 'pqr' } })], src);
      const cols = await h.columns(src, 'ov');
      assert.equal(cols.x, 'bigint');
      assert.equal(cols.x__text, 'text');
      assert.equal(cols.x_text, 'text');
      assert.ok(!Object.keys(cols).some((c) => c.startsWith('x_text_')), Object.keys(cols).join(','));
      const rows = await h.rows(src, 'ov');
      assert.deepEqual(
        rows.map((r) => [r.x, r.x__text, r.x_text]),
        [
          [1, undefined, undefined],
          [undefined, 'abc', 'def'],
          [undefined, 'ghi', undefined],
          [undefined, undefined, 'jkl'],
          [undefined, 'pqr', 'mno'],
        ],
      );
    });

    test('replaying a batch adds no rows (id = messageId is unique)', async () => {
      const src = 'replay';
      const msgs = [
        msg('identify', { userId: 'r1', traits: { a: 1 } }),
        msg('track', { userId: 'r1', event: 'Clicked', properties: { x: 1 } }),
        msg('page', { userId: 'r1', name: 'P' }),
        msg('screen', { userId: 'r1', name: 'S' }),
        msg('alias', { userId: 'r1', previousId: 'a' }),
        msg('group', { userId: 'r1', groupId: 'g' }),
      ];
      const jobs = jobsOf(msgs, src);
      assertAllDone(await d.deliver(jobs), jobs);
      const count = async () => Object.fromEntries(await Promise.all((await h.tables(src)).map(async (t) => [t, (await h.rows(src, t)).length] as const)));
      const first = await count();
      assertAllDone(await d.deliver(jobs), jobs);
      assertAllDone(await d.deliver([...jobs, ...jobs]), [...jobs, ...jobs].sort((a, b) => a.id - b.id));
      assert.deepEqual(await count(), first);
      assert.deepEqual(first, { aliases: 1, clicked: 1, groups: 1, identifies: 1, pages: 1, screens: 1, tracks: 1, users: 1 });
    });

    test('users keeps the latest traits per user', async () => {
      const src = 'users';
      await load([msg('identify', { userId: 'u1', receivedAt: T1, traits: { email: 'old@x.com', plan: 'free' } })], src);
      // one batch: two identifies of u1 (newest last) and one of u2; one identify without userId
      await load(
        [
          msg('identify', { userId: 'u1', receivedAt: T2, traits: { plan: 'pro', seats: 5 } }),
          msg('identify', { userId: 'u2', receivedAt: T1, traits: { plan: 'team' } }),
          msg('identify', { userId: 'u1', receivedAt: T2, traits: { email: 'new@x.com' } }),
          msg('identify', { anonymousId: 'anon-only', traits: { plan: 'x' } }),
        ],
        src,
      );
      // an older identify arriving late only fills traits the user does not have yet
      await load([msg('identify', { userId: 'u1', receivedAt: T0, traits: { plan: 'trial', company: 'Acme' } })], src);
      const users = await h.rows(src, 'users');
      assert.equal(users.length, 2);
      const u1 = users.find((u) => u.id === 'u1')!;
      assert.deepEqual([u1.email, u1.plan, u1.seats, u1.company, u1.received_at], ['new@x.com', 'pro', 5, 'Acme', T2]);
      assert.equal(users.find((u) => u.id === 'u2')!.plan, 'team');
      assert.equal((await h.rows(src, 'identifies')).length, 6);
    });

    test('hostile event and property names become safe, distinct identifiers and the data loads', async () => {
      const src = 'hostile';
      const canary = h.qualified(src, 'x');
      await load([msg('track', { event: 'warm up' })], src); // creates the schema
      await h.exec(`CREATE TABLE ${canary} (id text)`);
      await h.exec(`INSERT INTO ${canary} VALUES ('still here')`);
      const events = [
        '"; DROP TABLE x; --',
        "Robert'); DROP TABLE students;--",
        'tracks',
        'identifies',
        'users',
        'select',
        'order',
        '日本語のイベント',
        'Ünïcödé Évènt 🚀',
        'e'.repeat(200) + '1',
        'e'.repeat(200) + '2',
        '42 is the answer',
        'pg_class',
      ];
      const props: Record<string, unknown> = JSON.parse(
        JSON.stringify({
          id: 'prop-id',
          received_at: 'prop-received',
          event: 'prop-event',
          uuid_ts: 'prop-uuid',
          context_ip: 'prop-context',
          '"quoted"': 'q1',
          'semi;colon': 'q2',
          '"; DROP TABLE x; --': 'q3',
          "it's": 'q4',
          'a"b': 'q5',
          select: 'q6',
          from: 'q7',
          where: 'q8',
          user: 'q9',
          xmin: 'q10',
          ctid: 'q11',
          rowid: 'q12',
          oid: 'q13',
          firstName: 'q14',
          first_name: 'q15',
          'First Name': 'q16',
          'first-name': 'q17',
          '名前': 'q18',
          'имя': 'q19',
          '🚀': 'q20',
          ['p'.repeat(100) + 'A']: 'q21',
          ['p'.repeat(100) + 'B']: 'q22',
          '': 'q23',
          ['__proto__']: 'q24',
          'constructor': 'q25',
          '0zero': 'q26',
          'back`tick': 'q27',
          'new\nline': 'q28',
        }),
      );
      const msgs = events.map((event) => msg('track', { event, properties: props }));
      const jobs = await load(msgs, src);
      const tables = await h.tables(src);
      assert.ok(tables.includes('x'), 'canary table survives');
      assert.deepEqual((await h.rows(src, 'x')).map((r) => r.id), ['still here']);
      for (const t of tables) {
        assert.match(t, SAFE, t);
        assert.ok(t.length <= 63, t);
      }
      for (const fixed of ['tracks', 'identifies', 'users']) {
        assert.ok(tables.includes(`_${fixed}`), `event ${fixed} → _${fixed}`);
      }
      assert.equal((await h.rows(src, 'tracks')).length, events.length + 1);
      assert.equal((await h.rows(src, 'identifies').catch(() => [])).length, 0, 'no identify was loaded into identifies');
      const eventTables = new Set((await h.rows(src, 'tracks')).map((r) => r.event as string));
      assert.equal(eventTables.size, events.length + 1, 'every event has its own table');
      const distinctValues = new Set(Object.values(props));
      for (const j of jobs) {
        const table = (await h.rows(src, 'tracks')).find((r) => r.id === j.message.messageId)!.event as string;
        assert.equal((await h.rows(src, 'tracks')).find((r) => r.id === j.message.messageId)!.event_text, j.message.event);
        const cols = await h.columns(src, table);
        for (const c of Object.keys(cols)) {
          assert.match(c, SAFE, c);
          assert.ok(c.length <= 63, c);
        }
        const [row] = await h.rows(src, table);
        assert.equal(row.id, j.message.messageId);
        assert.equal(row.received_at, T0, 'fixed column not clobbered');
        assert.equal(row.event, table);
        const loaded = Object.entries(row).filter(([, v]) => typeof v === 'string' && distinctValues.has(v));
        assert.equal(loaded.length, distinctValues.size, `every property value has its own column in ${table}`);
        const byValue = Object.fromEntries(loaded.map(([k, v]) => [v, k]));
        assert.equal(byValue['prop-id'], '_id');
        assert.equal(byValue['prop-received'], '_received_at');
        assert.equal(byValue['prop-context'], '_context_ip');
        assert.equal(byValue.q6, 'select');
        assert.equal(byValue.q9, 'user');
        assert.equal(byValue.q10, '_xmin');
        assert.equal(byValue.q15, 'first_name');
        assert.equal(byValue.q24, '_proto');
      }
    });

    test('several sources in one batch go to their own schemas', async () => {
      const a = jobsOf([msg('track', { event: 'Multi', properties: { v: 'a' } })], 'src-a');
      const b = jobsOf([msg('track', { event: 'Multi', properties: { v: 'b' } })], 'src-b');
      assertAllDone(await d.deliver([...a, ...b]), [...a, ...b]);
      assert.deepEqual((await h.rows('src-a', 'multi')).map((r) => r.v), ['a']);
      assert.deepEqual((await h.rows('src-b', 'multi')).map((r) => r.v), ['b']);
    });

    test('source ids that sanitise alike keep their own schemas, even with the same messageIds', async () => {
      const ids = SOURCE_IDS;
      const schemas = ids.map(schemaOf);
      assert.equal(new Set(schemas).size, ids.length, schemas.join(' '));
      const jobs = ids.flatMap((id) => jobsOf([{ ...msg('track', { event: 'Same', properties: { v: id } }), messageId: 'same-id' }], id));
      assertAllDone(await d.deliver(jobs), jobs);
      for (const id of ids) assert.deepEqual((await h.rows(id, 'same')).map((r) => [r.id, r.v]), [['same-id', id]], id);
    });

    test('a message that cannot be loaded is dead without failing the others', async () => {
      const src = 'reject';
      const good = msg('track', { event: 'Fine' });
      const jobs = jobsOf([good, { ...msg('track', { event: 'Fine' }), messageId: '' }, msg('track', {}), msg('identify', { userId: 'z' })], src);
      const out = (await d.deliver(jobs)).sort((x, y) => x.jobId - y.jobId);
      assert.deepEqual(out.map((o) => o.status), ['done', 'dead', 'dead', 'done']);
      for (const o of out) if (o.status === 'dead') assert.equal(o.code, 'warehouse_reject');
      assert.equal((await h.rows(src, 'fine')).length, 1);
    });

    test('a data error isolates the culprit; each job’s rows stay all-or-nothing', async () => {
      const src = 'poison';
      await load([msg('track', { event: 'Buy', properties: { item: 'ok' } })], src);
      const t = h.qualified(src, 'buy');
      if (kind === 'postgres') {
        await h.exec(`CREATE FUNCTION ${h.qualified(src, 'poison_fn')}() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN IF NEW.item = 'poison' THEN RAISE EXCEPTION 'poisoned row' USING ERRCODE = '22023'; END IF; RETURN NEW; END $$`);
        await h.exec(`CREATE TRIGGER poison BEFORE INSERT ON ${t} FOR EACH ROW EXECUTE FUNCTION ${h.qualified(src, 'poison_fn')}()`);
      } else {
        await h.exec(`CREATE TRIGGER poison BEFORE INSERT ON ${t} WHEN NEW.item = 'poison' BEGIN SELECT RAISE(ABORT, 'poisoned row'); END`);
      }
      const msgs = [
        msg('track', { event: 'Buy', properties: { item: 'a' } }),
        msg('track', { event: 'Buy', properties: { item: 'poison' } }),
        msg('identify', { userId: 'p1', traits: { x: 1 } }),
        msg('track', { event: 'Buy', properties: { item: 'b' } }),
      ];
      const jobs = jobsOf(msgs, src);
      const out = (await d.deliver(jobs)).sort((x, y) => x.jobId - y.jobId);
      assert.deepEqual(out.map((o) => o.status), ['done', 'dead', 'done', 'done']);
      assert.match((out[1] as { reason: string }).reason, /poisoned row/);
      assert.deepEqual((await h.rows(src, 'buy')).map((r) => r.item).sort(), ['a', 'b', 'ok']);
      const trackIds = (await h.rows(src, 'tracks')).map((r) => r.id);
      assert.ok(!trackIds.includes(msgs[1].messageId), 'the dead job left no tracks row behind');
      assert.equal(trackIds.length, 3);
      assert.equal((await h.rows(src, 'users')).length, 1);
    });

    test('a failure mid-batch leaves nothing half-loaded (RetryableError, then the retry loads everything)', async () => {
      const src = 'atomic';
      const mk = (n: number, big = '') => Array.from({ length: n }, (_, i) => msg('track', { event: 'Load', userId: `a${i}`, properties: { i, big } }));
      let deliverer = d;
      let db: Database.Database | null = null;
      await load([...mk(2, 'x'), msg('identify', { userId: 'first-user', traits: { a: 0 } })], src); // tables and columns exist before the failing batch
      if (kind === 'postgres') {
        // a retryable server error (serialization failure) raised by the 40th row of the event table
        await h.exec(`CREATE FUNCTION ${h.qualified(src, 'fail_fn')}() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN IF NEW.i = 39 THEN RAISE EXCEPTION 'simulated failure' USING ERRCODE = '40001'; END IF; RETURN NEW; END $$`);
        await h.exec(`CREATE TRIGGER fail BEFORE INSERT ON ${h.qualified(src, 'load')} FOR EACH ROW EXECUTE FUNCTION ${h.qualified(src, 'fail_fn')}()`);
      } else {
        // a full disk: the database may not grow past a few pages
        db = new Database((h as SqliteHarness).file);
        deliverer = createWarehouseDeliverer(new SqliteDialect(db), { schemaPrefix: PREFIX }, { log });
        const pages = (db.pragma('page_count', { simple: true }) as number) + 3;
        db.pragma(`max_page_count = ${pages}`);
      }
      const count = async () => ({ tracks: (await h.rows(src, 'tracks')).length, load: (await h.rows(src, 'load')).length, identifies: (await h.rows(src, 'identifies')).length });
      const before = await count();
      const batch = [...mk(60, 'x'.repeat(2000)), msg('identify', { userId: 'atomic-user', traits: { a: 1 } })];
      const jobs = jobsOf(batch, src);
      await assert.rejects(deliverer.deliver(jobs), (err: unknown) => {
        assert.ok(err instanceof RetryableError);
        assert.equal(err.code, kind === 'sqlite' ? 'warehouse_SQLITE_FULL' : 'warehouse_40001');
        return true;
      });
      assert.deepEqual(await count(), before);
      if (kind === 'postgres') await h.exec(`DROP TRIGGER fail ON ${h.qualified(src, 'load')}`);
      else db!.pragma('max_page_count = 1073741823');
      assertAllDone(await deliverer.deliver(jobs), jobs);
      assert.deepEqual(await count(), { tracks: before.tracks + 60, load: before.load + 60, identifies: before.identifies + 1 });
      if (db) {
        await deliverer.close();
        db.close();
      }
    });

    test('a table dropped behind the cache’s back: retryable, then recreated', async () => {
      const src = 'stale';
      await load([msg('track', { event: 'Gone', properties: { a: 1 } })], src);
      await h.exec(`DROP TABLE ${h.qualified(src, 'gone')}`);
      const jobs = jobsOf([msg('track', { event: 'Gone', properties: { a: 2 } })], src);
      await assert.rejects(d.deliver(jobs), (err: unknown) => err instanceof RetryableError);
      assertAllDone(await d.deliver(jobs), jobs);
      assert.deepEqual((await h.rows(src, 'gone')).map((r) => r.a), [2]);
    });

    test('batched: 1200 messages over several transactions, multi-row inserts', async () => {
      const src = 'bulk';
      const dd = make({ batchSize: 400 });
      assert.equal(dd.maxBatch, 400);
      const msgs = Array.from({ length: 1200 }, (_, i) =>
        msg('track', { event: ['A', 'B', 'C'][i % 3], userId: `u${i % 50}`, properties: { i, name: `n${i}`, price: i / 4, on: i % 2 === 0 } }),
      );
      for (let i = 0; i < msgs.length; i += dd.maxBatch) {
        const jobs = jobsOf(msgs.slice(i, i + dd.maxBatch), src);
        assertAllDone(await dd.deliver(jobs), jobs);
      }
      assert.equal((await h.rows(src, 'tracks')).length, 1200);
      for (const t of ['a', 'b', 'c']) assert.equal((await h.rows(src, t)).length, 400);
      const a = await h.rows(src, 'a');
      assert.deepEqual([a[1].i, a[1].price, a[1].on], [3, 0.75, false]);
    });

    if (kind === 'postgres') {
      test('insert SQL is built once per (table, columns, row count) and reused', async () => {
        const dialect = new PostgresDialect(PG_URL, { maxConnections: 1 });
        const schema = `${PREFIX}sqlcache`;
        try {
          await dialect.applyChanges(schema, [{ op: 'createTable', table: 't', kind: 'event', columns: [['id', 'text'], ['v', 'bigint']] }]);
          const build = mock.method(dialect as unknown as { buildInsertSql: (...a: unknown[]) => string }, 'buildInsertSql');
          const write = (n: number, from: number, columns = ['id', 'v']) => ({
            schema,
            table: 't',
            kind: 'event' as const,
            columns,
            rows: Array.from({ length: n }, (_, i) => (columns.length === 2 ? [`r${from + i}`, from + i] : [`r${from + i}`])),
          });
          await dialect.loadBatch([write(2500, 0)]); // chunks of 1000, 1000, 500: two distinct statements
          assert.equal(build.mock.callCount(), 2);
          await dialect.loadBatch([write(2500, 2500)]);
          assert.equal(build.mock.callCount(), 2, 'same shapes again: nothing rebuilt');
          await dialect.loadIsolated([1, 2, 3].map((k) => ({ key: k, writes: [write(1, 5000 + k)] })));
          assert.equal(build.mock.callCount(), 3, 'one-row insert built once for three jobs');
          await dialect.loadBatch([write(2, 6000, ['id'])]);
          assert.equal(build.mock.callCount(), 4, 'another column list is another statement');
          const r = await dialect.pool.query(`SELECT count(*)::int AS n, count(v)::int AS nv FROM "${schema}"."t"`);
          assert.deepEqual(r.rows[0], { n: 5005, nv: 5003 });
          build.mock.restore();
        } finally {
          await dialect.close();
        }
      });

      test('privileges refused → AuthError (the router pauses the destination)', async () => {
        const role = `${PREFIX}role`;
        await h.exec(`CREATE ROLE "${role}" LOGIN`); // no CREATE on the database: CREATE SCHEMA is refused
        try {
          const url = new URL(PG_URL);
          url.username = role;
          url.password = '';
          const dd = make({ postgres: url.toString() });
          const jobs = jobsOf([msg('track', { event: 'Nope' })], 'denied');
          await assert.rejects(dd.deliver(jobs), (err: unknown) => err instanceof AuthError && err.code === 'warehouse_42501');
          await dd.close();
          open.splice(open.indexOf(dd), 1);
        } finally {
          await h.exec(`DROP ROLE "${role}"`);
        }
      });

      test('a connection lost mid-batch: retried at once on a new connection; lost again, RetryableError', async () => {
        const src = 'lost';
        const uncaught: unknown[] = [];
        const onUncaught = (err: unknown) => uncaught.push(err);
        process.on('uncaughtException', onUncaught);
        try {
          const warm = await load([msg('track', { event: 'Lost', properties: { i: 0 } })], src);
          // The backend terminates itself mid-insert, as pg_terminate_backend from another session or a restart
          // would, while the sequence (not transactional) is negative: setval(-n) makes the next n inserts die.
          const seq = h.qualified(src, 'kills');
          await h.exec(`CREATE SEQUENCE ${seq} MINVALUE -100 START 1`);
          await h.exec(`CREATE FUNCTION ${h.qualified(src, 'kill_fn')}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF NEW.i = 3 AND nextval('${seq.replace(/'/g, "''")}') <= 0 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF; RETURN NEW; END $$`);
          await h.exec(`CREATE TRIGGER kill BEFORE INSERT ON ${h.qualified(src, 'lost')} FOR EACH ROW EXECUTE FUNCTION ${h.qualified(src, 'kill_fn')}()`);
          const batch = () => jobsOf(Array.from({ length: 6 }, (_, i) => msg('track', { event: 'Lost', userId: `l${i}`, properties: { i } })), src);
          const ids = async () => (await h.rows(src, 'lost')).map((r) => r.id as string);
          const lastValue = async () => Number((await (h as PostgresHarness).pool.query(`SELECT last_value FROM ${seq}`)).rows[0].last_value);

          await h.exec(`SELECT setval('${seq}', -1)`); // one lost connection: the immediate retry loads the batch
          const first = batch();
          assertAllDone(await d.deliver(first), first);
          assert.equal(await lastValue(), 1, 'the first attempt was killed, the retry went through');

          await h.exec(`SELECT setval('${seq}', -2)`); // lost twice: the router's backoff takes over
          const second = batch();
          await assert.rejects(d.deliver(second), (err: unknown) => err instanceof RetryableError && err.code === 'warehouse_57P01');
          assert.equal(await lastValue(), 0);
          assertAllDone(await d.deliver(second), second);

          const expected = [...warm, ...first, ...second].map((j) => j.message.messageId).sort();
          assert.deepEqual(await ids(), expected, 'every row once');
          assert.deepEqual((await h.rows(src, 'tracks')).map((r) => r.id), expected);
          await new Promise((r) => setImmediate(r));
          assert.deepEqual(uncaught, [], 'a lost connection never reaches the process');
        } finally {
          process.off('uncaughtException', onUncaught);
        }
      });

      test('concurrent deliverers (as two processes would) evolving one schema lose nothing', async () => {
        const src = 'race';
        const d1 = make();
        const d2 = make();
        const batch = (v: unknown, n: number) => jobsOf(Array.from({ length: n }, (_, i) => msg('track', { event: 'Race', properties: { v, [`k${i % 5}`]: i } })), src);
        const j1 = batch(1, 50);
        const j2 = batch('text', 50);
        const [o1, o2] = await Promise.all([d1.deliver(j1), d2.deliver(j2)]);
        assertAllDone(o1, j1);
        assertAllDone(o2, j2);
        const rows = await h.rows(src, 'race');
        assert.equal(rows.length, 100);
        const texts = rows.filter((r) => r.v === 'text' || r.v__text === 'text').length;
        const ones = rows.filter((r) => r.v === 1 || r.v === '1' || r.v__text === '1').length;
        assert.deepEqual([texts, ones], [50, 50]);
      });
    }
  });
}
