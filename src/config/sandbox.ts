// The zero-config start's configuration: SQLite under ./data, one Segment-API source whose write key is printed,
// and a CleverTap destination: the real account when CLEVERTAP_ACCOUNT_ID / CLEVERTAP_PASSCODE are set, else the
// emulator that `taproute start` runs for the sandbox (src/sandbox.ts). Nothing here starts a server.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CLEVERTAP_REGIONS } from '../destinations/clevertap/settings.js';
import type { Config } from './schema.js';
import { parseConfig } from './load.js';

export interface SandboxSecrets {
  writeKey: string;
  passcode: string;
  adminToken: string;
}

/** Secrets are generated once and kept in <dir>/sandbox.json (mode 0600) so restarts keep the same keys. */
export function sandboxSecrets(dataDir: string): SandboxSecrets {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'sandbox.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const s = {
    writeKey: `wk_${randomBytes(12).toString('hex')}`,
    passcode: randomBytes(12).toString('hex'),
    adminToken: randomBytes(18).toString('hex'),
  };
  writeFileSync(file, JSON.stringify(s, null, 2), { mode: 0o600 });
  return s;
}

/** The real CleverTap account's settings from the environment, or undefined when none is configured (then the
 *  sandbox uses the emulator). Half a configuration is an error, never a silent fall-back to the emulator. */
export function realCleverTapSettings(env: NodeJS.ProcessEnv = process.env): Record<string, string> | undefined {
  const region = env.CLEVERTAP_REGION;
  if (region && !(CLEVERTAP_REGIONS as readonly string[]).includes(region))
    throw new Error(`CLEVERTAP_REGION: "${region}" is not one of ${CLEVERTAP_REGIONS.join(', ')}`);
  if (!env.CLEVERTAP_ACCOUNT_ID && !env.CLEVERTAP_PASSCODE) {
    if (region) throw new Error('CLEVERTAP_REGION is set but CLEVERTAP_ACCOUNT_ID and CLEVERTAP_PASSCODE are not: set both to use your account, or unset it for the emulator');
    return undefined;
  }
  if (!env.CLEVERTAP_ACCOUNT_ID) throw new Error('CLEVERTAP_PASSCODE is set but CLEVERTAP_ACCOUNT_ID is not: set both to use your account, or neither for the emulator');
  if (!env.CLEVERTAP_PASSCODE) throw new Error('CLEVERTAP_ACCOUNT_ID is set but CLEVERTAP_PASSCODE is not: set both to use your account, or neither for the emulator');
  return { accountId: env.CLEVERTAP_ACCOUNT_ID, passcode: env.CLEVERTAP_PASSCODE, ...(env.CLEVERTAP_REGION ? { region: env.CLEVERTAP_REGION } : {}) };
}

/** The sandbox config: the store in `dataDir`, the CleverTap destination with `clevertap` as its settings. */
export function sandboxConfig(dataDir: string, secrets: SandboxSecrets, clevertap: Record<string, unknown>, port = Number(process.env.PORT ?? 8080)): Config {
  return parseConfig({
    server: { port, host: process.env.HOST ?? '127.0.0.1' },
    storage: { sqlite: join(resolve(dataDir), 'taproute.sqlite') },
    admin: { token: secrets.adminToken },
    sources: [{ id: 'default', type: 'segment', writeKey: secrets.writeKey }],
    destinations: [{ id: 'clevertap', type: 'clevertap', settings: clevertap }],
    connections: [{ source: 'default', destination: 'clevertap' }],
  });
}
