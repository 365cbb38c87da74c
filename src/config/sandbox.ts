// The zero-config start: SQLite under ./data, one Segment-API source whose write key is printed, and a
// CleverTap destination — real when CLEVERTAP_ACCOUNT_ID / CLEVERTAP_PASSCODE are set, else an
// in-process CleverTap emulator, so a first curl shows up as a stored CleverTap event at once.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startEmulator } from '../emulator/index.js';
import type { Config } from './schema.js';
import { parseConfig } from './load.js';

interface SandboxSecrets {
  writeKey: string;
  passcode: string;
  adminToken: string;
}

/** Secrets are generated once and kept in data/sandbox.json (mode 0600) so restarts keep the same keys. */
function secrets(dir: string): SandboxSecrets {
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

export async function sandboxConfig(dataDir = 'data', port = Number(process.env.PORT ?? 8080)) {
  const dir = resolve(dataDir);
  mkdirSync(dir, { recursive: true });
  const s = secrets(dir);
  const real = process.env.CLEVERTAP_ACCOUNT_ID && process.env.CLEVERTAP_PASSCODE;
  const emulator = real ? null : await startEmulator({ port: 0, accounts: [{ id: 'sandbox', passcode: s.passcode }], logger: false });
  const settings = real
    ? { accountId: process.env.CLEVERTAP_ACCOUNT_ID, passcode: process.env.CLEVERTAP_PASSCODE, ...(process.env.CLEVERTAP_REGION ? { region: process.env.CLEVERTAP_REGION } : {}) }
    : { accountId: 'sandbox', passcode: s.passcode, endpoint: emulator!.url };
  const config: Config = parseConfig({
    server: { port, host: process.env.HOST ?? '127.0.0.1' },
    storage: { sqlite: join(dir, 'taproute.sqlite') },
    admin: { token: s.adminToken },
    sources: [{ id: 'default', type: 'segment', writeKey: s.writeKey }],
    destinations: [{ id: 'clevertap', type: 'clevertap', settings }],
    connections: [{ source: 'default', destination: 'clevertap' }],
  });
  return { config, secrets: s, emulator };
}
