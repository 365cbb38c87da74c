// Slots shared by the whole cluster, e.g. CleverTap's requests in flight per account: slot i of a key is the
// session-level advisory lock (hashtext(key), i) (https://www.postgresql.org/docs/current/functions-admin.html#FUNCTIONS-ADVISORY-LOCKS),
// held on a connection of this pool for as long as the request runs. A session lock vanishes with its
// connection, so a node that dies (kill -9, machine loss) frees its slots as soon as PostgreSQL notices.
import type pg from 'pg';
import { createPool } from '../store/postgres/db.js';

/** How long to wait before trying again when every slot is taken (with jitter, so waiters do not march in step). */
const RETRY_MS = 10;

export class ClusterSlots {
  private readonly pool: pg.Pool;

  /** @param maxHeld slots this node may hold at once (connections of its own pool). */
  constructor(url: string, maxHeld: number) {
    this.pool = createPool(url, maxHeld);
  }

  /** Waits for a free slot among `limit` of `key`; resolves to its release. */
  async acquire(key: string, limit: number): Promise<() => void> {
    const c = await this.pool.connect();
    try {
      for (;;) {
        const start = Math.floor(Math.random() * limit);
        for (let k = 0; k < limit; k++) {
          const slot = (start + k) % limit;
          const { rows } = await c.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1), $2) AS ok', [key, slot]);
          if (rows[0].ok)
            return () => {
              c.query('SELECT pg_advisory_unlock(hashtext($1), $2)', [key, slot]).then(
                () => c.release(),
                (err: Error) => c.release(err),
              );
            };
        }
        await new Promise((r) => setTimeout(r, RETRY_MS + Math.random() * RETRY_MS));
      }
    } catch (err) {
      c.release(err as Error);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
