// The embedded store: one SQLite file in WAL mode (better-sqlite3).
// Appends are group-committed: every append() made in one event-loop turn shares one transaction,
// and each promise resolves only after that transaction has committed.
import Database from 'better-sqlite3';
import { closeSync, fsync, fsyncSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Job } from '../destinations/types.js';
import { Checkpointer } from './checkpointer.js';
import { laneOf } from './lanes.js';
import type {
  AppendResult,
  Counts,
  DeadLetter,
  FailureFilter,
  Settlement,
  SourceCounts,
  Store,
  StoredMessage,
} from './types.js';

/** Rows a claim may look at: bounds the cost when a waiting user's backlog fills a lane. */
const MAX_SCAN_PER_CLAIM = 20_000;
const PRUNE_CHUNK = 5000;

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
CREATE TABLE IF NOT EXISTS source_counters (
  source_id TEXT PRIMARY KEY,
  received INTEGER NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS seen_requests (
  source_id TEXT NOT NULL, request_id TEXT NOT NULL, at INTEGER NOT NULL,
  PRIMARY KEY (source_id, request_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS suppressions (user_id TEXT PRIMARY KEY, created_at INTEGER NOT NULL) WITHOUT ROWID;
`;

interface JobRow {
  id: number;
  msg_id: number;
  source_id: string;
  destination_id: string;
  user_key: string;
  attempts: number;
  received_at: number;
}

type CounterKey = string; // `${source}\u0000${destination}`
interface CounterDelta {
  received: number;
  delivered: number;
  dead: number;
  filtered: number;
}

interface PendingAppend {
  sourceId: string;
  msgs: StoredMessage[];
  resolve(r: AppendResult): void;
  reject(e: unknown): void;
}

export interface SqliteStoreOptions {
  synchronous?: 'FULL' | 'NORMAL';
  readonly?: boolean;
  /** The process that delivers (the server). In-flight state lives only in its memory, so jobs that
   *  were in flight when a previous run died are simply pending again: delivery is at-least-once. */
  owner?: boolean;
}

export class SqliteStore implements Store {
  readonly db: Database.Database;
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  private pending = 0;
  private claimed = new Map<number, JobRow>();
  private checkpointer: Checkpointer | null = null;
  private walFd: number | null = null;
  private syncing = false;
  private syncWaiters: ((err: Error | null) => void)[] = [];
  private suppressedIds = new Set<string>();
  private lockFile: string | null = null;
  /** Set when an fsync failed: nothing is acknowledged any more (the kernel may have dropped the pages). */
  private fsyncFailure: Error | null = null;
  private stmts!: ReturnType<SqliteStore['prepare']>;

  constructor(file: string, opts: SqliteStoreOptions = {}) {
    if (!opts.readonly) mkdirSync(dirname(file), { recursive: true });
    if (opts.owner) this.lockFile = takeOwnerLock(file);
    this.db = new Database(file, { readonly: opts.readonly ?? false });
    this.db.pragma('busy_timeout = 5000');
    if (!opts.readonly) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
      if (opts.owner) {
        this.db.pragma('wal_autocheckpoint = 0');
        this.checkpointer = new Checkpointer(file);
      }
      this.db.exec(SCHEMA);
      if (opts.owner && (opts.synchronous ?? 'FULL') === 'FULL') {
        // Appends commit without fsync and then fsync the WAL on libuv's thread pool before they are
        // acknowledged: as durable as synchronous=FULL, but the event loop keeps parsing the next
        // requests while the disk syncs, and one fsync covers every commit made before it started.
        this.db.pragma('synchronous = NORMAL');
        this.db.prepare('SELECT 1 FROM jobs LIMIT 1').get(); // a read opens (creates) the WAL file
        this.walFd = openSync(`${file}-wal`, 'a');
      }
    }
    this.stmts = this.prepare();
    if (!opts.readonly) {
      this.pending = (this.db.prepare('SELECT count(*) AS n FROM jobs').get() as { n: number }).n;
      for (const r of this.db.prepare('SELECT user_id FROM suppressions').all() as { user_id: string }[]) this.suppressedIds.add(r.user_id);
    }
  }

  private prepare() {
    const db = this.db;
    return {
      dedupe: db.prepare('INSERT OR IGNORE INTO dedupe (source_id, message_id, at) VALUES (?, ?, ?)'),
      insertMsg: db.prepare('INSERT INTO messages (source_id, message_id, received_at, payload) VALUES (?, ?, ?, ?)'),
      insertJob: db.prepare('INSERT INTO jobs (msg_id, source_id, destination_id, user_key, received_at, lane) VALUES (?, ?, ?, ?, ?, ?)'),
      counter: db.prepare(
        `INSERT INTO counters (source_id, destination_id, received, delivered, dead, filtered) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (source_id, destination_id) DO UPDATE SET received = received + excluded.received,
         delivered = delivered + excluded.delivered, dead = dead + excluded.dead, filtered = filtered + excluded.filtered`,
      ),
      sourceCounter: db.prepare(
        `INSERT INTO source_counters (source_id, received, duplicates, rejected) VALUES (?, ?, ?, ?)
         ON CONFLICT (source_id) DO UPDATE SET received = received + excluded.received,
         duplicates = duplicates + excluded.duplicates, rejected = rejected + excluded.rejected`,
      ),
      // `next_at > 0` lets SQLite use the small partial index instead of scanning the backlog.
      waitingUsers: db.prepare('SELECT DISTINCT user_key FROM jobs WHERE destination_id = ? AND next_at > 0 AND next_at > ?'),
      // Two steps: pick jobs from the small job rows, then read only the chosen payloads.
      due: db.prepare(
        `SELECT id, msg_id, source_id, user_key, attempts, received_at, next_at
         FROM jobs WHERE destination_id = ? AND lane = ? AND id > ? ORDER BY id LIMIT ?`,
      ),
      payload: db.prepare('SELECT payload FROM messages WHERE id = ?').pluck(),
      jobRow: db.prepare('SELECT id, msg_id, source_id, destination_id, user_key, attempts, received_at FROM jobs WHERE id = ?'),
      deleteJob: db.prepare('DELETE FROM jobs WHERE id = ?'),
      release: db.prepare('UPDATE jobs SET attempts = attempts + 1 WHERE id = ?'),
      retryAt: db.prepare('UPDATE jobs SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?'),
      countJobs: db.prepare('SELECT count(*) FROM jobs').pluck(),
      insertDead: db.prepare(
        `INSERT INTO dead_letters (job_id, msg_id, source_id, destination_id, user_key, code, reason, attempts, received_at, failed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      hasRequest: db.prepare('SELECT 1 FROM seen_requests WHERE source_id = ? AND request_id = ?'),
      seenRequest: db.prepare('INSERT OR IGNORE INTO seen_requests (source_id, request_id, at) VALUES (?, ?, ?)'),
      suppress: db.prepare('INSERT OR IGNORE INTO suppressions (user_id, created_at) VALUES (?, ?)'),
    };
  }

  append(sourceId: string, msgs: StoredMessage[]): Promise<AppendResult> {
    if (this.fsyncFailure) return Promise.reject(this.fsyncFailure);
    return new Promise((resolve, reject) => {
      this.queue.push({ sourceId, msgs, resolve, reject });
      // While an fsync runs, appends gather for the next commit: their acknowledgement would wait for the
      // following fsync anyway, and fewer, larger transactions rewrite fewer index pages.
      if (!this.flushScheduled && !this.syncing) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits every queued append in one transaction (group commit). */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const s = this.stmts;
    const results: AppendResult[] = [];
    let added = 0;
    try {
      this.db.transaction(() => {
        const deltas = new Map<CounterKey, CounterDelta>();
        for (const p of batch) {
          const dup: number[] = [];
          let accepted = 0;
          for (let i = 0; i < p.msgs.length; i++) {
            const m = p.msgs[i];
            if (s.dedupe.run(p.sourceId, m.messageId, m.receivedAt).changes === 0) {
              dup.push(i);
              continue;
            }
            accepted++;
            const msgId = s.insertMsg.run(p.sourceId, m.messageId, m.receivedAt, m.payload).lastInsertRowid;
            const lane = laneOf(m.userKey);
            for (const d of m.destinations) {
              s.insertJob.run(msgId, p.sourceId, d, m.userKey, m.receivedAt, lane);
              bump(deltas, p.sourceId, d, 'received');
              added++;
            }
            if (m.filtered) for (const f of m.filtered) {
              bump(deltas, p.sourceId, f.destination, 'received');
              bump(deltas, p.sourceId, f.destination, 'filtered');
            }
          }
          s.sourceCounter.run(p.sourceId, accepted, dup.length, 0);
          results.push({ accepted, duplicates: dup });
        }
        this.writeCounters(deltas);
      })();
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    this.pending += added;
    if (this.walFd === null) batch.forEach((p, i) => p.resolve(results[i]));
    else this.afterSync((err) => batch.forEach((p, i) => (err ? p.reject(err) : p.resolve(results[i]))));
  }

  /** Runs cb once an fsync of the WAL that started after this call has completed (group fsync). */
  private afterSync(cb: (err: Error | null) => void): void {
    this.syncWaiters.push(cb);
    if (!this.syncing) this.syncNow();
  }

  private syncNow(): void {
    this.syncing = true;
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    fsync(this.walFd!, (err) => {
      this.syncing = false;
      if (err && !this.fsyncFailure) this.fsyncFailure = Object.assign(new Error(`store unavailable: fsync failed (${err.code ?? err.message})`), { statusCode: 503 });
      for (const w of waiters) w(err);
      if (this.walFd === null) return;
      if (this.queue.length && !this.flushScheduled) this.flush(); // queues the next fsync itself
      else if (this.syncWaiters.length) this.syncNow();
    });
  }

  private writeCounters(deltas: Map<CounterKey, CounterDelta>): void {
    for (const [k, d] of deltas) {
      const [src, dst] = k.split('\u0000');
      this.stmts.counter.run(src, dst, d.received, d.delivered, d.dead, d.filtered);
    }
  }

  async countRejected(sourceId: string, n: number): Promise<void> {
    if (n > 0) this.stmts.sourceCounter.run(sourceId, 0, 0, n);
  }

  async claim(destinationId: string, lanes: readonly number[], max: number, now: number, maxBytes = Infinity): Promise<Job[]> {
    const s = this.stmts;
    // Users whose earliest job waits for a retry hold back their later jobs (and only theirs).
    const blocked = new Set<string>();
    for (const r of s.waitingUsers.all(destinationId, now) as { user_key: string }[]) blocked.add(r.user_key);
    const jobs: Job[] = [];
    let bytes = 0;
    let scanned = 0;
    outer: for (const lane of lanes) {
      let after = 0;
      while (jobs.length < max) {
        const want = Math.max(max - jobs.length, 64);
        const rows = s.due.all(destinationId, lane, after, want) as {
          id: number; msg_id: number; source_id: string; user_key: string; attempts: number; received_at: number; next_at: number;
        }[];
        for (const r of rows) {
          after = r.id;
          // A waiting user with a huge backlog must not make every claim walk all of it.
          if (++scanned > MAX_SCAN_PER_CLAIM) break outer;
          if (r.next_at > now || blocked.has(r.user_key)) {
            blocked.add(r.user_key);
            continue;
          }
          const payload = s.payload.get(r.msg_id) as string;
          // The byte budget bounds memory in flight; a batch always takes at least one job.
          if (jobs.length > 0 && bytes + payload.length > maxBytes) break outer;
          bytes += payload.length;
          jobs.push({
            id: r.id,
            sourceId: r.source_id,
            destinationId,
            userKey: r.user_key,
            attempts: r.attempts,
            receivedAt: r.received_at,
            message: JSON.parse(payload),
          });
          this.claimed.set(r.id, { id: r.id, msg_id: r.msg_id, source_id: r.source_id, destination_id: destinationId, user_key: r.user_key, attempts: r.attempts, received_at: r.received_at });
          if (jobs.length >= max) break outer;
        }
        if (rows.length < want) break;
      }
    }
    return jobs;
  }

  forget(jobId: number): void {
    this.claimed.delete(jobId);
  }

  /** False once the store can no longer acknowledge events safely (an fsync failed). */
  healthy(): boolean {
    return this.fsyncFailure === null;
  }

  async settle(destinationId: string, settlements: Settlement[], now: number): Promise<void> {
    const s = this.stmts;
    let finished = 0;
    this.db.transaction(() => {
      const deltas = new Map<CounterKey, CounterDelta>();
      for (const o of settlements) {
        // Claimed jobs are known in memory; a lookup is only needed for jobs claimed by an earlier process.
        const row = this.claimed.get(o.jobId) ?? (s.jobRow.get(o.jobId) as JobRow | undefined);
        if (!row) continue;
        this.claimed.delete(o.jobId);
        switch (o.status) {
          // Counters move only when the job row really goes: a job is never counted twice.
          case 'done':
            if (s.deleteJob.run(row.id).changes !== 1) break;
            bump(deltas, row.source_id, row.destination_id, 'delivered');
            finished++;
            break;
          case 'filtered':
            if (s.deleteJob.run(row.id).changes !== 1) break;
            bump(deltas, row.source_id, row.destination_id, 'filtered');
            finished++;
            break;
          case 'dead':
            if (s.deleteJob.run(row.id).changes !== 1) break;
            s.insertDead.run(row.id, row.msg_id, row.source_id, row.destination_id, row.user_key, o.code, o.reason, row.attempts + 1, row.received_at, now);
            bump(deltas, row.source_id, row.destination_id, 'dead');
            finished++;
            break;
          case 'release':
            s.release.run(row.id);
            break;
          case 'retry_at':
            s.retryAt.run(o.nextAt, `${o.code ?? 'retry'}: ${o.reason}`, row.id);
            break;
          case 'retry':
            s.retryAt.run(now + (o.retryAfterMs ?? 1000), `${o.code ?? 'retry'}: ${o.reason}`, row.id);
            break;
        }
      }
      this.writeCounters(deltas);
    })();
    this.pending -= finished;
  }

  async seenRequest(sourceId: string, requestId: string): Promise<boolean> {
    return this.stmts.hasRequest.get(sourceId, requestId) !== undefined;
  }

  async rememberRequests(sourceId: string, requestIds: string[], now: number): Promise<void> {
    this.db.transaction(() => {
      for (const id of requestIds) this.stmts.seenRequest.run(sourceId, id, now);
    })();
  }

  async pendingTotal(): Promise<number> {
    return this.pending;
  }

  async counts(): Promise<Counts[]> {
    const rows = this.db
      .prepare(
        `SELECT c.source_id, c.destination_id, c.received, c.delivered, c.dead, c.filtered, coalesce(p.n, 0) AS pending
         FROM counters c LEFT JOIN (SELECT source_id, destination_id, count(*) AS n FROM jobs GROUP BY 1, 2) p
           ON p.source_id = c.source_id AND p.destination_id = c.destination_id
         ORDER BY c.source_id, c.destination_id`,
      )
      .all() as Record<string, number | string>[];
    return rows.map((r) => ({
      sourceId: String(r.source_id),
      destinationId: String(r.destination_id),
      received: Number(r.received),
      delivered: Number(r.delivered),
      dead: Number(r.dead),
      filtered: Number(r.filtered),
      pending: Number(r.pending),
    }));
  }

  async sourceCounts(): Promise<SourceCounts[]> {
    return (this.db.prepare('SELECT * FROM source_counters ORDER BY source_id').all() as Record<string, number | string>[]).map((r) => ({
      sourceId: String(r.source_id),
      received: Number(r.received),
      duplicates: Number(r.duplicates),
      rejected: Number(r.rejected),
    }));
  }

  private failureWhere(f: FailureFilter): { sql: string; args: unknown[] } {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.destination) (where.push('d.destination_id = ?'), args.push(f.destination));
    if (f.code) (where.push('d.code = ?'), args.push(f.code));
    if (f.from !== undefined) (where.push('d.failed_at >= ?'), args.push(f.from));
    if (f.to !== undefined) (where.push('d.failed_at <= ?'), args.push(f.to));
    if (f.ids) {
      // An empty id list matches nothing (never "everything").
      if (f.ids.length === 0) where.push('0');
      else (where.push(`d.id IN (${f.ids.map(() => '?').join(',')})`), args.push(...f.ids));
    }
    return { sql: where.length ? `WHERE ${where.join(' AND ')}` : '', args };
  }

  async failures(f: FailureFilter): Promise<DeadLetter[]> {
    const w = this.failureWhere(f);
    const rows = this.db
      .prepare(
        `SELECT d.*, m.message_id FROM dead_letters d JOIN messages m ON m.id = d.msg_id ${w.sql} ORDER BY d.id LIMIT ?`,
      )
      .all(...w.args, f.limit ?? 100) as Record<string, unknown>[];
    return rows.map(toDeadLetter);
  }

  async failure(id: number): Promise<DeadLetter | undefined> {
    const r = this.db
      .prepare('SELECT d.*, m.message_id, m.payload FROM dead_letters d JOIN messages m ON m.id = d.msg_id WHERE d.id = ?')
      .get(id) as Record<string, unknown> | undefined;
    if (!r) return undefined;
    return { ...toDeadLetter(r), message: JSON.parse(String(r.payload)) };
  }

  async replay(f: FailureFilter, now = Date.now()): Promise<number> {
    const w = this.failureWhere(f);
    let n = 0;
    this.db.transaction(() => {
      const limit = f.limit ?? -1;
      const rows = this.db.prepare(`SELECT d.* FROM dead_letters d ${w.sql} ORDER BY d.id LIMIT ?`).all(...w.args, limit) as Record<string, number | string>[];
      const deltas = new Map<CounterKey, CounterDelta>();
      const del = this.db.prepare('DELETE FROM dead_letters WHERE id = ?');
      for (const r of rows) {
        // The retry age starts again: a replayed event gets the full retry window.
        this.stmts.insertJob.run(r.msg_id, r.source_id, r.destination_id, r.user_key, now, laneOf(String(r.user_key)));
        del.run(r.id);
        bump(deltas, String(r.source_id), String(r.destination_id), 'dead', -1);
        n++;
      }
      this.writeCounters(deltas);
    })();
    this.pending += n;
    return n;
  }

  async suppress(userIds: string[], now: number): Promise<void> {
    this.db.transaction(() => {
      for (const u of userIds) this.stmts.suppress.run(u, now);
    })();
    for (const u of userIds) this.suppressedIds.add(u);
  }

  async suppressed(): Promise<Set<string>> {
    return this.suppressedIds;
  }

  /** Housekeeping in chunks, yielding between them so ingest is never blocked for long. */
  async prune(now: number, dedupeWindowMs: number): Promise<void> {
    const chunked = async (sql: string, ...args: unknown[]) => {
      const stmt = this.db.prepare(sql);
      while (stmt.run(...args).changes === PRUNE_CHUNK) await new Promise((r) => setImmediate(r));
    };
    await chunked(
      `DELETE FROM dedupe WHERE (source_id, message_id) IN (SELECT source_id, message_id FROM dedupe WHERE at < ? LIMIT ${PRUNE_CHUNK})`,
      now - dedupeWindowMs,
    );
    await chunked(`DELETE FROM seen_requests WHERE (source_id, request_id) IN (SELECT source_id, request_id FROM seen_requests WHERE at < ? LIMIT ${PRUNE_CHUNK})`, now - 30 * 86_400_000);
    // Messages no job and no dead letter refers to any more (older than the oldest job).
    await chunked(
      `DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE id < (SELECT coalesce(min(msg_id), 9223372036854775807) FROM jobs)
         AND id NOT IN (SELECT msg_id FROM dead_letters) LIMIT ${PRUNE_CHUNK})`,
    );
    // Another process (the CLI's replay) may have added jobs: keep the backlog figure honest.
    this.pending = this.stmts.countJobs.get() as number;
  }

  async close(): Promise<void> {
    if (this.queue.length) this.flush();
    if (this.walFd !== null) {
      // Let an fsync in flight finish before its descriptor goes away, then cover the rest synchronously.
      while (this.syncing) await new Promise((r) => setTimeout(r, 1));
      fsyncSync(this.walFd);
      for (const w of this.syncWaiters.splice(0)) w(null);
      closeSync(this.walFd);
      this.walFd = null;
    }
    // The checkpoint thread closes its connection first, so nothing writes the files after this resolves.
    await this.checkpointer?.close();
    this.db.close();
    if (this.lockFile) rmSync(this.lockFile, { force: true });
  }

}

/**
 * One delivering process per store file: a second `taproute start` on the same file would claim the same
 * jobs. The lock names its PID; a lock left by a dead process (kill -9) is taken over.
 */
function takeOwnerLock(file: string): string {
  const lock = `${file}.lock`;
  try {
    const held = Number(readFileSync(lock, 'utf8'));
    if (held && held !== process.pid && alive(held)) throw new Error(`store ${file} is in use by process ${held}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  writeFileSync(lock, String(process.pid));
  return lock;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function bump(deltas: Map<CounterKey, CounterDelta>, src: string, dst: string, field: keyof CounterDelta, by = 1): void {
  const k = `${src}\u0000${dst}`;
  let d = deltas.get(k);
  if (!d) deltas.set(k, (d = { received: 0, delivered: 0, dead: 0, filtered: 0 }));
  d[field] += by;
}

function toDeadLetter(r: Record<string, unknown>): DeadLetter {
  return {
    id: Number(r.id),
    jobId: Number(r.job_id),
    sourceId: String(r.source_id),
    destinationId: String(r.destination_id),
    userKey: String(r.user_key),
    messageId: String(r.message_id),
    code: String(r.code),
    reason: String(r.reason),
    attempts: Number(r.attempts),
    receivedAt: Number(r.received_at),
    failedAt: Number(r.failed_at),
  };
}
