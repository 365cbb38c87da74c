import type { Command } from 'commander';
import type { ClusterSection } from '../cluster/report.js';
import { SqliteStore } from '../store/sqlite/index.js';
import type { Store } from '../store/types.js';
import { openStore } from './store-access.js';

/** The cluster section of the store behind this CLI command: nodes and leases on PostgreSQL, else a single node. */
export async function clusterOf(store: Store): Promise<ClusterSection> {
  const { clusterSection, SINGLE_NODE } = await import('../cluster/report.js');
  if (store instanceof SqliteStore) return SINGLE_NODE;
  // Loaded only for PostgreSQL: the SQLite CLI starts without the pg driver.
  const { PostgresStore } = await import('../store/postgres/index.js');
  return store instanceof PostgresStore ? clusterSection(store.pool) : SINGLE_NODE;
}

/** Nodes, liveness, last heartbeat and lanes held per destination, with the highest lease token per destination. */
export function printCluster(c: ClusterSection): void {
  if (c.mode === 'single') return console.log(`cluster: ${c.note}`);
  console.log(`cluster: ${c.alive} of ${c.nodes.length} nodes alive (PostgreSQL store)`);
  console.log('node                                  alive  last heartbeat            pid      lanes');
  for (const n of c.nodes) {
    const lanes = Object.entries(n.lanes).map(([d, k]) => `${d} ${k}`).join(', ') || '-';
    console.log(`${n.name.padEnd(37)} ${(n.alive ? 'yes' : 'no').padEnd(6)} ${n.lastHeartbeat.padEnd(25)} ${String(n.pid).padEnd(8)} ${lanes}`);
  }
  const byDest = new Map<string, { held: number; free: number; token: number }>();
  for (const l of c.leases) {
    const d = byDest.get(l.destinationId) ?? { held: 0, free: 0, token: 0 };
    if (l.node) d.held++;
    else d.free++;
    d.token = Math.max(d.token, l.token);
    byDest.set(l.destinationId, d);
  }
  for (const [d, x] of byDest) console.log(`leases of ${d}: ${x.held} held, ${x.free} free, highest fencing token ${x.token}`);
}

export function registerCluster(program: Command): void {
  program
    .command('cluster')
    .description('Nodes sharing the PostgreSQL store and the lanes each one owns')
    .requiredOption('-c, --config <file>', 'config file (storage.postgres)')
    .option('--json', 'print JSON')
    .action(async (opts: { config: string; json?: boolean }) => {
      const store = await openStore(opts);
      try {
        const state = await clusterOf(store);
        if (state.mode === 'single') {
          console.error('no cluster: the store is SQLite (one node); set storage.postgres to run several nodes');
          process.exitCode = 2;
          return;
        }
        if (opts.json) return console.log(JSON.stringify(state, null, 2));
        printCluster(state);
        const byDest = new Map<string, Map<string, string[]>>();
        for (const l of state.leases) {
          const owners = byDest.get(l.destinationId) ?? new Map<string, string[]>();
          byDest.set(l.destinationId, owners);
          const k = l.node ?? '(free)';
          owners.set(k, [...(owners.get(k) ?? []), `${l.lane}#${l.token}`]);
        }
        for (const [d, owners] of byDest) {
          console.log(`\n${d} (lane#token)`);
          for (const [n, lanes] of owners) console.log(`  ${n.padEnd(37)} ${lanes.join(' ')}`);
        }
      } finally {
        await store.close();
      }
    });
}
