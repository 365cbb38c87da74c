import type { Command } from 'commander';
import { statusReport } from '../admin/status.js';
import { openStore } from './store-access.js';

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
        const r = await statusReport(store);
        if (opts.json) return console.log(JSON.stringify(r, null, 2));
        console.log('source          received  duplicates  rejected');
        for (const s of r.sources) console.log(`${s.sourceId.padEnd(14)} ${String(s.received).padStart(9)} ${String(s.duplicates).padStart(11)} ${String(s.rejected).padStart(9)}`);
        console.log('\nsource → destination            received  delivered  dead  filtered  pending  reconciled  warnings');
        for (const c of r.connections)
          console.log(
            `${`${c.sourceId} → ${c.destinationId}`.padEnd(30)} ${String(c.received).padStart(9)} ${String(c.delivered).padStart(10)} ${String(c.dead).padStart(5)} ${String(c.filtered).padStart(9)} ${String(c.pending).padStart(8)}  ${(c.reconciled ? 'yes' : 'NO').padEnd(10)}  ${String(c.warnings).padStart(8)}`,
          );
        const filtered = r.connections.filter((c) => Object.keys(c.filteredByRule).length > 0);
        if (filtered.length) {
          console.log('\nfiltered by rule');
          for (const c of filtered)
            console.log(`${`${c.sourceId} → ${c.destinationId}`.padEnd(30)} ${Object.entries(c.filteredByRule).map(([rule, n]) => `${rule} ${n}`).join('  ')}`);
        }
      } finally {
        await store.close();
      }
    });
}
