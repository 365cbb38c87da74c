// The SQLite schema. Every statement is idempotent (IF NOT EXISTS), so opening a file of this version or an
// empty one is the same step; a later change of layout adds a numbered migration here.
import type Database from 'better-sqlite3';
import { INDEX_SCHEMA, migrateToUserLookup, rekeyUserLookup } from './indexer.js';
import { userHash } from './users.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  id INTEGER PRIMARY KEY,
  source_id TEXT NOT NULL,
  message_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dedupe (
  source_id TEXT NOT NULL, message_id TEXT NOT NULL, at INTEGER NOT NULL,
  PRIMARY KEY (source_id, message_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dedupe_at ON dedupe (at);
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY,
  msg_id INTEGER NOT NULL,
  source_id TEXT NOT NULL,
  destination_id TEXT NOT NULL,
  user_key TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL DEFAULT 0,
  lane INTEGER NOT NULL,
  last_error TEXT
);
CREATE INDEX IF NOT EXISTS jobs_lane ON jobs (destination_id, lane, id);
CREATE INDEX IF NOT EXISTS jobs_waiting ON jobs (destination_id, next_at) WHERE next_at > 0;
CREATE INDEX IF NOT EXISTS jobs_msg ON jobs (msg_id);
CREATE TABLE IF NOT EXISTS dead_letters (
  id INTEGER PRIMARY KEY,
  job_id INTEGER NOT NULL,
  msg_id INTEGER NOT NULL,
  source_id TEXT NOT NULL,
  destination_id TEXT NOT NULL,
  user_key TEXT NOT NULL,
  code TEXT NOT NULL,
  reason TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  failed_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_dest ON dead_letters (destination_id, failed_at);
CREATE INDEX IF NOT EXISTS dead_msg ON dead_letters (msg_id);
CREATE TABLE IF NOT EXISTS counters (
  source_id TEXT NOT NULL, destination_id TEXT NOT NULL,
  received INTEGER NOT NULL DEFAULT 0, delivered INTEGER NOT NULL DEFAULT 0,
  dead INTEGER NOT NULL DEFAULT 0, filtered INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (source_id, destination_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS filtered_counters (
  source_id TEXT NOT NULL, destination_id TEXT NOT NULL, rule TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (source_id, destination_id, rule)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS warning_counters (
  source_id TEXT NOT NULL, destination_id TEXT NOT NULL, code TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (source_id, destination_id, code)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS source_counters (
  source_id TEXT PRIMARY KEY,
  received INTEGER NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seen_requests (
  source_id TEXT NOT NULL, request_id TEXT NOT NULL, at INTEGER NOT NULL,
  PRIMARY KEY (source_id, request_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS suppressions (user_id TEXT PRIMARY KEY, created_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS last_errors (
  source_id TEXT NOT NULL, destination_id TEXT NOT NULL, code TEXT, reason TEXT NOT NULL, at INTEGER NOT NULL,
  PRIMARY KEY (source_id, destination_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS destination_state (destination_id TEXT PRIMARY KEY, paused TEXT, since INTEGER NOT NULL) WITHOUT ROWID;
-- One-row writes made for their side effect: the store's write probe (id 1), the checkpointer's WAL trim (id 2).
CREATE TABLE IF NOT EXISTS write_probe (id INTEGER PRIMARY KEY, at INTEGER NOT NULL);
`;

/** Columns added after the first layout: added to older files when they are opened. */
const ADDED_COLUMNS: [table: string, column: string, definition: string][] = [
  ['counters', 'warnings', 'INTEGER NOT NULL DEFAULT 0'],
  ['dead_letters', 'records', 'TEXT'],
  ['dead_letters', 'warnings', 'TEXT'],
  // The user lookup (users.ts): a message's user key and routes.
  ['messages', 'user_key', 'TEXT'],
  ['messages', 'routes', 'TEXT'],
  // Looked up in place of user_key (users.ts userHash), through user_lookup (indexer.ts).
  ['messages', 'user_hash', 'INTEGER'],
  // userHash of the anonymousId of a message whose anonymousId is not its user key (set after identify).
  ['messages', 'anon_hash', 'INTEGER'],
];

export function createSchema(db: Database.Database): void {
  db.exec(SCHEMA);
  rekeyUserLookup(db);
  db.exec(INDEX_SCHEMA);
  for (const [table, column, definition] of ADDED_COLUMNS) {
    const cols = db.prepare(`SELECT name FROM pragma_table_info('${table}')`).pluck().all() as string[];
    if (!cols.includes(column)) db.exec(`ALTER TABLE ${table} ADD COLUMN ${column} ${definition}`);
  }
  replaceUserKeyIndex(db);
  migrateToUserLookup(db);
}

/** A file of the version that indexed user_key itself: its rows get their hash, and that larger index goes
 *  (before migrateToUserLookup reads the hashes). */
function replaceUserKeyIndex(db: Database.Database): void {
  if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = 'messages_user'").get()) return;
  db.function('taproute_user_hash', { deterministic: true }, (key: unknown) => userHash(String(key)));
  db.transaction(() => {
    db.exec('UPDATE messages SET user_hash = taproute_user_hash(user_key) WHERE user_key IS NOT NULL AND user_hash IS NULL');
    db.exec('DROP INDEX messages_user');
  })();
}
