// Lane leases and fencing against the test run's PostgreSQL: nodes split the lanes between them, a leaving
// node's lanes are taken over, and a node whose lease was taken over can neither claim nor settle that lane.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { Membership } from '../../src/cluster/membership.js';
import { LANES, laneOf } from '../../src/store/lanes.js';
import { PostgresStore } from '../../src/store/postgres/index.js';
import { createLogger } from '../../src/util/logger.js';
import { msg, reconciled } from '../store/contract.js';
import { testDatabaseUrl } from '../pg.js';

const url = await testDatabaseUrl();
const log = createLogger('silent');
const ALL = Array.from({ length: LANES }, (_, i) => i);
const stores: PostgresStore[] = [];
after(async () => {
  for (const s of stores) await s.close();
});

async function open(nodeId?: string): Promise<PostgresStore> {
  const s = await PostgresStore.open(url, nodeId ? { fence: { nodeId } } : {});
  stores.push(s);
  return s;
}

/** Polls until cond holds; the bound is generous (machines under load), never a timing assertion. */
async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) assert.fail(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const ownedBy = (m: Membership, d: string) => ALL.filter((l) => m.owns(d, l));

test('nodes split the lanes between them and take over the lanes of a node that leaves', async () => {
  const s = await open();
  const opts = { leaseTimeoutMs: 600, destinations: ['d1', 'd2'], busy: () => false, log };
  const a = new Membership(s.pool, { ...opts, nodeId: 'node-a' });
  const b = new Membership(s.pool, { ...opts, nodeId: 'node-b' });
  await a.start();
  await until(() => ownedBy(a, 'd1').length === LANES, 'a alone owns every lane');
  await b.start();
  await until(() => {
    const [la, lb] = [ownedBy(a, 'd1'), ownedBy(b, 'd1')];
    return la.length > 0 && lb.length > 0 && la.length + lb.length === LANES;
  }, 'the lanes are split between a and b');
  for (const d of ['d1', 'd2']) for (const l of ALL) assert.ok(!(a.owns(d, l) && b.owns(d, l)), `lane ${d}/${l} has one owner at most`);
  await b.stop();
  await until(() => ownedBy(a, 'd1').length === LANES && ownedBy(a, 'd2').length === LANES, 'a takes back the lanes b gave back');
  await a.stop();
});

test('a node that stops renewing loses its lanes after the lease timeout', async () => {
  const s = await open();
  await s.pool.query('TRUNCATE nodes, leases');
  const opts = { leaseTimeoutMs: 600, destinations: ['d1'], busy: () => false, log };
  const a = new Membership(s.pool, { ...opts, nodeId: 'node-a' });
  await a.start();
  await until(() => ownedBy(a, 'd1').length === LANES, 'a owns every lane');
  // Silence without a goodbye (kill -9): leases and node row stay until they expire.
  await s.pool.query(`UPDATE nodes SET id = 'node-dead' WHERE id = 'node-a'`);
  await s.pool.query(`UPDATE leases SET node_id = 'node-dead'`);
  await a.stop();
  const b = new Membership(s.pool, { ...opts, nodeId: 'node-b' });
  await b.start();
  await until(() => ownedBy(b, 'd1').length === LANES, 'b takes every lane over once the dead node\'s leases expired');
  const { rows } = await s.pool.query(`SELECT min(token) AS t FROM leases WHERE destination_id = 'd1'`);
  assert.ok(rows[0].t >= 2, 'a takeover moves the fencing token on');
  await b.stop();
});

test('fencing: a node whose lease was taken over can neither claim nor settle that lane', async () => {
  const plain = await open();
  await plain.pool.query('TRUNCATE nodes, leases');
  const a = await open('node-a');
  const b = await open('node-b');
  await plain.append('src', [msg('1', 'u1'), msg('2', 'u1')]);
  const lane = laneOf('u1');
  assert.deepEqual(await a.claim('d1', ALL, 10, 2000), [], 'no lease, no claim');
  await plain.pool.query(
    `INSERT INTO leases (destination_id, lane, node_id, token, expires_at) VALUES ('d1', $1, 'node-a', 1, clock_timestamp() + interval '1 hour')`,
    [lane],
  );
  const jobs = await a.claim('d1', ALL, 10, 2000);
  assert.deepEqual(jobs.map((j) => j.message.event), ['1', '2']);
  // a stalls; its lease is taken over by b (the token moves on).
  await plain.pool.query(`UPDATE leases SET node_id = 'node-b', token = token + 1 WHERE destination_id = 'd1' AND lane = $1`, [lane]);
  await a.settle('d1', [{ jobId: jobs[1].id, status: 'retry_at', nextAt: 9999, reason: 'x' }], 2001);
  let c = await reconciled(plain);
  assert.deepEqual([c.get('src>d1')?.delivered, c.get('src>d1')?.pending], [0, 2], 'the stale settle changed nothing');
  assert.deepEqual(await a.claim('d1', ALL, 10, 2002), [], 'the stale node cannot claim the lane');
  const again = await b.claim('d1', ALL, 10, 2002);
  assert.deepEqual(again.map((j) => [j.message.event, j.attempts]), [['1', 0], ['2', 0]], 'order and attempts as they were');
  // Even if a gets the lane back later, its old claim (older token) cannot settle.
  await plain.pool.query(`UPDATE leases SET node_id = 'node-a', token = token + 1 WHERE destination_id = 'd1' AND lane = $1`, [lane]);
  await a.settle('d1', [{ jobId: jobs[0].id, status: 'done' }], 2003);
  assert.equal((await reconciled(plain)).get('src>d1')?.delivered, 0, 'a claim made under an older token never settles');
  await plain.pool.query(`UPDATE leases SET node_id = 'node-b', token = token + 1 WHERE destination_id = 'd1' AND lane = $1`, [lane]);
  const fresh = await b.claim('d1', ALL, 10, 2004);
  await b.settle('d1', fresh.map((j) => ({ jobId: j.id, status: 'done' as const })), 2004);
  await plain.prune(2004, 86_400_000); // the backlog figure of another handle catches up on prune
  c = await reconciled(plain);
  assert.deepEqual([c.get('src>d1')?.delivered, c.get('src>d1')?.pending], [2, 0]);
});

test('fencing: a claim settles only under the token it was claimed under, even when the node no longer remembers it', async () => {
  const plain = await open();
  await plain.pool.query('TRUNCATE nodes, leases, jobs, messages, dedupe, counters, source_counters');
  const a = await open('node-a');
  const b = await open('node-b');
  await plain.append('src', [msg('1', 'u2'), msg('2', 'u2'), msg('3', 'u2')]);
  const lane = laneOf('u2');
  const setOwner = (node: string) =>
    plain.pool.query(
      `INSERT INTO leases (destination_id, lane, node_id, token, expires_at) VALUES ('d1', $1, $2, 1, clock_timestamp() + interval '1 hour')
       ON CONFLICT (destination_id, lane) DO UPDATE SET node_id = excluded.node_id, token = leases.token + 1, expires_at = excluded.expires_at`,
      [lane, node],
    );
  await setOwner('node-a');
  const old = await a.claim('d1', ALL, 10, 2000);
  assert.equal(old.length, 3);
  // a drops its claim from memory (as after a failed settle, or an auth pause), loses the lease and gets it back.
  for (const j of old) a.forget(j.id);
  await setOwner('node-b');
  await setOwner('node-a');
  await a.settle('d1', old.map((j) => ({ jobId: j.id, status: 'done' as const })), 2001);
  let c = (await reconciled(plain)).get('src>d1');
  assert.deepEqual([c?.delivered, c?.pending], [0, 3], 'a settle for a claim made under an older token is refused');
  // A second handle of the same node (its memory gone, e.g. restarted with the same id) is refused too.
  const a2 = await open('node-a');
  await a2.settle('d1', [{ jobId: old[0].id, status: 'retry_at', nextAt: 99_999, reason: 'late' }], 2001);
  const { rows } = await plain.pool.query('SELECT attempts, next_at FROM jobs WHERE id = $1', [old[0].id]);
  assert.deepEqual([rows[0].attempts, rows[0].next_at], [0, 0], 'a refused retry changes nothing');

  // The new owner's claim stamps the rows with its token; the old owner's claim can no longer settle them.
  await setOwner('node-b');
  const fresh = await b.claim('d1', ALL, 10, 2002);
  assert.deepEqual(fresh.map((j) => j.message.event), ['1', '2', '3'], 'the new owner starts from the oldest job');
  await setOwner('node-a');
  await a.settle('d1', [{ jobId: old[1].id, status: 'done' }], 2003);
  await b.settle('d1', [{ jobId: fresh[1].id, status: 'done' }], 2003);
  await plain.prune(2003, 86_400_000);
  c = (await reconciled(plain)).get('src>d1');
  assert.deepEqual([c?.delivered, c?.pending], [0, 3], 'neither the old claim nor the lost lease settles');
  // Claimed again under the current token, the same node settles.
  const now = await a.claim('d1', ALL, 10, 2004);
  await a.settle('d1', now.map((j) => ({ jobId: j.id, status: 'done' as const })), 2004);
  await plain.prune(2004, 86_400_000);
  c = (await reconciled(plain)).get('src>d1');
  assert.deepEqual([c?.delivered, c?.pending], [3, 0]);
});

test('a fenced claim stamps its jobs in place: heap-only updates, no new entry in the jobs indexes (fillfactor, migration 8)', async () => {
  const plain = await open();
  const h = await open('node-h');
  await plain.pool.query(
    `INSERT INTO leases (destination_id, lane, node_id, token, expires_at) SELECT 'dh', l, 'node-h', 1, clock_timestamp() + interval '1 hour'
     FROM generate_series(0, ${LANES - 1}) l ON CONFLICT (destination_id, lane) DO UPDATE SET node_id = excluded.node_id, expires_at = excluded.expires_at`,
  );
  await plain.append('src-h', Array.from({ length: 300 }, (_, i) => msg(`h-${i}`, `user-${i}`, ['dh'])));
  const page = async () =>
    new Map((await plain.pool.query<{ id: number; block: string }>(`SELECT id, (ctid::text::point)[0] AS block FROM jobs WHERE destination_id = 'dh'`)).rows.map((r) => [r.id, r.block]));
  const before = await page();
  const claimed = await h.claim('dh', ALL, 100, Date.now());
  assert.equal(claimed.length, 100);
  const { rows } = await plain.pool.query<{ id: number }>(`SELECT id FROM jobs WHERE destination_id = 'dh' AND claim_token = 1`);
  assert.equal(rows.length, 100, 'the claimed jobs carry the lease token');
  // A row version that stays on its page, with no indexed column changed, is a heap-only tuple.
  const after = await page();
  assert.deepEqual(claimed.filter((j) => after.get(j.id) !== before.get(j.id)).map((j) => j.id), [], 'every stamped row stays on its page');
});
