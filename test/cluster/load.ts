// What the cluster process tests share: a config for N nodes on one PostgreSQL, a load spread over the
// nodes that records which events were acknowledged, and the checks that every acknowledged event reached
// the emulator with each user's events in the order received.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';

export const KEY = 'cluster-key';

export function writeClusterConfig(dir: string, o: { dbUrl: string; emulatorUrl: string; leaseMs: number; batch: number; inFlight: number }): string {
  const cfg = join(dir, 'taproute.yaml');
  writeFileSync(
    cfg,
    `server: { port: 0 }
storage: { postgres: "${o.dbUrl}" }
cluster: { leaseTimeout: ${o.leaseMs}ms }
router: { retryBase: 20ms, retryMax: 500ms, pollInterval: 20ms }
sources: [{ id: web, type: segment, writeKey: ${KEY} }]
destinations: [{ id: ct, type: clevertap, settings: { accountId: acc, passcode: pass, endpoint: "${o.emulatorUrl}", batchSize: ${o.batch}, maxInFlight: ${o.inFlight} } }]
connections: [{ source: web, destination: ct }]
`,
  );
  return cfg;
}

/** The reconciliation counts of destination ct, as a node's /metrics shows them. */
export async function counts(url: string): Promise<Record<string, number>> {
  const text = await (await request(`${url}/metrics`)).body.text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^taproute_events\{[^}]*destination="ct",state="(\w+)"\} (\d+)$/gm)) out[m[1]] = Number(m[2]);
  return out;
}

/**
 * Clients that send batches of 20 events round-robin to the nodes targets() names, each waiting for every
 * answer, so that a user's events (each client owns its users) are received in the order of their number i.
 * An event counts as acknowledged on a 200 only; anything else (503, a dead node) is not retried.
 */
export function startLoad(targets: () => string[], clients = 4) {
  const acked = new Set<number>();
  const refused = { n: 0 };
  let seq = 0;
  let stop = false;
  const auth = 'Basic ' + Buffer.from(`${KEY}:`).toString('base64');
  const client = async (k: number) => {
    for (let r = 0; !stop; r++) {
      const ids = Array.from({ length: 20 }, () => seq++);
      const urls = targets();
      const url = urls[(k + r) % urls.length];
      let ok = false;
      try {
        const res = await request(`${url}/v1/batch`, {
          method: 'POST',
          headers: { authorization: auth, 'content-type': 'application/json' },
          body: JSON.stringify({ batch: ids.map((i) => ({ type: 'track', userId: `c${k}-u${i % 7}`, event: 'Load', properties: { i }, messageId: `m-${i}` })) }),
        });
        await res.body.text();
        ok = res.statusCode === 200;
      } catch {
        // the node is gone: the next request goes to another one
      }
      if (ok) for (const i of ids) acked.add(i);
      else {
        refused.n++;
        await new Promise((r) => setTimeout(r, 50)); // as an SDK backs off after a 503
      }
    }
  };
  const running = Array.from({ length: clients }, (_, k) => client(k));
  return {
    acked,
    refused,
    async stop() {
      stop = true;
      await Promise.all(running);
    },
  };
}

/** Every acknowledged event delivered, and per user the first delivery of each event in the order received. Returns the duplicates. */
export function assertDelivered(events: any[], acked: Set<number>): { delivered: number; duplicates: number } {
  const sent = events.map((e) => ({ i: e.evtData.i as number, user: e.identity as string }));
  const delivered = new Set(sent.map((s) => s.i));
  assert.deepEqual([...acked].filter((i) => !delivered.has(i)), [], 'every acknowledged event was delivered');
  const firstSeen = new Map<string, number[]>();
  const once = new Set<number>();
  for (const s of sent) {
    if (once.has(s.i)) continue;
    once.add(s.i);
    firstSeen.set(s.user, [...(firstSeen.get(s.user) ?? []), s.i]);
  }
  for (const [user, is] of firstSeen) assert.deepEqual(is, [...is].sort((a, b) => a - b), `order kept for ${user}`);
  return { delivered: delivered.size, duplicates: sent.length - delivered.size };
}
