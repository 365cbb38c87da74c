// Housekeeping in chunks, yielding between them so ingest is never blocked for long.
import type Database from 'better-sqlite3';

const CHUNK = 5000;
/** Request ids are remembered this long: far longer than any SDK or feed retries a request. */
import { REQUEST_ID_DAYS } from '../rows.js';

export async function prune(db: Database.Database, now: number, dedupeWindowMs: number): Promise<void> {
  const chunked = async (sql: string, ...args: unknown[]) => {
    const stmt = db.prepare(sql);
    while (stmt.run(...args).changes === CHUNK) await new Promise((r) => setImmediate(r));
  };
  await chunked(
    `DELETE FROM dedupe WHERE (source_id, message_id) IN (SELECT source_id, message_id FROM dedupe WHERE at < ? LIMIT ${CHUNK})`,
    now - dedupeWindowMs,
  );
  await chunked(
    `DELETE FROM seen_requests WHERE (source_id, request_id) IN (SELECT source_id, request_id FROM seen_requests WHERE at < ? LIMIT ${CHUNK})`,
    now - REQUEST_ID_DAYS * 86_400_000,
  );
  // Messages no job and no dead letter refers to any more (older than the oldest job).
  await chunked(
    `DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE id < (SELECT coalesce(min(msg_id), 9223372036854775807) FROM jobs)
       AND id NOT IN (SELECT msg_id FROM dead_letters) LIMIT ${CHUNK})`,
  );
}
