// Write-behind indexing of the user lookup (users.ts). The messages table is only appended to (rowid order), and
// this indexer moves the entries of the messages after its watermark into user_lookup once a second (or once the
// tail is long), each step of at most INDEX_STEP messages in one transaction with the watermark, so the index and it
// always agree, also after kill -9; the lookup reads the indexed part by the index and the short tail after the
// watermark by a rowid range.
//
// Entries are keyed by run first: (run, hash, msg_id), where run is the watermark the run started from (its
// messages are the ids in (run, next run]). Keyed by user first, every run put an entry beside each active user's
// older ones, all over the index: with 5,000 active users a run of 11,000 messages rewrote most of the index's
// pages and held the store thread 50-100 ms (growing with the index) once a second, which was the p99 of every
// acknowledgement at half load. Keyed by run, a run appends at the index's end, sorted. A lookup reads run by run,
// newest first (users.ts), and prune folds the runs it has emptied down to a few entries into run 0 (prune.ts), so
// the runs a lookup walks stay about those of the undelivered backlog.
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

/** Most messages one run covers: a lookup walks one run per this many undelivered messages. Runs cost nothing
 *  extra in the index (each appends at its end). */
export const INDEX_BATCH = 4096;

/** Most messages one transaction of the indexer covers: it holds the store thread that long (~3 ms at 1,024, against
 *  13-20 ms for a whole run at half load, up to 40-90 ms on a busy machine, which every acknowledgement due
 *  meanwhile waited for). A run is written in steps of this many, appends going on between them (SqliteStore). */
export const INDEX_STEP = 1024;

/** Writes every lookup entry (@run, hash, message id) of the messages in (from, to]: a message's user key and,
 *  set after identify, its anonymousId; the two hashes once if equal. The range is read once (MATERIALIZED: the rows
 *  are large and mostly out of the page cache by now), and the entries are sorted, so the insert walks its run's part
 *  of the index once, in order (at the index's end for a run's first step). */
const INSERT_ENTRIES_SQL = `
  WITH tail AS MATERIALIZED (SELECT id, user_hash, anon_hash FROM messages WHERE id > @from AND id <= @to)
  INSERT OR IGNORE INTO user_lookup (run, hash, msg_id)
  SELECT @run, user_hash, id FROM tail WHERE user_hash IS NOT NULL UNION SELECT @run, anon_hash, id FROM tail WHERE anon_hash IS NOT NULL
  ORDER BY 2, 3`;

const LOOKUP_TABLE = 'CREATE TABLE IF NOT EXISTS user_lookup (run INTEGER NOT NULL, hash INTEGER NOT NULL, msg_id INTEGER NOT NULL, PRIMARY KEY (run, hash, msg_id)) WITHOUT ROWID';

export const INDEX_SCHEMA = `
${LOOKUP_TABLE};
CREATE TABLE IF NOT EXISTS index_state (name TEXT PRIMARY KEY, upto INTEGER NOT NULL) WITHOUT ROWID;
`;

/** Whether user_lookup is keyed by run (this layout); a file of the layout keyed by (hash, msg_id) is not until
 *  its owner opens it (rekeyUserLookup). */
export function keyedByRun(db: Database.Database): boolean {
  return (db.prepare("SELECT name FROM pragma_table_info('user_lookup')").pluck().all() as string[]).includes('run');
}

/** A file whose user_lookup is keyed by (hash, msg_id): its entries move to run 0. Runs inside createSchema,
 *  before INDEX_SCHEMA. */
export function rekeyUserLookup(db: Database.Database): void {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'user_lookup'").get() !== undefined;
  if (!exists || keyedByRun(db)) return;
  db.transaction(() => {
    db.exec(`ALTER TABLE user_lookup RENAME TO user_lookup_by_hash; ${LOOKUP_TABLE};
      INSERT INTO user_lookup (run, hash, msg_id) SELECT 0, hash, msg_id FROM user_lookup_by_hash ORDER BY hash, msg_id;
      DROP TABLE user_lookup_by_hash`);
  })();
}

/**
 * A file of an earlier version (messages_user_hash and messages_anon_hash indexed at append, or no lookup at all)
 * gets the entries of all its messages and a watermark, then loses those indexes. Runs inside createSchema.
 */
export function migrateToUserLookup(db: Database.Database): void {
  if (db.prepare(WATERMARK_SQL).get(USER_LOOKUP)) return;
  db.transaction(() => {
    const upto = (db.prepare('SELECT coalesce(max(id), 0) FROM messages').pluck().get() as number);
    db.prepare(INSERT_ENTRIES_SQL).run({ run: 0, from: 0, to: upto });
    db.prepare('INSERT INTO index_state (name, upto) VALUES (?, ?)').run(USER_LOOKUP, upto);
    db.exec('DROP INDEX IF EXISTS messages_user_hash; DROP INDEX IF EXISTS messages_anon_hash');
  })();
}

export class UserIndexer {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      upto: db.prepare(WATERMARK_SQL).pluck(),
      last: db.prepare('SELECT max(id) FROM (SELECT id FROM messages WHERE id > ? ORDER BY id LIMIT ? + 0)').pluck(),
      insert: db.prepare(INSERT_ENTRIES_SQL),
      mark: db.prepare('UPDATE index_state SET upto = ? WHERE name = ?'),
      latestRun: db.prepare('SELECT max(run) FROM user_lookup').pluck(),
    };
  }

  /**
   * Indexes up to INDEX_STEP messages after the watermark, in one transaction; returns how many. With `extend`, they
   * go to the latest run while it covers fewer than INDEX_BATCH messages (a run's next step): no run started after
   * it, so its messages are still the ids after its start, as a lookup and prune read them. Otherwise they start a
   * new run at the watermark. A step's entries fall between those of the run's earlier steps, rewriting the run's
   * few dozen pages: about 75 bytes of WAL per message, against ~11 KB for its append.
   */
  run(extend = false): number {
    const s = this.s;
    // IMMEDIATE: another writer (the CLI) cannot slip in between reading the watermark and moving it.
    return this.db.transaction(() => {
      const from = s.upto.get(USER_LOOKUP) as number;
      const to = s.last.get(from, INDEX_STEP) as number | null;
      if (to === null) return 0;
      const latest = extend ? (s.latestRun.get() as number | null) : null;
      const run = latest !== null && from - latest < INDEX_BATCH ? latest : from;
      s.insert.run({ run, from, to });
      s.mark.run(to, USER_LOOKUP);
      return to - from;
    }).immediate();
  }
}
