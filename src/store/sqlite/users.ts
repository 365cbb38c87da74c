// A user's stored messages and their outcomes (see ../user-messages.ts): the user's messages by the
// messages_user index, then their jobs and dead letters by message id (jobs_msg, dead_msg).
import type Database from 'better-sqlite3';
import { type DeadRow, type MessageRow, type PendingRow, pageLimit, userPage } from '../user-messages.js';
import type { UserMessagesPage } from '../types.js';

/** A user's messages, newest first, by the messages_user index (schema.ts). */
export const USER_MESSAGES_SQL = 'SELECT id, source_id, message_id, received_at, payload, routes FROM messages WHERE user_key = ? AND id < ? ORDER BY id DESC LIMIT ?';

export class UserMessages {
  constructor(private readonly db: Database.Database) {}

  list(userKey: string, page: { limit?: number; before?: number } = {}): UserMessagesPage {
    const limit = pageLimit(page.limit);
    const messages = this.db
      .prepare(USER_MESSAGES_SQL)
      .all(userKey, page.before ?? Number.MAX_SAFE_INTEGER, limit) as MessageRow[];
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
