// A node paused with SIGSTOP past its lease, with requests in flight: the other nodes take its lanes over and
// settle the jobs it had claimed; resumed with SIGCONT, it settles nothing for the lanes it lost (every one
// of its late settlements is refused by fencing), and the emulator shows every event, per-user order kept.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startEmulator } from '../../src/emulator/index.js';
import { testDatabaseUrl } from '../pg.js';
import { startServerProcess } from '../harness/server-process.js';
import { get } from '../helpers.js';
import { tmpDir, waitFor } from '../tmp.js';
import { assertDelivered, counts, startLoad, writeClusterConfig } from './load.js';

const LEASE_MS = 1500;
const dbUrl = await testDatabaseUrl();
const t = tmpDir();
after(() => t.cleanup());

async function refused(url: string): Promise<number> {
  const text = String((await get(`${url}/metrics`)).body);
  return Number(/^taproute_cluster_settles_refused_total (\d+)$/m.exec(text)?.[1] ?? NaN);
}

test('a node paused past its lease settles nothing for the lanes it lost', { timeout: 240_000 }, async () => {
  // Requests stay in flight a while, so the paused node surely has some.
  const emu = await startEmulator({ port: 0, accounts: [{ id: 'acc', passcode: 'pass' }], logger: false, faults: { latencyMs: 300 } });
  const cfg = writeClusterConfig(t.dir, { dbUrl, emulatorUrl: emu.url, leaseMs: LEASE_MS, batch: 20, inFlight: 5 });
  const nodes = await Promise.all([startServerProcess(cfg), startServerProcess(cfg), startServerProcess(cfg)]);
  const db = new pg.Pool({ connectionString: dbUrl, max: 2 });
  const [paused, ...others] = nodes;
  try {
    const name = (await get(`${paused.url}/healthz`)).body.node as string;
    const load = startLoad(() => others.map((n) => n.url), 2);
    await waitFor(async () => load.acked.size >= 400 && (await db.query('SELECT 1 FROM leases WHERE node_id = $1 LIMIT 1', [name])).rowCount, 60_000, 'load, and the node to hold lanes');
    const refusedBefore = await refused(paused.url);

    // Pause it with jobs in flight: rows it claimed under the lease it holds now.
    let inFlight: number[] = [];
    for (let attempt = 0; inFlight.length === 0; attempt++) {
      assert.ok(attempt < 50, 'the node had requests in flight when paused');
      paused.child.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, 300)); // statements already sent reach the database
      const { rows } = await db.query(
        `SELECT j.id FROM jobs j JOIN leases l ON l.destination_id = j.destination_id AND l.lane = j.lane AND l.token = j.claim_token WHERE l.node_id = $1`,
        [name],
      );
      inFlight = rows.map((r) => Number(r.id));
      if (inFlight.length === 0) {
        paused.child.kill('SIGCONT');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    // Past its lease: the others hold its lanes and settle what it had claimed (it is stopped: they did).
    await waitFor(async () => (await db.query(`SELECT 1 FROM leases WHERE node_id = $1 AND expires_at > clock_timestamp()`, [name])).rowCount === 0, 3 * LEASE_MS + 30_000, 'its leases to expire');
    await waitFor(async () => (await db.query('SELECT 1 FROM jobs WHERE id = ANY($1::bigint[])', [inFlight])).rowCount === 0, 60_000, 'the new owners to settle its claimed jobs');
    await load.stop();

    paused.child.kill('SIGCONT');
    // Its late settlements (one per job it had in flight) change nothing.
    const after = await waitFor(async () => {
      const n = await refused(paused.url);
      return n >= refusedBefore + inFlight.length ? n : null;
    }, 60_000, `the resumed node's ${inFlight.length} late settlements to be refused`);
    console.log(`SIGSTOP test: ${inFlight.length} jobs in flight at the pause, ${after - refusedBefore} settlements refused after SIGCONT`);
    assert.equal(paused.child.exitCode, null, 'the resumed node runs on');

    const c = await waitFor(async () => {
      const c = await counts(others[0].url);
      return c.received > 0 && c.pending === 0 ? c : null;
    }, 60_000, 'every stored event to be settled');
    assert.equal(c.dead, 0);
    const { delivered } = assertDelivered(emu.events('acc') as any[], load.acked);
    assert.equal(c.delivered, delivered, 'each job counted delivered once, whoever settled it');
  } finally {
    for (const n of nodes) {
      n.child.kill('SIGCONT');
      n.child.kill('SIGTERM');
    }
    await db.end();
    await emu.close();
  }
});
