import type { Command } from 'commander';
import { statusReport } from '../admin/status.js';
import { clusterOf, printCluster } from './cluster.js';
import { openStore } from './store-access.js';

type Report = Awaited<ReturnType<typeof statusReport>>;

/** Why a connection's events are pending: its destination is paused, or the last failed attempt. */
function pendingNote(c: Report['connections'][number], destinations: Report['destinations']): string {
  if (c.pending === 0) return '';
  const d = destinations[c.destinationId];
  if (d?.state === 'paused') return `paused: ${d.reason}`;
  const e = c.lastError;
  return e ? `${e.code ? `${e.code}: ` : ''}${e.reason} (${new Date(e.at).toISOString()})` : '';
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('Counts per source and destination: received = delivered + dead-lettered + filtered + pending')
    .option('-c, --config <file>', 'config file (to find the store)')
    .option('--data <dir>', 'sandbox data directory', 'data')
    .option('--json', 'print JSON')
    .action(async (opts: { config?: string; data: string; json?: boolean }) => {
      const store = await openStore(opts);
      try {
        const r = await statusReport(store, undefined, () => clusterOf(store));
        if (opts.json) return console.log(JSON.stringify(r, null, 2));
        console.log('source          received  duplicates  rejected');
        for (const s of r.sources) console.log(`${s.sourceId.padEnd(14)} ${String(s.received).padStart(9)} ${String(s.duplicates).padStart(11)} ${String(s.rejected).padStart(9)}`);
        console.log('\nsource → destination            received  delivered  dead  filtered  pending  reconciled  warnings  last error');
        for (const c of r.connections)
          console.log(
            `${`${c.sourceId} → ${c.destinationId}`.padEnd(30)} ${String(c.received).padStart(9)} ${String(c.delivered).padStart(10)} ${String(c.dead).padStart(5)} ${String(c.filtered).padStart(9)} ${String(c.pending).padStart(8)}  ${(c.reconciled ? 'yes' : 'NO').padEnd(10)}  ${String(c.warnings).padStart(8)}  ${pendingNote(c, r.destinations)}`.trimEnd(),
          );
        const filtered = r.connections.filter((c) => Object.keys(c.filteredByRule).length > 0);
        if (filtered.length) {
          console.log('\nfiltered by rule');
          for (const c of filtered)
            console.log(`${`${c.sourceId} → ${c.destinationId}`.padEnd(30)} ${Object.entries(c.filteredByRule).map(([rule, n]) => `${rule} ${n}`).join('  ')}`);
        }
        const states = Object.entries(r.destinations);
        if (states.length) {
          console.log('\ndestination     state     since                     reason');
          for (const [id, d] of states)
            console.log(`${id.padEnd(15)} ${d.state.padEnd(9)} ${d.since ? new Date(d.since).toISOString() : '-'.padEnd(24)}  ${'reason' in d ? d.reason : ''}`.trimEnd());
        }
        console.log('');
        printCluster(r.cluster);
      } finally {
        await store.close();
      }
    });
}
