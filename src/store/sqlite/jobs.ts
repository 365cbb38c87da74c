// Jobs: one per (stored message, destination). Appending dedupes per (source, messageId) and stores the
// message once; claiming reads the oldest due jobs of free lanes; settling deletes, dead-letters or
// reschedules them and moves the counters in the same transaction.
import type Database from 'better-sqlite3';
import type { Job } from '../../core/job.js';

/**
 * A claimed job as the store thread hands it over: the claim statement's row as SQLite gave it (raw mode: an array,
 * not an object), its message still as stored JSON text; the thread that delivers parses it (parseJob), so each
 * payload is parsed once, where it is used. An array of values costs less than an object both to read out of
 * better-sqlite3 (no property set per column) and to clone to the other thread (no keys to write and read back).
 */
export type RawJob = [id: number, msgId: number, sourceId: string, destinationId: string, userKey: string, attempts: number, receivedAt: number, payload: string];
/** RawJob's fields by position. */
export const RAW = { id: 0, msgId: 1, sourceId: 2, destinationId: 3, userKey: 4, attempts: 5, receivedAt: 6, payload: 7 } as const;
import { laneOf } from '../lanes.js';
import type { AppendResult, Settlement, StoredMessage } from '../types.js';
import { CounterDeltas, type Counters } from './counters.js';
import type { DeadLetters } from './failures.js';
import type { LastErrors } from './last-errors.js';

/** Rows a claim may look at: bounds the cost when a waiting user's backlog fills a lane. */
const MAX_SCAN_PER_CLAIM = 20_000;

import { errorText, type JobRow } from '../rows.js';
import { routesOf } from '../user-messages.js';
import { userHash } from './users.js';

export interface AppendBatch {
  sourceId: string;
  msgs: StoredMessage[];
  /** Messages of the request refused at ingest: counted with the append, in its transaction. */
  rejected: number;
}

export class Jobs {
  /** Claimed jobs by id, so settling needs no lookup; a job claimed by an earlier process is read instead. */
  private readonly claimed = new Map<number, JobRow>();
  private readonly s;
  /** claim's reads in one read transaction: one WAL snapshot for all its queries instead of one each. */
  private readonly claimRead: (destinationId: string, lanes: readonly number[], max: number, now: number, maxBytes: number) => RawJob[];

  constructor(
    private readonly db: Database.Database,
    private readonly counters: Counters,
    private readonly deadLetters: DeadLetters,
    private readonly lastErrors: LastErrors,
  ) {
    this.s = {
      dedupe: db.prepare('INSERT OR IGNORE INTO dedupe (source_id, message_id, at) VALUES (?, ?, ?)'),
      insertMsg: db.prepare('INSERT INTO messages (source_id, message_id, received_at, payload, user_key, user_hash, anon_hash, routes) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
      // A destination that filters the message when settled: its route names the rule (the user lookup shows it).
      routeFiltered: db.prepare(`UPDATE messages SET routes = json_set(coalesce(routes, '{}'), '$.' || json_quote(?), ?) WHERE id = ?`),
      insertJob: db.prepare('INSERT INTO jobs (msg_id, source_id, destination_id, user_key, received_at, lane) VALUES (?, ?, ?, ?, ?, ?)'),
      // `next_at > 0` lets SQLite use the small partial index instead of scanning the backlog.
      waitingUsers: db.prepare('SELECT DISTINCT user_key FROM jobs WHERE destination_id = ? AND next_at > 0 AND next_at > ?'),
      // The payload comes with its job (one statement step instead of a second lookup per job, ~30% less CPU
      // per claimed row), except for a job waiting for its retry, which is skipped.
      // Columns in RawJob's order (raw mode: each row is handed over as it is). `LIMIT ? + 0`, not `LIMIT ?`: SQLite
      // plans with the value of a bare parameter in LIMIT and so compiles the statement again whenever that parameter
      // is bound (https://www.sqlite.org/c3ref/prepare.html, on values that may influence the plan), which
      // better-sqlite3 does on every call: measured, about 40 µs more per query (a third of a 25-row query's CPU).
      due: db
        .prepare(
          `SELECT j.id, j.msg_id, j.source_id, j.destination_id, j.user_key, j.attempts, j.received_at,
                  CASE WHEN j.next_at <= ? THEN m.payload END AS payload
           FROM jobs j JOIN messages m ON m.id = j.msg_id
           WHERE j.destination_id = ? AND j.lane = ? AND j.id > ? ORDER BY j.id LIMIT ? + 0`,
        )
        .raw(true),
      jobRow: db.prepare('SELECT id, msg_id, source_id, destination_id, user_key, attempts, received_at FROM jobs WHERE id = ?'),
      deleteJob: db.prepare('DELETE FROM jobs WHERE id = ?'),
      release: db.prepare('UPDATE jobs SET attempts = attempts + 1, last_error = coalesce(?, last_error) WHERE id = ?'),
      retryAt: db.prepare('UPDATE jobs SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?'),
      countJobs: db.prepare('SELECT count(*) FROM jobs').pluck(),
    };
    this.claimRead = db.transaction((destinationId: string, lanes: readonly number[], max: number, now: number, maxBytes: number) => this.due(destinationId, lanes, max, now, maxBytes));
  }

  /** Stores one append's messages and their jobs; runs inside the group commit's transaction. */
  append(p: AppendBatch, deltas: CounterDeltas): { result: AppendResult; jobs: number } {
    const s = this.s;
    const duplicates: number[] = [];
    let accepted = 0;
    let jobs = 0;
    for (let i = 0; i < p.msgs.length; i++) {
      const m = p.msgs[i];
      if (s.dedupe.run(p.sourceId, m.messageId, m.receivedAt).changes === 0) {
        duplicates.push(i);
        continue;
      }
      accepted++;
      const msgId = s.insertMsg.run(p.sourceId, m.messageId, m.receivedAt, m.payload, m.userKey, userHash(m.userKey), m.anonymousId === undefined ? null : userHash(m.anonymousId), routesOf(m)).lastInsertRowid;
      const lane = laneOf(m.userKey);
      for (const d of m.destinations) {
        s.insertJob.run(msgId, p.sourceId, d, m.userKey, m.receivedAt, lane);
        deltas.bump(p.sourceId, d, 'received');
        jobs++;
      }
      if (m.filtered) for (const f of m.filtered) {
        deltas.bump(p.sourceId, f.destination, 'received');
        deltas.filtered(p.sourceId, f.destination, f.reason);
      }
    }
    this.counters.addSource(p.sourceId, accepted, duplicates.length, p.rejected);
    return { result: { accepted, duplicates }, jobs };
  }

  /** A new job for a message already stored (replay of a dead letter). */
  requeue(msgId: number, sourceId: string, destinationId: string, userKey: string, receivedAt: number): void {
    this.s.insertJob.run(msgId, sourceId, destinationId, userKey, receivedAt, laneOf(userKey));
  }

  claim(destinationId: string, lanes: readonly number[], max: number, now: number, maxBytes: number): RawJob[] {
    return this.claimRead(destinationId, lanes, max, now, maxBytes);
  }

  private due(destinationId: string, lanes: readonly number[], max: number, now: number, maxBytes: number): RawJob[] {
    const s = this.s;
    // Users whose earliest job waits for a retry hold back their later jobs (and only theirs).
    const blocked = new Set<string>();
    for (const r of s.waitingUsers.all(destinationId, now) as { user_key: string }[]) blocked.add(r.user_key);
    const jobs: RawJob[] = [];
    let bytes = 0;
    let scanned = 0;
    outer: for (const lane of lanes) {
      let after = 0;
      while (jobs.length < max) {
        const want = Math.max(max - jobs.length, 64);
        const rows = s.due.all(now, destinationId, lane, after, want) as RawJob[];
        for (const r of rows) {
          after = r[RAW.id];
          // A waiting user with a huge backlog must not make every claim walk all of it.
          if (++scanned > MAX_SCAN_PER_CLAIM) break outer;
          const userKey = r[RAW.userKey];
          // No payload: the job waits for its retry (the payload itself is never null).
          const payload = r[RAW.payload] as string | null;
          if (payload === null || blocked.has(userKey)) {
            blocked.add(userKey);
            continue;
          }
          const size = payload.length;
          // The byte budget bounds memory in flight; a batch always takes at least one job.
          if (jobs.length > 0 && bytes + size > maxBytes) break outer;
          bytes += size;
          jobs.push(r);
          this.claimed.set(r[RAW.id], { id: r[RAW.id], msg_id: r[RAW.msgId], source_id: r[RAW.sourceId], destination_id: destinationId, user_key: userKey, attempts: r[RAW.attempts], received_at: r[RAW.receivedAt] });
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

  /**
   * Settles several requests' jobs in one transaction (each with its own time); returns how many left the jobs
   * table. One commit writes each page of the jobs table and its indexes to the WAL once, however many of the
   * requests deleted rows on it: requests of different lanes interleave on the same pages.
   */
  settleAll(groups: readonly { settlements: Settlement[]; now: number }[]): number {
    let finished = 0;
    this.db.transaction(() => {
      const deltas = new CounterDeltas();
      for (const g of groups) {
        const errors = this.lastErrors.batch(g.now);
        finished += this.settleIn(g.settlements, g.now, deltas, errors);
        errors.write();
      }
      this.counters.write(deltas);
    })();
    return finished;
  }

  private settleIn(settlements: Settlement[], now: number, deltas: CounterDeltas, errors: ReturnType<LastErrors['batch']>): number {
    const s = this.s;
    let finished = 0;
    for (const o of settlements) {
      const row = this.claimed.get(o.jobId) ?? (s.jobRow.get(o.jobId) as JobRow | undefined);
      if (!row) continue;
      this.claimed.delete(o.jobId);
      switch (o.status) {
        // Counters move only when the job row really goes: a job is never counted twice.
        case 'done':
          if (s.deleteJob.run(row.id).changes !== 1) break;
          deltas.bump(row.source_id, row.destination_id, 'delivered');
          if (o.warnings?.length) deltas.warned(row.source_id, row.destination_id, o.warnings);
          finished++;
          break;
        case 'filtered':
          if (s.deleteJob.run(row.id).changes !== 1) break;
          deltas.filtered(row.source_id, row.destination_id, o.rule ?? 'destination');
          s.routeFiltered.run(row.destination_id, o.rule ?? 'destination', row.msg_id);
          finished++;
          break;
        case 'dead':
          if (s.deleteJob.run(row.id).changes !== 1) break;
          this.deadLetters.add(row, o, now);
          deltas.bump(row.source_id, row.destination_id, 'dead');
          if (o.warnings?.length) deltas.warned(row.source_id, row.destination_id, o.warnings);
          finished++;
          break;
        case 'release':
          s.release.run(o.reason === undefined ? null : errorText(o.code, o.reason), row.id);
          if (o.reason !== undefined) errors.note(row.source_id, row.destination_id, o.code, o.reason);
          break;
        case 'retry_at':
          s.retryAt.run(o.nextAt, errorText(o.code ?? 'retry', o.reason), row.id);
          errors.note(row.source_id, row.destination_id, o.code, o.reason);
          break;
      }
    }
    return finished;
  }

  count(): number {
    return this.s.countJobs.get() as number;
  }
}
