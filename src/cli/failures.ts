import type { Command } from 'commander';
import { failureFilter } from '../admin/filters.js';
import { openStore } from './store-access.js';

interface Opts {
  config?: string;
  data: string;
  destination?: string;
  code?: string;
  since?: string;
  until?: string;
  limit?: string;
  json?: boolean;
}

function withFilters(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'config file (to find the store)')
    .option('--data <dir>', 'sandbox data directory', 'data')
    .option('-d, --destination <id>', 'only this destination')
    .option('--code <code>', 'only this error code (e.g. 515, unsupported_type)')
    .option('--since <time>', 'failed at or after (ISO time or epoch ms)')
    .option('--until <time>', 'failed at or before (ISO time or epoch ms)');
}

export function registerFailures(program: Command): void {
  const f = program.command('failures').description('Dead letters: list, inspect and replay');
  withFilters(f.command('list').description('List dead letters'))
    .option('--limit <n>', 'at most n', '100')
    .option('--json', 'print JSON')
    .action(async (o: Opts) => {
      const store = await openStore(o);
      try {
        const rows = await store.failures(failureFilter({ ...o }));
        if (o.json) return console.log(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return console.log('no failures');
        for (const r of rows)
          // One line each: the reason's first line (a function's stack is in `failures show`).
          console.log(
            `${String(r.id).padStart(6)}  ${new Date(r.failedAt).toISOString()}  ${r.destinationId}  ${r.code}  ${r.messageId}  ${r.messageType ?? '-'}${r.event ? ` "${r.event}"` : ''}  ${r.reason.split('\n')[0]}`,
          );
      } finally {
        await store.close();
      }
    });
  f.command('show <id>')
    .description('Show one dead letter with its message, the records that were sent and the mapping warnings')
    .option('-c, --config <file>', 'config file (to find the store)')
    .option('--data <dir>', 'sandbox data directory', 'data')
    .action(async (id: string, o: Opts) => {
      const store = await openStore(o);
      try {
        const r = await store.failure(Number(id));
        if (!r) {
          console.error(`no failure ${id}`);
          process.exitCode = 1;
        } else console.log(JSON.stringify(r, null, 2));
      } finally {
        await store.close();
      }
    });
  withFilters(f.command('replay').description('Send matching dead letters again (a running server picks them up)'))
    .option('--ids <ids>', 'comma-separated failure ids')
    .action(async (o: Opts & { ids?: string }) => {
      const store = await openStore(o, true);
      try {
        const n = await store.replay(failureFilter({ ...o }));
        console.log(`replayed ${n}`);
      } finally {
        await store.close();
      }
    });
}
