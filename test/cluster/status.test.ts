// The cluster section of GET /admin/status, /metrics and `taproute status`, over real HTTP against real
// servers: two nodes on the test run's PostgreSQL show each other, their leases and tokens; a node that
// leaves disappears and its lanes move; on SQLite the section says single node.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startServer } from '../../src/server.js';
import { LANES } from '../../src/store/lanes.js';
import { createLogger } from '../../src/util/logger.js';
import { ADMIN_TOKEN, get, startStack, tmpDir, waitFor } from '../helpers.js';
import { testDatabaseUrl } from '../pg.js';

const dbUrl = await testDatabaseUrl();
const t = tmpDir();
after(() => t.cleanup());
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function status(url: string) {
  const r = await get(`${url}/admin/status`, admin);
  assert.equal(r.status, 200);
  return r.body;
}

/** Prometheus text → value of the series with exactly these labels. */
function series(text: string, name: string): { labels: Record<string, string>; value: number }[] {
  const out = [];
  for (const m of text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm'))) {
    const labels = Object.fromEntries([...m[1].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    out.push({ labels, value: Number(m[2]) });
  }
  return out;
}

test('PostgreSQL: status, /metrics and `taproute status` show the nodes, their lanes and lease tokens', { timeout: 120_000 }, async () => {
  const stack = await startStack({ config: { storage: { postgres: dbUrl }, cluster: { leaseTimeout: '1s' } } });
  const b = await startServer(stack.server.config, { logger: createLogger('silent') });
  let bClosed = false;
  try {
    const nameA = (await get(`${stack.server.url}/healthz`)).body.node as string;
    const nameB = (await get(`${b.url}/healthz`)).body.node as string;
    assert.ok(nameA && nameB && nameA !== nameB, 'each node names itself');

    const c = await waitFor(async () => {
      const c = (await status(stack.server.url)).cluster;
      const [la, lb] = [nameA, nameB].map((n) => c.nodes.find((x: any) => x.name === n)?.lanes.ct ?? 0);
      return c.alive === 2 && la > 0 && lb > 0 && la + lb === LANES ? c : null;
    }, 30_000, 'both nodes alive, the lanes split between them');
    assert.equal(c.mode, 'cluster');
    assert.equal(c.self, nameA, 'the answering node says which one it is');
    for (const n of c.nodes) {
      assert.equal(n.alive, true);
      assert.ok(Number.isFinite(Date.parse(n.lastHeartbeat)) && Date.parse(n.expiresAt) >= Date.parse(n.lastHeartbeat), 'heartbeat and expiry are times');
    }
    const ct = c.leases.filter((l: any) => l.destinationId === 'ct');
    assert.equal(ct.length, LANES, 'one lease per lane');
    assert.ok(ct.every((l: any) => [nameA, nameB].includes(l.node) && l.token >= 1), 'every lease held by one of the nodes, with a token');
    // The other node tells the same story.
    const fromB = (await status(b.url)).cluster;
    assert.equal(fromB.self, nameB);
    assert.deepEqual(fromB.nodes.map((n: any) => n.name).sort(), [nameA, nameB].sort());

    const metrics = String((await get(`${stack.server.url}/metrics`)).body);
    assert.deepEqual(series(metrics, 'taproute_cluster_nodes'), [{ labels: { mode: 'cluster' }, value: 2 }]);
    assert.deepEqual(series(metrics, 'taproute_cluster_node_alive').map((s) => [s.labels.node, s.value]).sort(), [[nameA, 1], [nameB, 1]].sort());
    const lanes = series(metrics, 'taproute_cluster_lanes').filter((s) => s.labels.destination === 'ct');
    assert.equal(lanes.reduce((a, s) => a + s.value, 0), LANES);
    assert.equal(series(metrics, 'taproute_cluster_lease_token').filter((s) => s.labels.destination === 'ct').length, LANES);
    assert.ok(series(metrics, 'taproute_cluster_node_heartbeat_seconds').every((s) => s.value > 1e9));

    // `taproute status` reads the same database.
    const cfg = join(t.dir, 'taproute.json');
    writeFileSync(cfg, JSON.stringify({ ...stack.server.config, storage: { postgres: dbUrl } }));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'status', '--config', cfg]);
    assert.match(stdout, /cluster: 2 of 2 nodes alive/);
    for (const n of [nameA, nameB]) assert.match(stdout, new RegExp(`${n}\\s+yes\\s+\\S+\\s+\\d+\\s+ct \\d+`));
    assert.match(stdout, /leases of ct: 64 held, 0 free, highest fencing token \d+/);
    // `taproute cluster` lists every lane with its owner and token.
    const { stdout: perLane } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'cluster', '--config', cfg]);
    const listed = [...perLane.matchAll(/ (\d+)#(\d+)/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
    assert.deepEqual(listed, Array.from({ length: LANES }, (_, i) => i), 'every lane of ct listed once with its token');

    // A node that leaves: gone from the list, its lanes taken by the other under a new token.
    const before = new Map(ct.map((l: any) => [l.lane, l.token]));
    const bLanes = ct.filter((l: any) => l.node === nameB).map((l: any) => l.lane);
    await b.close();
    bClosed = true;
    const after = await waitFor(async () => {
      const c = (await status(stack.server.url)).cluster;
      return c.nodes.length === 1 && c.nodes[0].lanes.ct === LANES ? c : null;
    }, 30_000, 'the remaining node to hold every lane');
    assert.equal(after.alive, 1);
    for (const l of after.leases.filter((l: any) => bLanes.includes(l.lane)))
      assert.ok(l.token > (before.get(l.lane) as number), `lane ${l.lane}: a change of owner moves the token on`);
  } finally {
    if (!bClosed) await b.close();
    await stack.close();
  }
});

test('SQLite: the cluster section says single node', async () => {
  const stack = await startStack();
  try {
    const c = (await status(stack.server.url)).cluster;
    assert.equal(c.mode, 'single');
    assert.match(c.note, /single node/);
    const metrics = String((await get(`${stack.server.url}/metrics`)).body);
    assert.deepEqual(series(metrics, 'taproute_cluster_nodes'), [{ labels: { mode: 'single' }, value: 1 }]);
    assert.deepEqual(series(metrics, 'taproute_cluster_node_alive'), []);
  } finally {
    await stack.close();
  }
});
