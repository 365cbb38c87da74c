// The connection pool and transactions. A lost or refused connection is an error of the call that used it,
// never of the process: the pool's 'error' event (an idle connection dropped, e.g. on a server restart)
// is absorbed (https://node-postgres.com/apis/pool#error), and the next call connects again.
import pg from 'pg';

// bigint columns hold epoch milliseconds and row ids, all far below 2^53: read them as numbers
// (https://node-postgres.com/features/types).
const INT8 = 20;
const INT8_ARRAY = 1016;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8) return (v: string) => Number(v);
    if (oid === INT8_ARRAY) return (v: string) => (pg.types.getTypeParser(INT8_ARRAY as never, 'text')(v) as string[]).map(Number);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/**
 * @param idleInTransactionMs the server ends a session left idle inside a transaction that long
 *   (https://www.postgresql.org/docs/current/runtime-config-client.html#GUC-IDLE-IN-TRANSACTION-SESSION-TIMEOUT):
 *   a node paused (SIGSTOP, a VM frozen) in the middle of a settle then no longer holds the lease rows it
 *   locked, and the other nodes can take its lanes over.
 */
export function createPool(url: string, max = 10, idleInTransactionMs?: number): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    types,
    connectionTimeoutMillis: 5000,
    application_name: 'taproute',
    ...(idleInTransactionMs && { idle_in_transaction_session_timeout: idleInTransactionMs }),
  });
  pool.on('error', () => {});
  // A checked-out connection that drops between two queries emits 'error' on the client, which would be
  // an uncaught exception: the next query on it fails instead, and the caller discards it.
  pool.on('connect', (c) => c.on('error', () => {}));
  return pool;
}

const commit = async (c: pg.PoolClient) => {
  await c.query('COMMIT');
};

/**
 * Runs fn inside one transaction on one connection; rolls back and rethrows on error. finish ends the
 * transaction with COMMIT (given: it may write more first, and must commit). opened: fn sends the BEGIN
 * itself, in the same round trip as its first statement.
 */
export async function tx<T>(
  pool: pg.Pool,
  fn: (c: pg.PoolClient) => Promise<T>,
  finish: (c: pg.PoolClient, r: T) => Promise<void> = commit,
  opened = false,
): Promise<T> {
  const c = await pool.connect();
  let broken: Error | undefined;
  try {
    if (!opened) await c.query('BEGIN');
    const r = await fn(c);
    await finish(c, r);
    return r;
  } catch (err) {
    broken = err as Error;
    await c.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    // A connection that failed mid-transaction is discarded rather than handed out again.
    c.release(broken);
  }
}

/** A string as an SQL literal (https://www.postgresql.org/docs/current/sql-syntax-lexical.html#SQL-SYNTAX-STRINGS). */
export const literal = (s: string): string => pg.escapeLiteral(s);

/** An error meaning "try again later" for the caller (HTTP 503): the database could not be reached or used. */
export function unavailable(err: unknown): Error {
  const e = err as Error & { statusCode?: number };
  return Object.assign(new Error(`store unavailable: ${e?.message ?? String(err)}`), { statusCode: 503, cause: err });
}
