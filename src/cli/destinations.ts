// `taproute destinations resume <id>`: resumes a destination paused because its credentials were refused (after
// they were fixed). It records the resume in the store file; a running server notices within a second or so.
import type { Command } from 'commander';
import { openStore } from './store-access.js';

export function registerDestinations(program: Command): void {
  const d = program.command('destinations').description('Destination delivery state');
  d.command('resume <id>')
    .description('Resume a paused destination (a running server picks it up)')
    .option('-c, --config <file>', 'config file (to find the store)')
    .option('--data <dir>', 'sandbox data directory', 'data')
    .action(async (id: string, o: { config?: string; data: string }) => {
      const store = await openStore(o, true);
      try {
        const state = (await store.destinationStates()).find((s) => s.destinationId === id);
        if (!state) {
          console.error(`no destination "${id}" in the store (known: ${(await store.destinationStates()).map((s) => s.destinationId).join(', ') || 'none'})`);
          process.exitCode = 2;
          return;
        }
        if (state.paused === null) return console.log(`${id} is not paused`);
        await store.setDestinationPaused(id, null, Date.now());
        console.log(`resumed ${id} (was paused: ${state.paused})`);
      } finally {
        await store.close();
      }
    });
}
