// A user's stored messages and their outcomes (see ../user-messages.ts): the user's messages by the
// messages_user_hash and messages_anon_hash indexes, then their jobs and dead letters by message id (jobs_msg, dead_msg).
import type Database from 'better-sqlite3';
import { type DeadRow, type MessageRow, type PendingRow, mergeNewest, pageLimit, userPage } from '../user-messages.js';
import type { UserMessagesPage } from '../types.js';

/** A user's messages, newest first, by the messages_user_hash index (schema.ts); the user key itself is
 *  compared too, so two keys of the same hash never see each other's messages.
 *  Parameters: userHash(key), key, before, limit. */
export const USER_MESSAGES_SQL =
  'SELECT id, source_id, message_id, received_at, payload, routes FROM messages WHERE user_hash = ? AND user_key = ? AND id < ? ORDER BY id DESC LIMIT ?';

/** Messages sent after identify whose anonymousId is the key, newest first, by the messages_anon_hash index;
 *  the anonymousId is read from the payload to compare (not stored twice: appends stay as cheap), as text
 *  since a numeric id is kept as a number. Parameters as USER_MESSAGES_SQL. */
export const ANON_MESSAGES_SQL =
  "SELECT id, source_id, message_id, received_at, payload, routes FROM messages WHERE anon_hash = ? AND CAST(json_extract(payload, '$.anonymousId') AS TEXT) = ? AND id < ? ORDER BY id DESC LIMIT ?";

/**
 * A 53-bit hash of a user key (cyrb53, public domain: https://github.com/bryc/code/blob/master/jshash/experimental/cyrb53.js),
 * what the messages table indexes instead of the key: an integer entry is a fraction of a key's size, so the
 * index has fewer pages for each append to dirty. Stable across processes and versions: it is stored.
 */
export function userHash(key: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < key.length; i++) {
    const ch = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

export class UserMessages {
  constructor(private readonly db: Database.Database) {}

  list(userKey: string, page: { limit?: number; before?: number } = {}): UserMessagesPage {
    const limit = pageLimit(page.limit);
    const params = [userHash(userKey), userKey, page.before ?? Number.MAX_SAFE_INTEGER, limit];
    const messages = mergeNewest(
      this.db.prepare(USER_MESSAGES_SQL).all(...params) as MessageRow[],
      this.db.prepare(ANON_MESSAGES_SQL).all(...params) as MessageRow[],
      limit,
    );
    if (messages.length === 0) return { messages: [] };
    const ids = JSON.stringify(messages.map((m) => m.id));
    const jobs = this.db
      .prepare('SELECT msg_id, destination_id, attempts, next_at, last_error FROM jobs WHERE msg_id IN (SELECT value FROM json_each(?))')
      .all(ids) as PendingRow[];
    const dead = this.db
      .prepare('SELECT id, msg_id, destination_id, code, reason, failed_at FROM dead_letters WHERE msg_id IN (SELECT value FROM json_each(?))')
      .all(ids) as DeadRow[];
    return userPage(messages, jobs, dead, limit);
  }
}
