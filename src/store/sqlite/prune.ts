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
  // A message's entries are in the latest run that started before its id (indexer.ts).
  const forget = db.prepare(
    `DELETE FROM user_lookup WHERE (run, hash, msg_id) IN (
       SELECT (${RUN_OF_ID}), user_hash, id FROM messages WHERE id IN (SELECT value FROM json_each(@ids)) AND user_hash IS NOT NULL
       UNION ALL SELECT (${RUN_OF_ID}), anon_hash, id FROM messages WHERE id IN (SELECT value FROM json_each(@ids)) AND anon_hash IS NOT NULL)`,
  );
  const remove = db.prepare('DELETE FROM messages WHERE id IN (SELECT value FROM json_each(?))');
  const chunk = db.transaction(() => {
    const list = ids.get(USER_LOOKUP) as string;
    forget.run({ ids: list });
    return remove.run(list).changes;
  });
  while (chunk() === CHUNK) await new Promise((r) => setImmediate(r));
  foldRuns(db);
}

const RUN_OF_ID = 'SELECT max(l.run) FROM user_lookup l WHERE l.run < messages.id';

/**
 * Folds into run 0 the runs that lie wholly below the oldest job (and the watermark): prune has just removed their
 * messages but the dead-lettered ones, so a lookup would walk many nearly empty runs. Every folded entry's message
 * id is at most the first remaining run's start, so "the latest run that started before the id" still finds it.
 */
function foldRuns(db: Database.Database): void {
  db.prepare(
    `UPDATE OR REPLACE user_lookup SET run = 0 WHERE run > 0 AND run < (SELECT max(run) FROM user_lookup WHERE run < min(
       (SELECT coalesce(min(msg_id), 9223372036854775807) FROM jobs), coalesce((${WATERMARK_SQL}), 0)))`,
  ).run(USER_LOOKUP);
}
