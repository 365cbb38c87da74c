// The PostgreSQL schema as numbered migrations. Every node applies the missing ones at start while holding
// an advisory lock (https://www.postgresql.org/docs/current/explicit-locking.html#ADVISORY-LOCKS), so nodes
// that start together never race; a migration is applied once, in its own transaction, and recorded.
import type pg from 'pg';
import type { IdBlocks } from './jobs.js';

/** Key of the advisory lock held while migrating (any fixed 64-bit number unique to Taproute). */
const MIGRATION_LOCK = 7_317_220_611;

/** Ids a block holds (migration 9): more than an append commit's rows, so that a commit usually takes one. */
const ID_BLOCK = 1024;

const MIGRATIONS: string[] = [
  // 1: messages, jobs, dedupe, dead letters, counters, request ids, suppressions.
  `
  CREATE TABLE messages (
    id bigserial PRIMARY KEY,
    source_id text NOT NULL,
    message_id text NOT NULL,
    received_at bigint NOT NULL,
    payload text NOT NULL
  );
  CREATE TABLE dedupe (source_id text NOT NULL, message_id text NOT NULL, at bigint NOT NULL, PRIMARY KEY (source_id, message_id));
  CREATE INDEX dedupe_at ON dedupe (at);
  CREATE TABLE jobs (
    id bigserial PRIMARY KEY,
    msg_id bigint NOT NULL,
    source_id text NOT NULL,
    destination_id text NOT NULL,
    user_key text NOT NULL,
    received_at bigint NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    next_at bigint NOT NULL DEFAULT 0,
    lane integer NOT NULL,
    last_error text
  );
  CREATE INDEX jobs_lane ON jobs (destination_id, lane, id);
  CREATE INDEX jobs_waiting ON jobs (destination_id, next_at) WHERE next_at > 0;
  CREATE INDEX jobs_msg ON jobs (msg_id);
  CREATE TABLE dead_letters (
    id bigserial PRIMARY KEY,
    job_id bigint NOT NULL,
    msg_id bigint NOT NULL,
    source_id text NOT NULL,
    destination_id text NOT NULL,
    user_key text NOT NULL,
    code text NOT NULL,
    reason text NOT NULL,
    attempts integer NOT NULL,
    received_at bigint NOT NULL,
    failed_at bigint NOT NULL
  );
  CREATE INDEX dead_dest ON dead_letters (destination_id, failed_at);
  CREATE INDEX dead_msg ON dead_letters (msg_id);
  CREATE TABLE counters (
    source_id text NOT NULL, destination_id text NOT NULL,
    received bigint NOT NULL DEFAULT 0, delivered bigint NOT NULL DEFAULT 0,
    dead bigint NOT NULL DEFAULT 0, filtered bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (source_id, destination_id)
  );
  CREATE TABLE source_counters (
    source_id text PRIMARY KEY,
    received bigint NOT NULL DEFAULT 0, duplicates bigint NOT NULL DEFAULT 0, rejected bigint NOT NULL DEFAULT 0
  );
  CREATE TABLE seen_requests (source_id text NOT NULL, request_id text NOT NULL, at bigint NOT NULL, PRIMARY KEY (source_id, request_id));
  CREATE TABLE suppressions (user_id text PRIMARY KEY, created_at bigint NOT NULL);
  `,
  // 2: cluster membership and lane leases (src/cluster/). The token grows by one at every change of owner:
  // it is the fencing token that claims and settles check.
  `
  CREATE TABLE nodes (
    id text PRIMARY KEY,
    host text NOT NULL,
    pid integer NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
  );
  CREATE TABLE leases (
    destination_id text NOT NULL,
    lane integer NOT NULL,
    node_id text,
    token bigint NOT NULL DEFAULT 1,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (destination_id, lane)
  );
  CREATE INDEX leases_node ON leases (node_id);
  `,
  // 3: warnings counted per connection, records and warnings kept with a dead letter, filtered counts by rule,
  // the last failed attempt per connection and the recorded destination states (as the SQLite schema).
  `
  ALTER TABLE counters ADD COLUMN warnings bigint NOT NULL DEFAULT 0;
  ALTER TABLE dead_letters ADD COLUMN records text, ADD COLUMN warnings text;
  CREATE TABLE filtered_counters (
    source_id text NOT NULL, destination_id text NOT NULL, rule text NOT NULL, n bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (source_id, destination_id, rule)
  );
  CREATE TABLE last_errors (
    source_id text NOT NULL, destination_id text NOT NULL, code text, reason text NOT NULL, at bigint NOT NULL,
    PRIMARY KEY (source_id, destination_id)
  );
  CREATE TABLE destination_state (destination_id text PRIMARY KEY, paused text, since bigint NOT NULL);
  `,
  // 4: the lease token each job was claimed under, which its settle must match (src/store/postgres/jobs.ts),
  // and each node's last heartbeat (for status).
  `
  ALTER TABLE jobs ADD COLUMN claim_token bigint;
  ALTER TABLE nodes ADD COLUMN heartbeat_at timestamptz NOT NULL DEFAULT now();
  `,
  // 5 (the console): warnings counted per connection and code; a message's user key (indexed: the user
  // lookup never scans the jobs table) and its routes (destination → null, or the rule that filtered it).
  `
  ALTER TABLE messages ADD COLUMN user_key text, ADD COLUMN routes text;
  CREATE INDEX messages_user ON messages (user_key, id) WHERE user_key IS NOT NULL;
  CREATE TABLE warning_counters (
    source_id text NOT NULL, destination_id text NOT NULL, code text NOT NULL, n bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (source_id, destination_id, code)
  );
  `,
  // 6: dedupe keys by age through a BRIN index instead of a B-tree: only prune reads it, and keys arrive in
  // time order, so a summary per block range finds the old ones without an index entry per appended event
  // (https://www.postgresql.org/docs/current/brin-intro.html).
  `
  DROP INDEX dedupe_at;
  CREATE INDEX dedupe_at ON dedupe USING brin (at);
  `,
  // 7: the anonymousId of a message sent after identify (it differs from the user key), so the user lookup
  // finds a visitor's identified messages by their anonymousId too; only those rows are indexed.
  `
  ALTER TABLE messages ADD COLUMN anon_key text;
  CREATE INDEX messages_anon ON messages (anon_key, id) WHERE anon_key IS NOT NULL;
  `,
  // 8: room on each jobs page for the fenced claim's stamp (claim_token, in no index): the new row version then
  // stays on its page as a heap-only tuple, with no new entry in the three jobs indexes
  // (https://www.postgresql.org/docs/current/storage-hot.html). Measured end to end (ingest, then delivery to
  // the emulator): the stamp wrote 1.0 WAL record per job instead of 3.5 (2.1 at fillfactor 70), and the run
  // 12.3 WAL records and 35 buffer accesses per event instead of 14.7 and 42; ingest alone is unchanged.
  // The setting takes a lock that lets reads and writes go on; pages filled before it keep their rows.
  `
  ALTER TABLE jobs SET (fillfactor = 50);
  `,
  // 9: message and job ids in blocks (src/store/postgres/jobs.ts): one nextval reserves ID_BLOCK consecutive ids,
  // so an append takes a block per ID_BLOCK rows instead of a nextval per row. A node still on an older
  // version takes one value per row, which reserves its whole block all the same: ids never collide.
  `
  ALTER SEQUENCE messages_id_seq INCREMENT BY ${ID_BLOCK};
  ALTER SEQUENCE jobs_id_seq INCREMENT BY ${ID_BLOCK};
  `,
];

export async function migrate(pool: pg.Pool): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await c.query('CREATE TABLE IF NOT EXISTS taproute_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      const done = new Set((await c.query<{ version: number }>('SELECT version FROM taproute_migrations')).rows.map((r) => r.version));
      for (let v = 1; v <= MIGRATIONS.length; v++) {
        if (done.has(v)) continue;
        await c.query('BEGIN');
        try {
          await c.query(MIGRATIONS[v - 1]);
          await c.query('INSERT INTO taproute_migrations (version) VALUES ($1)', [v]);
          await c.query('COMMIT');
        } catch (err) {
          await c.query('ROLLBACK');
          throw err;
        }
      }
    } finally {
      await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    c.release();
  }
}

/** Ids per nextval of the message and job sequences, as the database has them (an operator may have changed them). */
export async function idBlocks(pool: pg.Pool): Promise<IdBlocks> {
  const { rows } = await pool.query<{ m: number; j: number }>(
    `SELECT (SELECT seqincrement FROM pg_sequence WHERE seqrelid = 'messages_id_seq'::regclass) AS m,
            (SELECT seqincrement FROM pg_sequence WHERE seqrelid = 'jobs_id_seq'::regclass) AS j`,
  );
  return { messages: Number(rows[0].m), jobs: Number(rows[0].j) };
}
