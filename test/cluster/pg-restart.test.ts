// Three `taproute start` processes on one PostgreSQL, and that PostgreSQL restarted mid-load: no node exits,
// ingest refuses (503) while the database is away, every acknowledged event reaches the emulator, and each
// user's events arrive in the order received. The database is a private one (its own data directory and
// port): the run's shared server, used by other test files at the same time, is never restarted.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { privatePostgres } from '../../scripts/test-postgres.mjs';
import { startEmulator } from '../../src/emulator/index.js';
import { startServerProcess } from '../harness/server-process.js';
import { tmpDir, waitFor } from '../tmp.js';
import { assertDelivered, counts, startLoad, writeClusterConfig } from './load.js';

const LEASE_MS = 2000;
const t = tmpDir();
after(() => t.cleanup());

test('PostgreSQL restarted mid-load: no node exits, nothing acknowledged is lost, per-user order kept', { timeout: 240_000 }, async () => {
  const pg = await privatePostgres();
  await pg.start();
  const emu = await startEmulator({ port: 0, accounts: [{ id: 'acc', passcode: 'pass' }], logger: false, faults: { latencyMs: 5 } });
  const cfg = writeClusterConfig(t.dir, { dbUrl: pg.url, emulatorUrl: emu.url, leaseMs: LEASE_MS, batch: 50, inFlight: 5 });
  const nodes = await Promise.all([startServerProcess(cfg), startServerProcess(cfg), startServerProcess(cfg)]);
  try {
    const load = startLoad(() => nodes.map((n) => n.url));
    await waitFor(() => load.acked.size >= 1000, 60_000, 'load before the restart');
    const refusedBefore = load.refused.n;
    await pg.stop();
    // Away for longer than a lease: every lease expires and is taken again under a new token afterwards.
    await new Promise((r) => setTimeout(r, LEASE_MS + 500));
    await pg.start();
    const ackedAtRestart = load.acked.size;
    await waitFor(() => load.acked.size >= ackedAtRestart + 1000, 90_000, 'load after the restart');
    await load.stop();
    assert.ok(load.refused.n > refusedBefore, 'ingest refused requests while PostgreSQL was away');
    for (const [i, n] of nodes.entries()) assert.equal(n.child.exitCode, null, `node ${i} is still running`);

    const c = await waitFor(async () => {
      const c = await counts(nodes[0].url);
      return c.received > 0 && c.pending === 0 ? c : null;
    }, 3 * LEASE_MS + 90_000, 'every stored event to be settled');
    assert.equal(c.dead, 0);
    assert.equal(c.received, c.delivered + c.dead + c.filtered + c.pending, 'counts reconcile');
    const { delivered, duplicates } = assertDelivered(emu.events('acc') as any[], load.acked);
    console.log(`PostgreSQL restart: acknowledged ${load.acked.size}, refused ${load.refused.n} requests, delivered ${delivered} distinct, ${duplicates} duplicates`);
    for (const [i, n] of nodes.entries()) assert.equal(n.child.exitCode, null, `node ${i} is still running`);
  } finally {
    for (const n of nodes) n.child.kill('SIGTERM');
    await emu.close();
    await pg.remove();
  }
});
