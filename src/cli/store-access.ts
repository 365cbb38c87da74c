// The CLI's status and failures commands read the store file directly (SQLite WAL allows a second
// process while the server runs); they need the same config as the server.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import { SqliteStore } from '../store/sqlite/index.js';

export function openStore(opts: { config?: string; data?: string }, write = false): SqliteStore {
  const file = resolve(opts.config ? loadConfig(opts.config).storage?.sqlite ?? 'data/taproute.sqlite' : resolve(opts.data ?? 'data', 'taproute.sqlite'));
  if (!existsSync(file)) {
    console.error(`no Taproute store at ${file} (give --config FILE, or --data DIR for the sandbox)`);
    process.exit(2);
  }
  return new SqliteStore(file, { readonly: !write });
}
