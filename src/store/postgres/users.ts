// A user's stored messages and their outcomes on PostgreSQL (the SQLite store's users.ts; see ../user-messages.ts).
import type pg from 'pg';
import { type DeadRow, type MessageRow, type PendingRow, mergeNewest, pageLimit, userPage } from '../user-messages.js';
import type { UserMessagesPage } from '../types.js';

/** A user's messages, newest first, by the messages_user index (migration 4). */
export const USER_MESSAGES_SQL =
  'SELECT id, source_id, message_id, received_at, payload, routes FROM messages WHERE user_key = $1 AND id < $2 ORDER BY id DESC LIMIT $3';

/** Messages sent after identify whose anonymousId is the key, newest first, by the messages_anon index (migration 7). */
export const ANON_MESSAGES_SQL =
  'SELECT id, source_id, message_id, received_at, payload, routes FROM messages WHERE anon_key = $1 AND id < $2 ORDER BY id DESC LIMIT $3';

export async function userMessages(pool: pg.Pool, userKey: string, page: { limit?: number; before?: number } = {}): Promise<UserMessagesPage> {
  const limit = pageLimit(page.limit);
  const params = [userKey, page.before ?? Number.MAX_SAFE_INTEGER, limit];
  const [byKey, byAnon] = await Promise.all([pool.query<MessageRow>(USER_MESSAGES_SQL, params), pool.query<MessageRow>(ANON_MESSAGES_SQL, params)]);
  const messages = mergeNewest(byKey.rows, byAnon.rows, limit);
  if (messages.length === 0) return { messages: [] };
  const ids = messages.map((m) => m.id);
  const [jobs, dead] = await Promise.all([
    pool.query<PendingRow>('SELECT msg_id, destination_id, attempts, next_at, last_error FROM jobs WHERE msg_id = ANY($1::bigint[])', [ids]),
    pool.query<DeadRow>('SELECT id, msg_id, destination_id, code, reason, failed_at FROM dead_letters WHERE msg_id = ANY($1::bigint[])', [ids]),
  ]);
  return userPage(messages, jobs.rows, dead.rows, limit);
}

/** Names the rule in the routes of messages filtered when settled (inside the settling transaction). */
export async function routeFiltered(c: pg.ClientBase, destinationId: string, filtered: { msgId: number; rule: string }[]): Promise<void> {
  if (filtered.length === 0) return;
  filtered.sort((a, b) => a.msgId - b.msgId);
  await c.query(
    `UPDATE messages m SET routes = jsonb_set(coalesce(m.routes, '{}')::jsonb, ARRAY[$1::text], to_jsonb(s.rule))::text
     FROM unnest($2::bigint[], $3::text[]) AS s(id, rule) WHERE m.id = s.id`,
    [destinationId, filtered.map((f) => f.msgId), filtered.map((f) => f.rule)],
  );
}
