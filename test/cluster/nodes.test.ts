// Three real `taproute start` processes on one PostgreSQL, the emulator as CleverTap: the load is spread
// over all three, one is killed with SIGKILL mid-load, and the other two take its lanes over.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { startEmulator } from '../../src/emulator/index.js';
import { testDatabaseUrl } from '../pg.js';
import { startServerProcess } from '../harness/server-process.js';
import { tmpDir, waitFor } from '../tmp.js';

const KEY = 'cluster-key';
const BATCH = 50;
/** Per node: three nodes stay within CleverTap's 15 requests in flight per account. */
const IN_FLIGHT = 5;
const LEASE_MS = 2000;

const dbUrl = await testDatabaseUrl();
const t = tmpDir();
after(() => t.cleanup());

async function counts(url: string): Promise<Record<string, number>> {
  const text = await (await request(`${url}/metrics`)).body.text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^taproute_events\{[^}]*destination="ct",state="(\w+)"\} (\d+)$/gm)) out[m[1]] = Number(m[2]);
  return out;
}

test('three nodes share the load; a node killed mid-load loses nothing acknowledged and its lanes are taken over', { timeout: 240_000 }, async () => {
  const emu = await startEmulator({ port: 0, accounts: [{ id: 'acc', passcode: 'pass' }], logger: false, faults: { latencyMs: 5 } });
  const cfg = join(t.dir, 'taproute.yaml');
  writeFileSync(
    cfg,
    `server: { port: 0 }
storage: { postgres: "${dbUrl}" }
cluster: { leaseTimeout: ${LEASE_MS}ms }
router: { retryBase: 20ms, retryMax: 500ms, pollInterval: 20ms }
sources: [{ id: web, type: segment, writeKey: ${KEY} }]
destinations: [{ id: ct, type: clevertap, settings: { accountId: acc, passcode: pass, endpoint: "${emu.url}", batchSize: ${BATCH}, maxInFlight: ${IN_FLIGHT} } }]
connections: [{ source: web, destination: ct }]
`,
  );
  const nodes = await Promise.all([startServerProcess(cfg), startServerProcess(cfg), startServerProcess(cfg)]);
  try {
    const acked = new Set<number>();
    let seq = 0;
    let stop = false;
    const alive = new Set([0, 1, 2]);
    const auth = 'Basic ' + Buffer.from(`${KEY}:`).toString('base64');
    // Each client owns its users and waits for every answer, so a user's events are received in the order of i.
    const client = async (k: number) => {
      for (let r = 0; !stop; r++) {
        const ids = Array.from({ length: 20 }, () => seq++);
        const targets = [...alive];
        const node = nodes[targets[(k + r) % targets.length]];
        try {
          const res = await request(`${node.url}/v1/batch`, {
            method: 'POST',
            headers: { authorization: auth, 'content-type': 'application/json' },
            body: JSON.stringify({ batch: ids.map((i) => ({ type: 'track', userId: `c${k}-u${i % 7}`, event: 'Load', properties: { i }, messageId: `m-${i}` })) }),
          });
          await res.body.text();
          if (res.statusCode === 200) for (const i of ids) acked.add(i);
        } catch {
          // the node was killed: the next request goes to another one
        }
      }
    };
    const clients = [0, 1, 2, 3].map(client);
    await waitFor(() => acked.size >= 2000, 60_000, 'load');
    const seenBefore = emu.events('acc').length;
    alive.delete(0);
    nodes[0].child.kill('SIGKILL');
    await waitFor(() => acked.size >= 4000, 60_000, 'load after the kill');
    stop = true;
    await Promise.all(clients);
    assert.ok(emu.events('acc').length > seenBefore, 'delivery went on after the kill');

    const c = await waitFor(async () => {
      const c = await counts(nodes[1].url);
      return c.received > 0 && c.pending === 0 ? c : null;
    }, 3 * LEASE_MS + 60_000, 'the surviving nodes to settle every stored event');
    assert.equal(c.dead, 0);
    const sent = (emu.events('acc') as any[]).map((e) => ({ i: e.evtData.i as number, user: e.identity as string }));
    const delivered = new Set(sent.map((s) => s.i));
    assert.deepEqual([...acked].filter((i) => !delivered.has(i)), [], 'every acknowledged event was delivered');
    const duplicates = sent.length - delivered.size;
    console.log(`cluster test: acknowledged ${acked.size}, delivered ${delivered.size} distinct, ${duplicates} duplicates after SIGKILL`);
    assert.ok(duplicates <= IN_FLIGHT * BATCH, `${duplicates} duplicates, more than the dead node had in flight`);
    // Per user, the first delivery of each event comes in the order received.
    const firstSeen = new Map<string, number[]>();
    const once = new Set<number>();
    for (const s of sent) {
      if (once.has(s.i)) continue;
      once.add(s.i);
      firstSeen.set(s.user, [...(firstSeen.get(s.user) ?? []), s.i]);
    }
    for (const [user, is] of firstSeen) assert.deepEqual(is, [...is].sort((a, b) => a - b), `order kept for ${user}`);
  } finally {
    for (const n of nodes) n.child.kill('SIGTERM');
    await emu.close();
  }
});
