// Write-behind indexing of the user lookup (users.ts). An index keyed by a hash takes each new entry at a random
// place, so an append dirtied about one 4 KB page of it per message, and every group commit wrote those pages to
// the WAL again. Instead the messages table is only appended to (rowid order), and this indexer moves the entries
// of the messages after its watermark into user_lookup, sorted, once a second (or once the tail is long): one
// transaction that writes each page once for the many entries it gets (on a file of 200,000 events the WAL per
// appended event went from 14.9 to 9.2 KB, the store thread's CPU from ~75 to ~55 µs). The watermark (the highest
// message id indexed) is written in the same transaction, so the index and it always agree, also after kill -9;
// the lookup reads the indexed part by the index and the short tail after the watermark by a rowid range.
//
// The dedupe key (source_id, message_id) is random too but stays indexed at append: its table holds the whole
// dedupe window (a day of keys), so a second's batch is a small fraction of its pages and still dirties about one
// page per key. Measured: 15,000 keys sorted into a table of 2 million still wrote 3.7 KB of WAL each (5.5 KB in
// group commits of 400), and a day's window at 15,000 events/s is 600 times larger than that table.
import type Database from 'better-sqlite3';

/** The watermark's row in index_state. */
export const USER_LOOKUP = 'user_lookup';
/** The highest message id whose entries are in user_lookup (0: none). Parameter: USER_LOOKUP. */
export const WATERMARK_SQL = 'SELECT upto FROM index_state WHERE name = ?';

/** Most messages one run indexes: bounds how long it holds the thread (a backlog is caught up over runs). */
export const INDEX_BATCH = 50_000;

/** Writes every lookup entry (hash, message id) of the messages in (from, to]: a message's user key and, set after
 *  identify, its anonymousId; the two hashes once if equal. The range is read once (MATERIALIZED: the rows are
 *  large and mostly out of the page cache by now), and the entries are sorted, so the insert walks the index in order. */
const INSERT_ENTRIES_SQL = `
  WITH tail AS MATERIALIZED (SELECT id, user_hash, anon_hash FROM messages WHERE id > @from AND id <= @to)
  INSERT OR IGNORE INTO user_lookup (hash, msg_id)
  SELECT user_hash, id FROM tail WHERE user_hash IS NOT NULL UNION SELECT anon_hash, id FROM tail WHERE anon_hash IS NOT NULL
  ORDER BY 1, 2`;

export const INDEX_SCHEMA = `
CREATE TABLE IF NOT EXISTS user_lookup (hash INTEGER NOT NULL, msg_id INTEGER NOT NULL, PRIMARY KEY (hash, msg_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS index_state (name TEXT PRIMARY KEY, upto INTEGER NOT NULL) WITHOUT ROWID;
`;

/**
 * A file of an earlier version (messages_user_hash and messages_anon_hash indexed at append, or no lookup at all)
 * gets the entries of all its messages and a watermark, then loses those indexes. Runs inside createSchema.
 */
export function migrateToUserLookup(db: Database.Database): void {
  if (db.prepare(WATERMARK_SQL).get(USER_LOOKUP)) return;
  db.transaction(() => {
    const upto = (db.prepare('SELECT coalesce(max(id), 0) FROM messages').pluck().get() as number);
    db.prepare(INSERT_ENTRIES_SQL).run({ from: 0, to: upto });
    db.prepare('INSERT INTO index_state (name, upto) VALUES (?, ?)').run(USER_LOOKUP, upto);
    db.exec('DROP INDEX IF EXISTS messages_user_hash; DROP INDEX IF EXISTS messages_anon_hash');
  })();
}

export class UserIndexer {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      upto: db.prepare(WATERMARK_SQL).pluck(),
      last: db.prepare('SELECT max(id) FROM (SELECT id FROM messages WHERE id > ? ORDER BY id LIMIT ?)').pluck(),
      insert: db.prepare(INSERT_ENTRIES_SQL),
      mark: db.prepare('UPDATE index_state SET upto = ? WHERE name = ?'),
    };
  }

  /** Indexes up to INDEX_BATCH messages after the watermark, in one transaction; returns how many. */
  run(): number {
    const s = this.s;
    // IMMEDIATE: another writer (the CLI) cannot slip in between reading the watermark and moving it.
    return this.db.transaction(() => {
      const from = s.upto.get(USER_LOOKUP) as number;
      const to = s.last.get(from, INDEX_BATCH) as number | null;
      if (to === null) return 0;
      s.insert.run({ from, to });
      s.mark.run(to, USER_LOOKUP);
      return to - from;
    }).immediate();
  }
}
