import type { Command } from 'commander';

export function registerStart(program: Command): void {
  program
    .command('start')
    .description('Run Taproute: ingest, store and delivery (a sandbox with an emulated CleverTap when no --config is given)')
    .option('-c, --config <file>', 'YAML or JSON config file')
    .option('-p, --port <port>', 'override server.port')
    .option('--data <dir>', 'sandbox data directory', 'data')
    .action(async (opts: { config?: string; port?: string; data: string }) => {
      // Loaded here, not at the top: the other commands start without the server's modules.
      const [{ loadConfig }, { startSandbox }, { startServer }] = await Promise.all([import('../config/load.js'), import('../sandbox.js'), import('../server.js')]);
      let sandbox: Awaited<ReturnType<typeof startSandbox>> | null = null;
      const config = opts.config ? loadConfig(opts.config) : (sandbox = await startSandbox(opts.data, opts.port ? Number(opts.port) : undefined)).config;
      if (opts.port) config.server = { ...config.server, port: Number(opts.port) };
      const server = await startServer(config);
      if (sandbox) {
        const { secrets, emulator } = sandbox;
        const auth = Buffer.from(`${secrets.writeKey}:`).toString('base64');
        console.log(`
Taproute sandbox is running on ${server.url}
  write key:    ${secrets.writeKey}   (source "default")
  admin token:  kept in ${opts.data}/sandbox.json
  console:      ${server.url}/console?token=${secrets.adminToken}
  CleverTap:    ${emulator ? `emulator at ${emulator.url} (account "sandbox")` : 'your account (CLEVERTAP_ACCOUNT_ID)'}

Send an event:
  curl -s ${server.url}/v1/track -H 'Authorization: Basic ${auth}' -H 'Content-Type: application/json' \\
    -d '{"userId":"u1","event":"Signed Up","properties":{"plan":"pro"}}'
${emulator ? `See it in the emulated CleverTap:\n  curl -s ${emulator.url}/_emulator/accounts/sandbox/events\n` : ''}`);
      } else console.log(`Taproute listening on ${server.url}${config.admin?.token ? ` (console: ${server.url}/console)` : ''}`);
      const stop = async () => {
        await server.close();
        await sandbox?.emulator?.close();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}
