// The Store contract against PostgresStore: a fresh database on the test run's PostgreSQL; every store of
// the suite starts from empty tables (the schema stays, as a restarted node finds it), and the second handle
// is another pool on the same database, as another node or the CLI opens it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LANES } from '../../src/store/lanes.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { ANON_MESSAGES_SQL, USER_MESSAGES_SQL } from '../../src/store/postgres/users.js';
import { testDatabaseUrl } from '../pg.js';
import { msg, storeContract } from './contract.js';

const url = await testDatabaseUrl();

storeContract(
  'postgres',
  async () => {
    const s = await PostgresStore.open(url);
    await s.pool.query(
      `TRUNCATE messages, dedupe, jobs, dead_letters, counters, filtered_counters, source_counters, seen_requests, suppressions,
        last_errors, destination_state, nodes, leases, warning_counters RESTART IDENTITY`,
    );
    return PostgresStore.open(url).finally(() => s.close());
  },
  (s) => PostgresStore.open((s as PostgresStore).pool.options.connectionString!),
);

test('postgres: the user lookup can read by the user and anonymousId indexes (never the whole messages table)', async () => {
  const s = await PostgresStore.open(url);
  const c = await s.pool.connect();
  try {
    // The tables are tiny here: forbid the sequential scan to see whether the index serves the query at all.
    await c.query('SET enable_seqscan = off');
    await c.query(`PREPARE user_lookup(text, bigint, int) AS ${USER_MESSAGES_SQL}`);
    const { rows } = await c.query<{ 'QUERY PLAN': string }>("EXPLAIN EXECUTE user_lookup('u', 1, 1)");
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    assert.match(plan, /Index (Only )?Scan.* using messages_user/);
    await c.query(`PREPARE anon_lookup(text, bigint, int) AS ${ANON_MESSAGES_SQL}`);
    const anon = (await c.query<{ 'QUERY PLAN': string }>("EXPLAIN EXECUTE anon_lookup('u', 1, 1)")).rows.map((r) => r['QUERY PLAN']).join('\n');
    assert.match(anon, /Index (Only )?Scan.* using messages_anon/);
    assert.doesNotMatch(anon, /Seq Scan|Sort/);
  } finally {
    c.release(true);
    await s.close();
  }
});

test('postgres: ids with quotes, backslashes, braces and commas dedupe and count exactly (values travel as binary array parameters)', async () => {
  const s = await PostgresStore.open(url);
  try {
    const ids = [`o'brien`, 'back\\slash', '"quoted"', '{a,b}', 'NULL', 'tab\tand ünï', `'); DROP TABLE jobs; --`];
    const src = `src '"\\{x}`;
    const dst = `dst '"\\,}`;
    const first = await s.append(src, ids.map((id) => msg(id, `u-${id}`, [dst])));
    assert.deepEqual(first, { accepted: ids.length, duplicates: [] });
    const again = await s.append(src, [msg(ids[0], 'u', [dst]), msg('new', 'u', [dst])]);
    assert.deepEqual(again, { accepted: 1, duplicates: [0] });
    const c = (await s.counts()).find((x) => x.sourceId === src && x.destinationId === dst);
    assert.equal(c?.received, ids.length + 1);
    assert.deepEqual((await s.sourceCounts()).find((x) => x.sourceId === src), { sourceId: src, received: ids.length + 1, duplicates: 1, rejected: 0 });
    const jobs = await s.claim(dst, Array.from({ length: LANES }, (_, i) => i), 100, Date.now());
    assert.deepEqual(new Set(jobs.map((j) => (j.message as { messageId: string }).messageId)), new Set([...ids, 'new']));
  } finally {
    await s.close();
  }
});
