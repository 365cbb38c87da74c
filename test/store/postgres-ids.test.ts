// Message and job ids taken in blocks (migration 9, src/store/postgres/jobs.ts): one nextval reserves a block of
// consecutive ids. Ids stay distinct and follow arrival order, across blocks, commits and nodes, and whatever
// increment the sequences have (a database before migration 9 has 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LANES } from '../../src/store/lanes.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { idsFromBlocks } from '../../src/store/postgres/jobs.js';
import { testDatabaseUrl } from '../pg.js';
import { msg } from './contract.js';

const url = await testDatabaseUrl();
const ALL_LANES = Array.from({ length: LANES }, (_, i) => i);
/** Sequences stepping by 1 from the largest id used (as before migration 9: ids taken one by one). */
const STEP_BY_ONE = `ALTER SEQUENCE messages_id_seq INCREMENT BY 1; ALTER SEQUENCE jobs_id_seq INCREMENT BY 1;
  SELECT setval('messages_id_seq', (SELECT coalesce(max(id), 1) FROM messages)), setval('jobs_id_seq', (SELECT coalesce(max(id), 1) FROM jobs))`;

test('ids from blocks: consecutive within a block, blocks in ascending order whatever order they came in', () => {
  assert.deepEqual(idsFromBlocks([9, 1], 4, 7), [1, 2, 3, 4, 9, 10, 11]);
  assert.deepEqual(idsFromBlocks([5], 1, 1), [5]);
  assert.deepEqual(idsFromBlocks([], 1024, 0), []);
  assert.throws(() => idsFromBlocks([1], 4, 5), /id blocks/);
});

/** A store opened on sequences that step by 1 (it reads their increment at open). */
async function steppingByOne(): Promise<PostgresStore> {
  const s = await PostgresStore.open(url);
  await s.pool.query(STEP_BY_ONE);
  await s.close();
  return PostgresStore.open(url);
}

/** Message ids (by arrival) and job ids (by message, then destination) of a source, as stored. */
async function stored(s: PostgresStore, source: string): Promise<{ messages: string[]; jobs: [string, string][]; msgIds: number[]; jobIds: number[] }> {
  const m = await s.pool.query<{ id: number; message_id: string }>('SELECT id, message_id FROM messages WHERE source_id = $1 ORDER BY id', [source]);
  const j = await s.pool.query<{ id: number; message_id: string; destination_id: string }>(
    'SELECT j.id, m.message_id, j.destination_id FROM jobs j JOIN messages m ON m.id = j.msg_id WHERE j.source_id = $1 ORDER BY j.id',
    [source],
  );
  return { messages: m.rows.map((r) => r.message_id), jobs: j.rows.map((r) => [r.message_id, r.destination_id]), msgIds: m.rows.map((r) => r.id), jobIds: j.rows.map((r) => r.id) };
}

test('postgres ids: appends larger than a block get several blocks, ids distinct and in arrival order, on two nodes', async () => {
  const a = await PostgresStore.open(url);
  const b = await PostgresStore.open(url);
  try {
    const { rows } = await a.pool.query<{ m: number; j: number }>(
      `SELECT (SELECT seqincrement FROM pg_sequence WHERE seqrelid = 'messages_id_seq'::regclass)::int AS m,
              (SELECT seqincrement FROM pg_sequence WHERE seqrelid = 'jobs_id_seq'::regclass)::int AS j`,
    );
    assert.deepEqual(rows[0], { m: 1024, j: 1024 }, 'migration 9 applied');
    const ids = (p: string, n: number) => Array.from({ length: n }, (_, i) => `${p}-${String(i).padStart(5, '0')}`);
    // 1,500 messages with two destinations each: two message blocks and three job blocks in one commit.
    const first = ids('a', 1500);
    assert.deepEqual(await a.append('blk', first.map((id, i) => msg(id, `u${i % 7}`, ['d1', 'd2']))), { accepted: 1500, duplicates: [] });
    const second = ids('b', 1100);
    assert.deepEqual(await b.append('blk', second.map((id, i) => msg(id, `u${i % 7}`, ['d1', 'd2']))), { accepted: 1100, duplicates: [] });
    const third = ids('c', 3);
    assert.deepEqual(await a.append('blk', [...third, first[0]].map((id) => msg(id, 'u1', ['d1', 'd2']))), { accepted: 3, duplicates: [3] });
    const s = await stored(a, 'blk');
    const all = [...first, ...second, ...third];
    assert.deepEqual(s.messages, all, 'messages by id in arrival order');
    assert.deepEqual(s.jobs, all.flatMap((id) => [[id, 'd1'], [id, 'd2']]), 'jobs by id in arrival order');
    assert.equal(new Set(s.msgIds).size, all.length);
    assert.equal(new Set(s.jobIds).size, all.length * 2);
    // A user's jobs are claimed in the order its messages arrived.
    const claimed = await a.claim('d1', ALL_LANES, 10_000, Date.now());
    const u1 = claimed.filter((j) => j.userKey === 'u1').map((j) => (j.message as { messageId: string }).messageId);
    assert.deepEqual(u1, all.filter((id, i) => (i < 2600 ? `u${(i < 1500 ? i : i - 1500) % 7}` : 'u1') === 'u1'));
  } finally {
    await a.close();
    await b.close();
  }
});

test('postgres ids: sequences that step by 1 (an operator reset them, or a node from before migration 9) still give distinct ids in order', async () => {
  const s = await steppingByOne();
  try {
    const ids = Array.from({ length: 5 }, (_, i) => `one-${i}`);
    assert.deepEqual(await s.append('one', ids.map((id) => msg(id, 'u', ['d1', 'd2']))), { accepted: 5, duplicates: [] });
    const r = await stored(s, 'one');
    assert.deepEqual(r.messages, ids);
    assert.deepEqual(r.jobs, ids.flatMap((id) => [[id, 'd1'], [id, 'd2']]));
    // Consecutive ids: each came from its own nextval.
    assert.deepEqual(r.msgIds.map((id) => id - r.msgIds[0]), [0, 1, 2, 3, 4]);
    assert.deepEqual(r.jobIds.map((id) => id - r.jobIds[0]), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  } finally {
    await s.pool.query('ALTER SEQUENCE messages_id_seq INCREMENT BY 1024; ALTER SEQUENCE jobs_id_seq INCREMENT BY 1024');
    await s.close();
  }
});

test('postgres ids: migration 9 upgrades a database at version 8 that holds messages and jobs; new ids follow the old ones', async () => {
  // Version 8: sequences stepping by 1, migration 9 not recorded, messages stored with one nextval per id.
  const v8 = await steppingByOne();
  await v8.append('mig9', [msg('old-1', 'u', ['m9']), msg('old-2', 'u', ['m9'])]);
  await v8.pool.query('DELETE FROM taproute_migrations WHERE version = 9');
  await v8.close();
  const up = await PostgresStore.open(url);
  try {
    assert.equal((await up.pool.query('SELECT 1 FROM taproute_migrations WHERE version = 9')).rowCount, 1);
    const { rows } = await up.pool.query<{ n: number }>(`SELECT seqincrement::int AS n FROM pg_sequence WHERE seqrelid IN ('messages_id_seq'::regclass, 'jobs_id_seq'::regclass)`);
    assert.deepEqual(rows.map((r) => r.n), [1024, 1024]);
    await up.append('mig9', [msg('new-1', 'u', ['m9']), msg('new-2', 'u', ['m9'])]);
    const r = await stored(up, 'mig9');
    assert.deepEqual(r.messages, ['old-1', 'old-2', 'new-1', 'new-2']);
    assert.deepEqual(r.jobs.map((j) => j[0]), ['old-1', 'old-2', 'new-1', 'new-2']);
    assert.equal(r.msgIds[3] - r.msgIds[2], 1, 'consecutive within the block');
    const claimed = await up.claim('m9', ALL_LANES, 100, Date.now());
    assert.deepEqual(claimed.filter((j) => j.sourceId === 'mig9').map((j) => (j.message as { messageId: string }).messageId), ['old-1', 'old-2', 'new-1', 'new-2']);
  } finally {
    await up.close();
  }
});
