import type { Command } from 'commander';
import { failureFilter } from '../admin/filters.js';
import type { FailureFilter } from '../store/types.js';
import { openStore } from './store-access.js';

interface Opts {
  config?: string;
  data: string;
  destination?: string;
  code?: string;
  clevertapCode?: string;
  since?: string;
  until?: string;
  limit?: string;
  json?: boolean;
}

const HEADER = ['id', 'failed at', 'destination', 'code', 'message id', 'message', 'reason'];

/** The filter from the options, or undefined after printing a one-line error (a bad time, id or limit). */
function filterOrExit(o: Opts & { ids?: string }): FailureFilter | undefined {
  try {
    return failureFilter({ ...o });
  } catch (err) {
    console.error(`failures: ${(err as Error).message}`);
    process.exitCode = 2;
    return undefined;
  }
}

function withFilters(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'config file (to find the store)')
    .option('--data <dir>', 'sandbox data directory', 'data')
    .option('-d, --destination <id>', 'only this destination')
    .option('--code <code>', "only this error code: Taproute's (e.g. unsupported_type, invalid_email) or the destination's (e.g. CleverTap's 515)")
    .option('--clevertap-code <code>', "only CleverTap's own code (e.g. 515), never Taproute's")
    .option('--since <time>', 'failed at or after (ISO time or epoch ms)')
    .option('--until <time>', 'failed at or before (ISO time or epoch ms)');
}

export function registerFailures(program: Command): void {
  const f = program.command('failures').description('Dead letters: list, inspect and replay');
  withFilters(f.command('list').description('List dead letters'))
    .option('--limit <n>', 'at most n', '100')
    .option('--json', 'print JSON')
    .action(async (o: Opts) => {
      const filter = filterOrExit(o);
      if (!filter) return;
      const store = await openStore(o);
      try {
        const rows = await store.failures(filter);
        if (o.json) return console.log(JSON.stringify(rows, null, 2));
        if (rows.length === 0) return console.log('no failures');
        // One line each: the reason's first line (a function's stack is in `failures show`).
        const table = rows.map((r) => [String(r.id), new Date(r.failedAt).toISOString(), r.destinationId, r.code, r.messageId, `${r.messageType ?? '-'}${r.event ? ` "${r.event}"` : ''}`, r.reason.split('\n')[0]]);
        const widths = [0, 1, 2, 3, 4, 5].map((i) => Math.max(HEADER[i].length, ...table.map((row) => row[i].length)));
        for (const row of [HEADER, ...table]) console.log(row.map((v, i) => (i === 0 ? v.padStart(widths[i]) : i < 6 ? v.padEnd(widths[i]) : v)).join('  '));
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
      const filter = filterOrExit(o);
      if (!filter) return;
      const store = await openStore(o, true);
      try {
        const n = await store.replay(filter);
        console.log(`replayed ${n}`);
      } finally {
        await store.close();
      }
    });
}
