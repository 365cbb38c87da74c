// The zero-config start's configuration: SQLite under ./data, one Segment-API source whose write key is printed,
// and a CleverTap destination: the real account when CLEVERTAP_ACCOUNT_ID / CLEVERTAP_PASSCODE are set, else the
// emulator that `taproute start` runs for the sandbox (src/sandbox.ts). Nothing here starts a server.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
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

/** The real CleverTap account's settings from the environment, or undefined when none is configured. */
export function realCleverTapSettings(env: NodeJS.ProcessEnv = process.env): Record<string, string> | undefined {
  if (!env.CLEVERTAP_ACCOUNT_ID || !env.CLEVERTAP_PASSCODE) return undefined;
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
