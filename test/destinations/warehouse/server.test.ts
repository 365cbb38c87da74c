// The warehouse destination behind a real Taproute server (Segment sources → warehouse): PostgreSQL connections
// terminated or refused in the middle of a load, and schema names decided by the configured sources.
// PostgreSQL: the one the test run starts (test/pg.ts); the outage tests run on a
// database of their own (created and dropped here), so terminating and refusing its connections touches nothing else.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import pg from 'pg';
import { parseConfig } from '../../../src/config/load.js';
import { startServer, type RunningServer } from '../../../src/server.js';
import { createLogger } from '../../../src/util/logger.js';
import { shortHash } from '../../../src/destinations/warehouse/naming.js';
import { basic, post, get, reconciled, tmpDir, waitFor } from '../../helpers.js';
import { testDatabaseUrl } from '../../pg.js';

const PG_URL = await testDatabaseUrl();
const WRITE_KEY = 'wh-server-key';
const ROUTER = { retryBase: '20ms', retryMax: '200ms', pollInterval: '20ms' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tracks = (prefix: string, from: number, n: number) =>
  Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return { type: 'track', messageId: `${prefix}-${i}`, userId: `u${i % 40}`, event: 'Played', properties: { seq: i } };
  });

async function send(server: RunningServer, events: object[], writeKey = WRITE_KEY): Promise<void> {
  for (let i = 0; i < events.length; i += 100) {
    const r = await post(`${server.url}/v1/batch`, { batch: events.slice(i, i + 100) }, { authorization: basic(writeKey) });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }
}

describe('warehouse on PostgreSQL behind a server: lost and refused connections', () => {
  const t = tmpDir('taproute-wh-server-');
  const db = `twh_srv_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: PG_URL, max: 2 });
  let server: RunningServer;
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown) => uncaught.push(err);

  /**
   * Terminates sessions of the test database: every one, or only those inside a transaction of several statements
   * (a client checked out of the pool, as loads and schema changes run). Returns how many it terminated.
   */
  const terminate = async (onlyInTransaction: boolean): Promise<number> => {
    const r = await admin.query(
      `SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity
       WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_type = 'client backend'
         AND (NOT $2 OR state = 'idle in transaction' OR (state = 'active' AND xact_start < query_start))`,
      [db, onlyInTransaction],
    );
    return r.rows[0].n as number;
  };
  const counts = async () =>
    (await server.store.counts()).find((c) => c.destinationId === 'dw') ?? { received: 0, delivered: 0, dead: 0, filtered: 0, pending: 0 };
  const rowsById = async (table: string, ids: string[]) => {
    const c = new pg.Client({ connectionString: dbUrl() });
    await c.connect();
    try {
      const r = await c.query(`SELECT count(*)::int AS n, count(DISTINCT id)::int AS distinct_ids, count(*) FILTER (WHERE id = ANY($1))::int AS expected FROM "web"."${table}"`, [ids]);
      return r.rows[0] as { n: number; distinct_ids: number; expected: number };
    } finally {
      await c.end();
    }
  };
  function dbUrl(): string {
    const u = new URL(PG_URL);
    u.pathname = `/${db}`;
    return u.toString();
  }

  before(async () => {
    process.on('uncaughtException', onUncaught);
    await admin.query(`CREATE DATABASE "${db}"`);
    const config = parseConfig({
      server: { port: 0 },
      storage: { sqlite: join(t.dir, 'store.sqlite'), synchronous: 'NORMAL' },
      router: ROUTER,
      sources: [{ id: 'web', type: 'segment', writeKey: WRITE_KEY }],
      destinations: [{ id: 'dw', type: 'warehouse', settings: { postgres: dbUrl(), batchSize: 50 } }],
      connections: [{ source: 'web', destination: 'dw' }],
    });
    server = await startServer(config, { logger: createLogger('silent') });
  });

  after(async () => {
    await server?.close();
    await admin.query(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS true`).catch(() => undefined);
    await admin.query(`DROP DATABASE IF EXISTS "${db}" WITH (FORCE)`);
    await admin.end();
    process.off('uncaughtException', onUncaught);
    t.cleanup();
    assert.deepEqual(uncaught.map(String), [], 'no uncaught exception');
  });

  test('sessions terminated again and again during a load: the server stays up, every event lands once', async () => {
    const events = tracks('kill', 0, 3000);
    const sending = send(server, events);
    // Terminate the warehouse's session whenever it is inside a transaction, ten times, then let the load finish.
    let kills = 0;
    for (let round = 0; kills < 10 && round < 5000; round++) {
      const c = await counts();
      if (c.received === events.length && c.pending === 0) break;
      const n = await terminate(true);
      kills += n;
      await sleep(n > 0 ? 50 : 10);
    }
    await sending;
    assert.ok(kills > 0, 'sessions were terminated in the middle of transactions');
    await waitFor(async () => {
      const c = await counts();
      return c.received === events.length && c.pending === 0;
    }, 60_000, 'every job settled');
    const c = await counts();
    assert.deepEqual([c.delivered, c.dead], [events.length, 0]);
    assert.ok(await reconciled(server), 'received = delivered + dead + filtered + pending');
    const ids = events.map((e) => e.messageId);
    for (const table of ['tracks', 'played']) assert.deepEqual(await rowsById(table, ids), { n: 3000, distinct_ids: 3000, expected: 3000 }, table);
    assert.deepEqual(uncaught.map(String), [], 'a terminated session never reaches the process');
  });

  test('the database refuses connections for a while: the destination backs off, then loads everything', async () => {
    const before = await counts();
    const worker = server.workers.get('dw')!;
    const first = tracks('down', 0, 500);
    const second = tracks('down', 500, 500);
    await send(server, first);
    await waitFor(async () => (await counts()).delivered > before.delivered, 30_000, 'the load under way');
    // PostgreSQL goes away: no new session is accepted and the open ones are terminated.
    await admin.query(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS false`);
    await terminate(false);
    const failuresBefore = worker.stats.failures;
    await send(server, second); // ingest keeps accepting while the warehouse is away
    await waitFor(() => worker.stats.failures >= failuresBefore + 3 && worker.status().state === 'backoff', 30_000, 'repeated failures and backoff');
    assert.ok((await counts()).pending > 0, 'events wait in the store');
    assert.equal((await get(`${server.url}/healthz`)).status, 200, 'the server is up');
    await admin.query(`ALTER DATABASE "${db}" ALLOW_CONNECTIONS true`);
    const total = before.received + first.length + second.length;
    await waitFor(async () => {
      const c = await counts();
      return c.received === total && c.pending === 0;
    }, 60_000, 'every job settled');
    const c = await counts();
    assert.deepEqual([c.delivered, c.dead], [total, 0]);
    assert.ok(await reconciled(server), 'received = delivered + dead + filtered + pending');
    const ids = [...first, ...second].map((e) => e.messageId);
    for (const table of ['tracks', 'played']) {
      const r = await rowsById(table, ids);
      assert.deepEqual([r.n, r.distinct_ids, r.expected], [total, total, ids.length], table);
    }
    assert.deepEqual(uncaught.map(String), [], 'a refused connection never reaches the process');
  });
});

describe('warehouse behind a server: schema names from the configured sources', () => {
  test('plain names, a hash suffix only for source ids that collide', async () => {
    const t = tmpDir('taproute-wh-names-');
    const file = join(t.dir, 'warehouse.sqlite');
    const sources = ['ct-export', 'MySource', 'my-source'];
    const config = parseConfig({
      server: { port: 0 },
      storage: { sqlite: join(t.dir, 'store.sqlite'), synchronous: 'NORMAL' },
      router: ROUTER,
      sources: sources.map((id) => ({ id, type: 'segment', writeKey: `key-${id}` })),
      destinations: [{ id: 'dw', type: 'warehouse', settings: { sqlite: file } }],
      connections: sources.map((source) => ({ source, destination: 'dw' })),
    });
    const server = await startServer(config, { logger: createLogger('silent') });
    try {
      // The same messageId from every source: each source's row lands in its own schema.
      for (const id of sources) await send(server, [{ ...tracks('same', 0, 1)[0], properties: { from: id } }], `key-${id}`);
      await waitFor(async () => {
        const c = await server.store.counts();
        return c.length === sources.length && c.every((x) => x.pending === 0);
      }, 20_000, 'every job settled');
      const wh = new Database(file, { readonly: true });
      try {
        const tables = (wh.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '%\\_\\_played' ESCAPE '\\' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
        const expected: Record<string, string> = { ct_export: 'ct-export', my_source: 'MySource', [`my_source_${shortHash('my-source')}`]: 'my-source' };
        assert.deepEqual(tables, Object.keys(expected).map((s) => `${s}__played`).sort());
        for (const [schema, id] of Object.entries(expected)) {
          assert.deepEqual(wh.prepare(`SELECT id, "from" FROM "${schema}__played"`).all(), [{ id: 'same-0', from: id }], schema);
        }
      } finally {
        wh.close();
      }
    } finally {
      await server.close();
      t.cleanup();
    }
  });
});
