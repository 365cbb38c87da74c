// The CLI's status, failures and cluster commands open the server's store directly: a second connection to
// the SQLite file (WAL allows it while the server runs) or to the PostgreSQL database the nodes share. They
// need the same config as the server.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SqliteStore } from '../store/sqlite/index.js';
import type { Store } from '../store/types.js';

export async function openStore(opts: { config?: string; data?: string }, write = false): Promise<Store> {
  // The config module (and through it every destination's) is loaded only when a config file is given.
  const storage = opts.config ? (await import('../config/load.js')).loadConfig(opts.config).storage : undefined;
  if (storage?.postgres) {
    // Loaded only when used: every CLI command starts faster without the PostgreSQL store.
    const { PostgresStore } = await import('../store/postgres/index.js');
    return PostgresStore.open(storage.postgres, { poolSize: 2 });
  }
  const file = resolve(opts.config ? storage?.sqlite ?? 'data/taproute.sqlite' : resolve(opts.data ?? 'data', 'taproute.sqlite'));
  if (!existsSync(file)) {
    console.error(`no Taproute store at ${file} (give --config FILE, or --data DIR for the sandbox)`);
    process.exit(2);
  }
  return new SqliteStore(file, { readonly: !write });
}
