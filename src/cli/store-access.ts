// The CLI's status and failures commands read the store file directly (SQLite WAL allows a second
// process while the server runs); they need the same config as the server.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SqliteStore } from '../store/sqlite/index.js';

export async function openStore(opts: { config?: string; data?: string }, write = false): Promise<SqliteStore> {
  // The config module (and through it every destination's) is loaded only when a config file is given.
  const config = opts.config ? (await import('../config/load.js')).loadConfig(opts.config) : undefined;
  const file = resolve(config ? config.storage?.sqlite ?? 'data/taproute.sqlite' : resolve(opts.data ?? 'data', 'taproute.sqlite'));
  if (!existsSync(file)) {
    console.error(`no Taproute store at ${file} (give --config FILE, or --data DIR for the sandbox)`);
    process.exit(2);
  }
  return new SqliteStore(file, { readonly: !write });
}
