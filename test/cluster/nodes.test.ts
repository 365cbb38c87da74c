// Three real `taproute start` processes on one PostgreSQL, the emulator as CleverTap: the load is spread
// over all three, one is killed with SIGKILL mid-load, and the other two take its lanes over.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from '../../src/emulator/index.js';
import { testDatabaseUrl } from '../pg.js';
import { startServerProcess } from '../harness/server-process.js';
import { tmpDir, waitFor } from '../tmp.js';
import { assertDelivered, counts, startLoad, writeClusterConfig } from './load.js';

const BATCH = 50;
/** Per node: three nodes stay within CleverTap's 15 requests in flight per account. */
const IN_FLIGHT = 5;
const LEASE_MS = 2000;

const dbUrl = await testDatabaseUrl();
const t = tmpDir();
after(() => t.cleanup());

test('three nodes share the load; a node killed mid-load loses nothing acknowledged and its lanes are taken over', { timeout: 240_000 }, async () => {
  const emu = await startEmulator({ port: 0, accounts: [{ id: 'acc', passcode: 'pass' }], logger: false, faults: { latencyMs: 5 } });
  const cfg = writeClusterConfig(t.dir, { dbUrl, emulatorUrl: emu.url, leaseMs: LEASE_MS, batch: BATCH, inFlight: IN_FLIGHT });
  const nodes = await Promise.all([startServerProcess(cfg), startServerProcess(cfg), startServerProcess(cfg)]);
  try {
    const alive = new Set([0, 1, 2]);
    const load = startLoad(() => [...alive].map((n) => nodes[n].url));
    await waitFor(() => load.acked.size >= 2000, 60_000, 'load');
    const seenBefore = emu.events('acc').length;
    alive.delete(0);
    nodes[0].child.kill('SIGKILL');
    await waitFor(() => load.acked.size >= 4000, 60_000, 'load after the kill');
    await load.stop();
    assert.ok(emu.events('acc').length > seenBefore, 'delivery went on after the kill');

    const c = await waitFor(async () => {
      const c = await counts(nodes[1].url);
      return c.received > 0 && c.pending === 0 ? c : null;
    }, 3 * LEASE_MS + 60_000, 'the surviving nodes to settle every stored event');
    assert.equal(c.dead, 0);
    const { delivered, duplicates } = assertDelivered(emu.events('acc') as any[], load.acked);
    console.log(`cluster test: acknowledged ${load.acked.size}, delivered ${delivered} distinct, ${duplicates} duplicates after SIGKILL`);
    assert.ok(duplicates <= IN_FLIGHT * BATCH, `${duplicates} duplicates, more than the dead node had in flight`);
  } finally {
    for (const n of nodes) n.child.kill('SIGTERM');
    await emu.close();
  }
});
