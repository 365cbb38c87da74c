// `taproute emulator`: runs the CleverTap API emulator until SIGINT/SIGTERM.
// Exit codes: 0 after SIGINT/SIGTERM; 2 for a bad option value (usage error, checked before anything starts);
// 1 when the emulator cannot start (e.g. the port is in use). Errors are printed as one line, no stack trace.
import { InvalidArgumentError, type Command } from 'commander';
import { startEmulator } from '../emulator/index.js';
import type { EmulatorAccount, Faults } from '../emulator/index.js';

const USAGE_EXIT_CODE = 2;

/** A bad option value: commander prints "error: option '…' argument '…' is invalid. <message>" and exits 2. */
function usage(message: string): InvalidArgumentError {
  const e = new InvalidArgumentError(message);
  e.exitCode = USAGE_EXIT_CODE;
  return e;
}

/** Where `--account ID` (no passcode on the command line, which any user can read in the process list) takes
 *  its passcode from. */
export const PASSCODE_ENV = 'TAPROUTE_EMULATOR_PASSCODE';

function parseAccount(value: string, previous: EmulatorAccount[] | undefined): EmulatorAccount[] {
  const i = value.indexOf(':');
  const fromEnv = process.env[PASSCODE_ENV];
  if (i < 0 && value !== '') {
    if (!fromEnv) throw usage(`expected ID:PASSCODE, or ID with the passcode in ${PASSCODE_ENV}`);
    return [...(previous ?? []), { id: value, passcode: fromEnv }];
  }
  // Passcodes may contain ':', account ids do not.
  if (i <= 0 || i === value.length - 1) throw usage(`expected ID:PASSCODE, or ID with the passcode in ${PASSCODE_ENV}`);
  return [...(previous ?? []), { id: value.slice(0, i), passcode: value.slice(i + 1) }];
}

function int(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = value.trim() === '' ? NaN : Number(value);
    if (!Number.isInteger(n) || n < min || n > max) {
      throw usage(max === Number.MAX_SAFE_INTEGER ? `expected an integer >= ${min}` : `expected an integer between ${min} and ${max}`);
    }
    return n;
  };
}

function rate(value: string): number {
  const n = value.trim() === '' ? NaN : Number(value);
  if (!(n >= 0 && n <= 1)) throw usage('expected a number between 0 and 1');
  return n;
}

interface EmulatorCliOptions {
  port: number;
  host: string;
  account: EmulatorAccount[];
  maxInFlight?: number;
  maxRecords?: number;
  maxEventProperties?: number;
  retain?: number;
  failureRate?: number;
  partialRate?: number;
  status?: number;
  latencyMs?: number;
}

export function registerEmulator(program: Command): void {
  program
    .command('emulator')
    .description("Run a local emulator of CleverTap's server API (upload, delete, demerge, profile) with fault injection")
    .requiredOption('--account <id:passcode>', `account accepted by the emulator (repeatable); ID alone takes the passcode from ${PASSCODE_ENV}`, parseAccount)
    .option('--port <port>', 'port to listen on (0 = random)', int(0, 65535), 9000)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option('--max-in-flight <n>', 'concurrent requests per account before 429 (CleverTap: 15)', int(1))
    .option('--max-records <n>', 'records per upload request (CleverTap: 1000)', int(1))
    .option('--max-event-properties <n>', 'properties per event (CleverTap: 256)', int(1))
    .option('--retain <n>', 'events/profiles kept for inspection per account', int(0))
    .option('--failure-rate <r>', 'fraction (0..1) of requests answered with --status (default 503)', rate)
    .option('--partial-rate <r>', 'fraction (0..1) of records answered as unprocessed 555', rate)
    .option('--status <code>', 'answer requests with this HTTP status (100-599; all of them unless --failure-rate)', int(100, 599))
    .option('--latency-ms <ms>', 'added latency per request', int(0))
    .action(async (o: EmulatorCliOptions) => {
      const faults: Faults = {};
      if (o.failureRate !== undefined) faults.failureRate = o.failureRate;
      if (o.partialRate !== undefined) faults.partialRate = o.partialRate;
      if (o.status !== undefined) faults.status = o.status;
      if (o.latencyMs !== undefined) faults.latencyMs = o.latencyMs;
      let emu;
      try {
        emu = await startEmulator({
          port: o.port,
          host: o.host,
          accounts: o.account,
          maxInFlight: o.maxInFlight,
          maxRecords: o.maxRecords,
          maxEventProperties: o.maxEventProperties,
          retain: o.retain,
          faults,
        });
      } catch (e) {
        // Options are checked above, so this is the environment (port in use, host not available...).
        console.error(`emulator: cannot start: ${(e as Error).message}`);
        process.exitCode = 1;
        return;
      }
      // Never print passcodes; the real port is printed even for --port 0.
      console.log(`CleverTap emulator listening on ${emu.url} (accounts: ${o.account.map((a) => a.id).join(', ')})`);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          resolve();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      await emu.close();
    });
}
