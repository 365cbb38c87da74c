// The `taproute` command: one file per subcommand, registered here.
import { Command } from 'commander';
import { registerStart } from './start.js';
import { registerTransform } from './transform.js';
import { registerEmulator } from './emulator.js';
import { registerFailures } from './failures.js';
import { registerStatus } from './status.js';
import { registerDestinations } from './destinations.js';
import { registerCluster } from './cluster.js';

const program = new Command();
program.name('taproute').description('Self-hosted customer-data router for CleverTap').version('0.1.0');
registerStart(program);
registerTransform(program);
registerEmulator(program);
registerFailures(program);
registerStatus(program);
registerDestinations(program);
registerCluster(program);
await program.parseAsync(process.argv);
