// CleverTap API emulator: programmatic entry point (tests, demos, the zero-config sandbox).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Accounts } from './auth.js';
import { FaultState } from './faults.js';
import { EmulatorCore } from './server.js';
import { emptyStats } from './store.js';
import type { EmulatorOptions, RunningEmulator } from './types.js';

export type { EmulatorOptions, EmulatorAccount, EmulatorProfile, EmulatorStats, Faults, RunningEmulator, StoredToken } from './types.js';
export { parseFaults } from './faults.js';

function positiveInt(name: string, v: number | undefined, dflt: number, min = 1): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < min) throw new Error(`emulator option ${name} must be an integer >= ${min}`);
  return v;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export async function startEmulator(opts: EmulatorOptions): Promise<RunningEmulator> {
  if (!opts || !Array.isArray(opts.accounts) || opts.accounts.length === 0) {
    throw new Error('emulator needs at least one account');
  }
  const accounts = new Accounts(opts.accounts);
  const faults = new FaultState(opts.faults);
  const retain = positiveInt('retain', opts.retain, 100_000, 0);
  const core = new EmulatorCore(
    accounts,
    faults,
    {
      maxInFlight: positiveInt('maxInFlight', opts.maxInFlight, 15),
      maxRecords: positiveInt('maxRecords', opts.maxRecords, 1000),
      maxTokens: positiveInt('maxTokens', opts.maxTokens, 100),
      maxBodyBytes: positiveInt('maxBodyBytes', opts.maxBodyBytes, 32 * 1024 * 1024),
      maxIdsPerRequest: 100,
      limits: {
        maxEventProperties: positiveInt('maxEventProperties', opts.maxEventProperties, 256),
        discarded: new Set((opts.discardedEvents ?? []).map((s) => s.toLowerCase())),
      },
      logErrors: opts.logger !== false,
    },
    retain,
  );

  // requireHostHeader off: the emulator answers any Host (every region host maps here).
  const server = createServer({ requireHostHeader: false, keepAliveTimeout: 65_000 }, core.handle);
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${urlHost(host)}:${port}`,
    port,
    setFaults: (f) => faults.set(f),
    faults: () => faults.get(),
    stats: (id) => core.stores.get(id)?.snapshot() ?? emptyStats(),
    events: (id) => core.stores.get(id)?.events.slice() ?? [],
    profiles: (id) => (core.stores.has(id) ? [...core.stores.get(id)!.profiles] : []),
    tokens: (id) => core.stores.get(id)?.tokens.slice() ?? [],
    reset: (id) => {
      if (id === undefined) for (const s of core.stores.values()) s.reset();
      else core.stores.get(id)?.reset();
    },
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        core.shutdown();
        server.close(() => resolve());
        server.closeAllConnections();
      })),
  };
}
