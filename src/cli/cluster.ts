import type { Command } from 'commander';
import { openStore } from './store-access.js';

export function registerCluster(program: Command): void {
  program
    .command('cluster')
    .description('Nodes sharing the PostgreSQL store and the lanes each one owns')
    .requiredOption('-c, --config <file>', 'config file (storage.postgres)')
    .option('--json', 'print JSON')
    .action(async (opts: { config: string; json?: boolean }) => {
      const store = await openStore(opts);
      const { clusterState } = await import('../cluster/membership.js');
      const { PostgresStore } = await import('../store/postgres/index.js');
      try {
        if (!(store instanceof PostgresStore)) {
          console.error('no cluster: the store is SQLite (one node); set storage.postgres to run several nodes');
          process.exitCode = 2;
          return;
        }
        const state = await clusterState(store.pool);
        if (opts.json) return console.log(JSON.stringify(state, null, 2));
        console.log('node                                  live  lanes  pid      started');
        for (const n of state.nodes) {
          const lanes = state.leases.filter((l) => l.nodeId === n.id).length;
          console.log(`${n.id.padEnd(37)} ${(n.live ? 'yes' : 'no').padEnd(5)} ${String(lanes).padStart(5)}  ${String(n.pid).padEnd(8)} ${n.startedAt}`);
        }
        const byDest = new Map<string, Map<string, number[]>>();
        for (const l of state.leases) {
          const owners = byDest.get(l.destinationId) ?? new Map<string, number[]>();
          byDest.set(l.destinationId, owners);
          const k = l.nodeId ?? '(free)';
          owners.set(k, [...(owners.get(k) ?? []), l.lane]);
        }
        for (const [d, owners] of byDest) {
          console.log(`\n${d}`);
          for (const [n, lanes] of owners) console.log(`  ${n.padEnd(37)} lanes ${lanes.join(',')}`);
        }
      } finally {
        await store.close();
      }
    });
}
