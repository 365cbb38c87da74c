// The CLI's status and failures commands read the store file directly (SQLite WAL allows a second
// process while the server runs); they need the same config as the server.
import { resolve } from 'node:path';
import { loadConfig } from '../config/load.js';
import { SqliteStore } from '../store/sqlite.js';

export function openStore(opts: { config?: string; data?: string }): SqliteStore {
  const file = opts.config ? loadConfig(opts.config).storage?.sqlite ?? 'data/taproute.sqlite' : resolve(opts.data ?? 'data', 'taproute.sqlite');
  return new SqliteStore(resolve(file));
}
