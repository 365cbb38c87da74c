// The Store contract against PostgresStore: a fresh database on the test run's PostgreSQL; every store of
// the suite starts from empty tables (the schema stays, as a restarted node finds it), and the second handle
// is another pool on the same database, as another node or the CLI opens it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LANES } from '../../src/store/lanes.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { ANON_MESSAGES_SQL, USER_MESSAGES_SQL } from '../../src/store/postgres/users.js';
import { noteSpans, spansOf } from '../../src/message/payload-spans.js';
import type { StoredMessage } from '../../src/store/types.js';
import { routesOf } from '../../src/store/user-messages.js';
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
    const { rows } = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE user_lookup('u', ${Number.MAX_SAFE_INTEGER}, 50)`);
    const plan = rows.map((r) => r['QUERY PLAN']).join('\n');
    assert.match(plan, /Index (Only )?Scan.* using messages_user/);
    await c.query(`PREPARE anon_lookup(text, bigint, int) AS ${ANON_MESSAGES_SQL}`);
    const anon = (await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE anon_lookup('u', ${Number.MAX_SAFE_INTEGER}, 50)`)).rows.map((r) => r['QUERY PLAN']).join('\n');
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

test('postgres: a duplicate met by the plain INSERT of dedupe keys (its fast path) is caught, on another node too, and again after careful commits', async () => {
  const src = 'fast-path-src';
  const dst = 'fast-path-dst';
  const a = await PostgresStore.open(url);
  const b = await PostgresStore.open(url);
  try {
    const ids = (p: string, n: number) => Array.from({ length: n }, (_, i) => `${p}-${i}`);
    assert.deepEqual(await a.append(src, ids('a', 3).map((id) => msg(id, 'u1', [dst]))), { accepted: 3, duplicates: [] });
    // b has met no duplicate yet: its plain INSERT meets a-1, stored by a; the commit starts again keeping only the new keys.
    assert.deepEqual(await b.append(src, [msg('b-0', 'u1', [dst]), msg('a-1', 'u1', [dst]), msg('b-1', 'u1', [dst])]), { accepted: 2, duplicates: [1] });
    // Past the careful commits (64, one at a time), the plain INSERT is tried again and still catches a duplicate.
    for (let i = 0; i < 70; i++) assert.deepEqual(await b.append(src, [msg(`c-${i}`, 'u2', [dst])]), { accepted: 1, duplicates: [] });
    assert.deepEqual(await b.append(src, [msg('a-2', 'u1', [dst]), msg('d-0', 'u1', [dst])]), { accepted: 1, duplicates: [0] });
    const c = (await a.counts()).find((x) => x.sourceId === src && x.destinationId === dst);
    assert.equal(c?.received, 3 + 2 + 70 + 1);
    assert.equal(c?.pending, 3 + 2 + 70 + 1);
    assert.deepEqual((await a.sourceCounts()).find((x) => x.sourceId === src), { sourceId: src, received: 76, duplicates: 2, rejected: 0 });
    // u1's jobs in the order their messages arrived, each once.
    const jobs = await a.claim(dst, Array.from({ length: LANES }, (_, i) => i), 1000, Date.now());
    const u1 = jobs.filter((j) => j.userKey === 'u1').map((j) => (j.message as { messageId: string }).messageId);
    assert.deepEqual(u1, ['a-0', 'a-1', 'a-2', 'b-0', 'b-1', 'd-0']);
  } finally {
    await a.close();
    await b.close();
  }
});

test('postgres: migration 8 upgrades a database left at version 7 that holds jobs (jobs pages keep room for the claim stamp)', async () => {
  const old = await PostgresStore.open(url);
  try {
    await old.append('mig-src', [msg('m-1', 'u1', ['mig-dst']), msg('m-2', 'u2', ['mig-dst'])]);
    // The layout of version 7: no fillfactor on jobs, migration 8 not recorded.
    await old.pool.query('DELETE FROM taproute_migrations WHERE version = 8; ALTER TABLE jobs RESET (fillfactor)');
  } finally {
    await old.close();
  }
  const s = await PostgresStore.open(url);
  try {
    const { rows } = await s.pool.query<{ reloptions: string[] | null }>(`SELECT reloptions FROM pg_class WHERE relname = 'jobs'`);
    assert.deepEqual(rows[0].reloptions, ['fillfactor=50']);
    assert.ok((await s.pool.query('SELECT 1 FROM taproute_migrations WHERE version = 8')).rowCount === 1);
    const c = (await s.counts()).find((x) => x.sourceId === 'mig-src');
    assert.deepEqual([c?.received, c?.pending], [2, 2], 'the jobs stored before the upgrade are still there');
  } finally {
    await s.close();
  }
});

test('postgres: payloads handed over as places in the request text (payload spans) are stored as they read, each beside its own row; the caller\'s list is left whole', async () => {
  const s = await PostgresStore.open(url);
  try {
    await s.pool.query('TRUNCATE messages, dedupe, jobs, counters, source_counters RESTART IDENTITY');
    // Multi-byte text on either side of each place, a repeat in the same call (no row, so the places after it must
    // still match their own messages), one payload given whole, and routes with and without a filtered destination.
    const items = ['{"messageId":"s1","e":"ünï 😀"}', '{"messageId":"s1","e":"again"}', '{"messageId":"s2","e":"€"}', '{"messageId":"s3"}'];
    const body = `{"batch":[${items.join(',')}],"x":"é"}`;
    const starts = items.map((t) => body.indexOf(t));
    const stamp = (i: number) => `,"receivedAt":"2026-01-01T00:00:0${i}Z","ü":${i}}`;
    const whole = JSON.stringify({ messageId: 's4', written: false });
    const msgs: StoredMessage[] = [
      ...items.map((t, i) => ({ messageId: JSON.parse(t).messageId, userKey: `u${i}`, receivedAt: 1000, payload: t.slice(0, -1) + stamp(i), destinations: ['d1'] })),
      { messageId: 's4', userKey: 'u4', anonymousId: 'a4', receivedAt: 1000, payload: whole, destinations: ['d1'], filtered: [{ destination: 'd2', reason: 'loop_guard' }] },
    ];
    noteSpans(msgs, {
      text: body,
      start: [...starts, -1],
      end: [...starts.map((x, i) => x + items[i].length - 1), 0],
      rest: [...items.map((_, i) => stamp(i)), whole],
    });
    assert.ok(spansOf(msgs), 'the places fit the payloads');
    const given = [...msgs];
    const r = await s.append('web', msgs);
    assert.deepEqual(r, { accepted: 4, duplicates: [1] });
    assert.deepEqual(msgs, given, 'the caller\'s list is as it was');
    const { rows } = await s.pool.query<{ message_id: string; payload: string; user_key: string; anon_key: string | null; routes: string }>(
      'SELECT message_id, payload, user_key, anon_key, routes FROM messages ORDER BY id',
    );
    const kept = [0, 2, 3, 4].map((i) => given[i]);
    assert.deepEqual(rows.map((x) => [x.message_id, x.payload, x.user_key, x.anon_key, x.routes]), kept.map((m) => [m.messageId, m.payload, m.userKey, m.anonymousId ?? null, routesOf(m)]));
    assert.deepEqual(JSON.parse(rows[0].payload), { messageId: 's1', e: 'ünï 😀', receivedAt: '2026-01-01T00:00:00Z', ü: 0 });
    const counts = (await s.counts()).map((c) => [c.destinationId, c.received, c.filtered, c.pending]);
    assert.deepEqual(counts, [['d1', 4, 0, 4], ['d2', 1, 1, 0]]);
  } finally {
    await s.close();
  }
});
