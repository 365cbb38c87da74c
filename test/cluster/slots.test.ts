// Cluster-wide slots (CleverTap's requests in flight per account) against the test run's PostgreSQL: two
// nodes together never hold more than the limit, and a node's slots vanish with its connections.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { ClusterSlots } from '../../src/cluster/slots.js';
import { testDatabaseUrl } from '../pg.js';

const url = await testDatabaseUrl();
const open: ClusterSlots[] = [];
after(async () => {
  for (const s of open) await s.close().catch(() => {});
});
const node = () => {
  const s = new ClusterSlots(url, 5);
  open.push(s);
  return s;
};

test('two nodes share the limit of a key; another key has its own', async () => {
  const [a, b] = [node(), node()];
  const held = [await a.acquire('acc', 3), await a.acquire('acc', 3), await b.acquire('acc', 3)];
  let got = false;
  const waiting = b.acquire('acc', 3).then((release) => ((got = true), release));
  const other = await b.acquire('other', 3); // a different account is not held back
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(got, false, 'a fourth slot of the same key waits');
  held.shift()!();
  const fourth = await waiting;
  assert.equal(got, true, 'released slots are taken again');
  for (const r of [...held, fourth, other]) r();
});

test('a node that goes away frees its slots', async () => {
  const [a, b] = [node(), node()];
  await a.acquire('acc2', 2);
  await a.acquire('acc2', 2);
  let got = false;
  const waiting = b.acquire('acc2', 2).then((release) => ((got = true), release));
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(got, false);
  // Its connections end (as when its process dies): session-level locks are released by PostgreSQL.
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const { rows } = await admin.query(
    `SELECT pg_terminate_backend(pid) AS ok FROM pg_locks
     WHERE locktype = 'advisory' AND objsubid = 2 AND classid::bigint = (hashtext('acc2')::bigint & 4294967295)`,
  );
  await admin.end();
  assert.equal(rows.length, 2, 'both slots were held by the node that went away');
  (await waiting)();
});
