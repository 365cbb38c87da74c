// A user's stored messages and their outcomes (see ../user-messages.ts): the user's messages by a rowid range
// after the indexer's watermark, then by user_lookup run by run, newest first (indexer.ts), then their jobs and
// dead letters by message id (jobs_msg, dead_msg).
import type Database from 'better-sqlite3';
import { USER_LOOKUP, WATERMARK_SQL, keyedByRun } from './indexer.js';
import { type DeadRow, type MessageRow, type PendingRow, pageLimit, userPage } from '../user-messages.js';
import type { UserMessagesPage } from '../types.js';

/** Which messages are a key's: its own (the user key itself compared too, so two keys of the same hash never see
 *  each other's messages), or sent after identify with it as anonymousId (read from the payload to compare, not
 *  stored twice: appends stay as cheap; as text since a numeric id is kept as a number).
 *  Parameters: hash (userHash(key)), key. */
const OF_KEY = `((m.user_hash = @hash AND m.user_key = @key) OR (m.anon_hash = @hash AND CAST(json_extract(m.payload, '$.anonymousId') AS TEXT) = @key))`;
const COLUMNS = 'm.id, m.source_id, m.message_id, m.received_at, m.payload, m.routes';

// `LIMIT @limit + 0`: a bare parameter in LIMIT feeds SQLite's plan, so every new binding re-prepared the
// statement (~40 µs, and a lookup runs one per run; see jobs.ts).

/** The latest indexer run that started before a message id (a run's messages come after its start). Parameter: an id. */
export const RUN_BEFORE_SQL = 'SELECT max(run) FROM user_lookup WHERE run < ?';

/** The key's messages indexed by one run, newest first. Parameters: run, before (an id), limit, hash and key as OF_KEY. */
export const INDEXED_MESSAGES_SQL = `SELECT ${COLUMNS} FROM user_lookup u JOIN messages m ON m.id = u.msg_id
  WHERE u.run = @run AND u.hash = @hash AND u.msg_id < @before AND ${OF_KEY} ORDER BY u.msg_id DESC LIMIT @limit + 0`;

/** The key's messages not indexed yet, newest first: a rowid range over the tail (about a second of appends).
 *  Parameters: before, limit, hash, key as INDEXED_MESSAGES_SQL, upto (the watermark). */
export const TAIL_MESSAGES_SQL = `SELECT ${COLUMNS} FROM messages m
  WHERE m.id > @upto AND m.id < @before AND ${OF_KEY} ORDER BY m.id DESC LIMIT @limit + 0`;

/**
 * A 53-bit hash of a user key (cyrb53, public domain: https://github.com/bryc/code/blob/master/jshash/experimental/cyrb53.js),
 * what user_lookup indexes instead of the key (indexer.ts): an integer entry is a fraction of a key's size, so the
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
  private readonly s;

  constructor(private readonly db: Database.Database) {
    // A read-only handle on a file no owner of this version has opened yet (createSchema adds or rekeys the
    // lookup): the whole messages table is its tail.
    const indexed = keyedByRun(db);
    this.s = {
      upto: indexed ? db.prepare(WATERMARK_SQL).pluck() : null,
      runBefore: indexed ? db.prepare(RUN_BEFORE_SQL).pluck() : null,
      indexed: indexed ? db.prepare(INDEXED_MESSAGES_SQL) : null,
      tail: db.prepare(TAIL_MESSAGES_SQL),
      jobs: db.prepare('SELECT msg_id, destination_id, attempts, next_at, last_error FROM jobs WHERE msg_id IN (SELECT value FROM json_each(?))'),
      dead: db.prepare('SELECT id, msg_id, destination_id, code, reason, failed_at FROM dead_letters WHERE msg_id IN (SELECT value FROM json_each(?))'),
    };
  }

  list(userKey: string, page: { limit?: number; before?: number } = {}): UserMessagesPage {
    const limit = pageLimit(page.limit);
    const before = page.before ?? Number.MAX_SAFE_INTEGER;
    // One read transaction: the watermark, the tail and the index as of one moment (another connection's indexer
    // may move entries meanwhile).
    return this.db.transaction(() => {
      const upto = (this.s.upto?.get(USER_LOOKUP) as number | undefined) ?? 0;
      const hash = userHash(userKey);
      // Every tail message is newer than every indexed one: the tail first, then the index for the rest.
      const messages = this.s.tail.all({ before, limit, hash, key: userKey, upto }) as MessageRow[];
      // Then run by run, newest first, until the page is full: each run's entries are one range of the index.
      const below = Math.min(before, upto + 1);
      let run = this.s.runBefore?.get(below) as number | null | undefined;
      while (messages.length < limit && run !== null && run !== undefined) {
        messages.push(...(this.s.indexed!.all({ run, before: below, limit: limit - messages.length, hash, key: userKey }) as MessageRow[]));
        run = this.s.runBefore!.get(run) as number | null;
      }
      if (messages.length === 0) return { messages: [] };
      const ids = JSON.stringify(messages.map((m) => m.id));
      return userPage(messages, this.s.jobs.all(ids) as PendingRow[], this.s.dead.all(ids) as DeadRow[], limit);
    })();
  }
}
