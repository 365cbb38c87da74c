// `taproute start`. Errors a user can fix (config, port in use, a half-set CleverTap account) are one line on
// stderr and exit code 1, never a stack trace. SIGTERM / SIGINT stop it gracefully: no new connections, requests
// in flight are answered, deliveries in flight are settled and the store is closed; one line is logged; exit 0.
// With server.processes (or --processes) above 1, on PostgreSQL, this process forks that many nodes sharing the
// port and supervises them (src/cli/processes.ts); the same lines are printed, once for all.
import type { Command } from 'commander';
import type { startSandbox } from '../sandbox.js';
import type { RunningServer } from '../server.js';

type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

function banner(server: RunningServer, sandbox: Sandbox, dataDir: string): string {
  const { secrets, emulator } = sandbox;
  const auth = Buffer.from(`${secrets.writeKey}:`).toString('base64');
  const where = server.boundUrl === server.url ? server.url : `${server.boundUrl} (every interface; from this machine: ${server.url})`;
  // The one place a secret is printed, on purpose: the sandbox's write key is what the first curl needs.
  return `
Taproute sandbox is running on ${where}
  write key:    ${secrets.writeKey}   (source "default")
  admin token:  kept in ${dataDir}/sandbox.json
  console:      ${server.url}/console?token=${secrets.adminToken}
  CleverTap:    ${emulator ? `emulator at ${emulator.url} (account "sandbox")` : 'your account (CLEVERTAP_ACCOUNT_ID)'}

Send an event:
  curl -s ${server.url}/v1/track -H 'Authorization: Basic ${auth}' -H 'Content-Type: application/json' \\
    -d '{"userId":"u1","event":"Signed Up","properties":{"plan":"pro"}}'
${emulator ? `See it in the emulated CleverTap:\n  curl -s ${emulator.url}/_emulator/accounts/sandbox/events\n` : ''}`;
}

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Run Taproute: ingest, store and delivery (a sandbox with an emulated CleverTap when no --config is given)')
    .option('-c, --config <file>', 'YAML or JSON config file')
    .option('-p, --port <port>', 'override server.port')
    .option('--data <dir>', 'sandbox data directory', 'data')
    .option('--processes <n>', 'override server.processes: processes sharing the port, each a node of the cluster (PostgreSQL store only; "auto" = one per core)')
    .action(async (opts: { config?: string; port?: string; data: string; processes?: string }) => {
      const procs = await import('./processes.js');
      // A process forked by the primary below: it takes its config from the primary.
      if (procs.isWorker()) return procs.runWorker();
      // Loaded here, not at the top: the other commands start without the server's modules. The server itself is
      // loaded below, only by a process that runs one (not by the primary of several processes).
      const [{ loadConfig, processesProblem }, { createLogger }] = await Promise.all([import('../config/load.js'), import('../util/logger.js')]);
      let sandbox: Sandbox | null = null;
      let server: RunningServer;
      try {
        if (opts.port !== undefined && !/^\d+$/.test(opts.port)) throw new Error(`--port: "${opts.port}" is not a port number (0-65535)`);
        const processes = opts.processes === undefined ? undefined : procs.parseProcesses(opts.processes);
        const openSandbox = async () => (await import('../sandbox.js')).startSandbox(opts.data, opts.port ? Number(opts.port) : undefined);
        const config = opts.config ? loadConfig(opts.config) : (sandbox = await openSandbox()).config;
        if (opts.port) config.server = { ...config.server, port: Number(opts.port) };
        if (processes !== undefined) {
          config.server = { ...config.server, processes };
          const problem = processesProblem(config);
          if (problem) throw new Error(`--processes ${opts.processes}: ${problem}`);
        }
        const count = procs.processCount(config.server?.processes);
        if (count > 1) return procs.supervise(config, count, createLogger(config.log?.level));
        server = await (await import('../server.js')).startServer(config, { logger: createLogger(config.log?.level) });
      } catch (err) {
        await sandbox?.emulator?.close();
        console.error(`taproute: ${(err as Error).message}`);
        process.exitCode = 1;
        return;
      }
      procs.stopOnSignals(
        async () => {
          await server.close();
          await sandbox?.emulator?.close();
        },
        (signal, ms) => console.log(`Taproute stopped on ${signal}: requests in flight answered, store closed (${ms} ms)`),
        (signal, message) => console.error(`taproute: stopping after ${signal} failed: ${message}`),
      );
      // Printed only once the handlers are in place: a supervisor may signal as soon as it reads this.
      console.log(sandbox ? banner(server, sandbox, opts.data) : `Taproute listening on ${server.boundUrl}${server.config.admin?.token ? ` (console: ${server.url}/console)` : ''}`);
    });
}
