// Housekeeping in chunks, yielding between them so ingest is never blocked for long.
import type Database from 'better-sqlite3';
import { USER_LOOKUP, WATERMARK_SQL } from './indexer.js';

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
  // Messages no job and no dead letter refers to any more (older than the oldest job), with their user_lookup
  // entries. Only below the indexer's watermark (indexer.ts): the message at it stays, so the largest rowid never
  // goes back and a new message always gets an id after the watermark (SQLite takes max(rowid) + 1:
  // https://www.sqlite.org/autoinc.html).
  const ids = db.prepare(
    `SELECT json_group_array(id) FROM (SELECT id FROM messages WHERE id < (SELECT coalesce(min(msg_id), 9223372036854775807) FROM jobs)
       AND id < coalesce((${WATERMARK_SQL}), 0) AND id NOT IN (SELECT msg_id FROM dead_letters) LIMIT ${CHUNK})`,
  ).pluck();
  const forget = db.prepare(
    `DELETE FROM user_lookup WHERE (hash, msg_id) IN (
       SELECT user_hash, id FROM messages WHERE id IN (SELECT value FROM json_each(@ids)) AND user_hash IS NOT NULL
       UNION ALL SELECT anon_hash, id FROM messages WHERE id IN (SELECT value FROM json_each(@ids)) AND anon_hash IS NOT NULL)`,
  );
  const remove = db.prepare('DELETE FROM messages WHERE id IN (SELECT value FROM json_each(?))');
  const chunk = db.transaction(() => {
    const list = ids.get(USER_LOOKUP) as string;
    forget.run({ ids: list });
    return remove.run(list).changes;
  });
  while (chunk() === CHUNK) await new Promise((r) => setImmediate(r));
}
