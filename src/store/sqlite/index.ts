// The embedded store: one SQLite file in WAL mode (better-sqlite3). This class opens the file and wires
// the parts together; each concern lives in its own module beside it:
//   schema.ts (tables) · commit.ts (group commit + WAL fsync) · jobs.ts (append, claim, settle)
//   · failures.ts (dead letters, replay) · counters.ts · requests.ts · suppressions.ts · prune.ts
//   · last-errors.ts · destination-state.ts · lock.ts (one owner per file)
//   · checkpointer.ts (WAL checkpoints off the event loop, giving the WAL's space back) · users.ts (user lookup)
//   · indexer.ts (the user lookup's entries written behind the appends, in sorted batches)
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Job } from '../../core/job.js';
import { isBusy, isWriteFailure, StoreUnavailableError } from '../errors.js';
import type { AppendResult, Counts, DeadLetter, DestinationState, FailureFilter, FilteredCount, Settlement, SourceCounts, Store, StoredMessage, UserMessagesPage, WarningCount } from '../types.js';
import { Checkpointer } from './checkpointer.js';
import { GroupCommit } from './commit.js';
import { CounterDeltas, Counters } from './counters.js';
import { DestinationStates } from './destination-state.js';
import { DeadLetters } from './failures.js';
import { INDEX_STEP, UserIndexer } from './indexer.js';
import { type AppendBatch, Jobs, RAW, type RawJob } from './jobs.js';
import { LastErrors } from './last-errors.js';
import { OwnerLock } from './lock.js';
import { prune } from './prune.js';
import { RequestIds } from './requests.js';
import { createSchema } from './schema.js';
import { Suppressions } from './suppressions.js';
import { UserMessages } from './users.js';

export interface SqliteStoreOptions {
  /** FULL: durable before an append resolves; NORMAL: survives kill -9, not power loss. */
  synchronous?: 'FULL' | 'NORMAL';
  readonly?: boolean;
  /** The process that delivers (the server). In-flight state lives only in its memory, so jobs that
   *  were in flight when a previous run died are simply pending again: delivery is at-least-once. */
  owner?: boolean;
  /** WAL bytes kept for reuse after a checkpoint; beyond this the WAL file is cut, a step at a time (space given
   *  back). */
  walLimitBytes?: number;
  /** The store has a thread of its own (thread.ts): the group commit fsyncs on it instead of the thread pool. */
  ownThread?: boolean;
  /** How often the owner indexes the messages appended since (indexer.ts); tests make it long to keep a tail. */
  indexIntervalMs?: number;
}

/** How often a store that could not write tries again, to report itself healthy once it can. */
const WRITE_PROBE_MS = 1000;
const DEFAULT_WAL_LIMIT_BYTES = 16 * 1024 * 1024;
/**
 * Under steady load the WAL is started over once it holds this many times walLimitBytes (checkpointer.ts): a bound
 * on its disk use, not a tuning knob. Each start-over costs a stall of 100-300 ms in the acknowledgements around it
 * (measured at 10K events/s; the writer's own pass takes ~15 ms of it, the rest is not yet understood), so it is
 * made rare: at 10K events/s of the compact mix (~46 MB of WAL a second) about every 20 s.
 */
const WAL_CAP = 64;
/** How often the owner indexes the messages appended since (indexer.ts), and after how many it does so sooner:
 *  the tail a user lookup scans stays about a second of appends. */
const DEFAULT_INDEX_MS = 1000;
const INDEX_AFTER = 20_000;
/** Turns an indexer step gives way to appends waiting for their commit before it runs anyway. */
const INDEX_DEFERRALS = 4;

export class SqliteStore implements Store {
  readonly db: Database.Database;
  private readonly lock: OwnerLock | null = null;
  private readonly checkpointer: Checkpointer | null = null;
  /** journal_size_limit: above the cap while the WAL is started over under load, stepped down once the load eases
   *  (constructor). */
  private journal = { wide: 0, now: 0 };
  private readonly appends: GroupCommit<AppendBatch, AppendResult>;
  private readonly counters: Counters;
  private readonly deadLetters: DeadLetters;
  private readonly jobs: Jobs;
  private readonly requests: RequestIds;
  private readonly suppressions: Suppressions;
  private readonly lastErrors: LastErrors;
  private readonly destinations: DestinationStates;
  private readonly users: UserMessages;
  private readonly indexer: UserIndexer | null = null;
  private indexTimer: NodeJS.Timeout | null = null;
  /** Settles waiting for the next check phase to be written together (settle()). */
  private settles: { settlements: Settlement[]; now: number; resolve(): void; reject(err: unknown): void }[] = [];
  /** Messages appended since the indexer last ran, and whether a run is queued for them. */
  private unindexed = 0;
  private indexQueued = false;
  /** Turns the queued step has waited for appends to commit first. */
  private indexDeferred = 0;
  private readonly probe: Database.Statement | null = null;
  /** Set while writes fail (disk full), cleared by the next write that succeeds; a timer probes meanwhile. */
  private writeFailure: Error | null = null;
  private probeTimer: NodeJS.Timeout | null = null;
  /** Jobs in the table, kept in memory: the backlog bound is checked on every ingest request. */
  private pending = 0;

  constructor(file: string, opts: SqliteStoreOptions = {}) {
    const writable = !opts.readonly;
    const synchronous = opts.synchronous ?? 'FULL';
    if (writable) mkdirSync(dirname(file), { recursive: true });
    if (opts.owner) this.lock = new OwnerLock(file);
    this.db = new Database(file, { readonly: !writable });
    this.db.pragma('busy_timeout = 5000');
    let wal: string | null = null;
    if (writable) {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${synchronous}`);
      if (opts.owner) {
        const walLimit = opts.walLimitBytes ?? DEFAULT_WAL_LIMIT_BYTES;
        const walCap = WAL_CAP * walLimit;
        this.db.pragma('wal_autocheckpoint = 0');
        // When the writer starts the WAL over it truncates the file to this size
        // (https://www.sqlite.org/pragma.html#pragma_journal_size_limit). Under load (finishCheckpoint) it is raised
        // above what the WAL grows to, so the file is reused in place instead of cut and grown again (growing it is
        // what makes each WAL fsync journal new blocks too); once the load eases it comes down a step at a time
        // (the checkpointer's onLight). It starts high too: a WAL left large by the last run is cut the same way.
        this.journal = { wide: 2 * walCap, now: 0 };
        this.journalLimit(this.journal.wide);
        this.checkpointer = new Checkpointer(file, { walLimitBytes: walLimit, walCapBytes: walCap, onCaughtUp: () => this.finishCheckpoint(), onLight: (keep) => this.journalLimit(keep) });
      }
      createSchema(this.db);
      if (opts.owner && synchronous === 'FULL') {
        // The group commit fsyncs the WAL itself (commit.ts), so the connection's commits need not.
        this.db.pragma('synchronous = NORMAL');
        this.db.prepare('SELECT 1 FROM jobs LIMIT 1').get(); // a read opens (creates) the WAL file
        wal = `${file}-wal`;
      }
    }
    this.counters = new Counters(this.db);
    this.deadLetters = new DeadLetters(this.db, this.counters);
    this.lastErrors = new LastErrors(this.db);
    this.destinations = new DestinationStates(this.db);
    this.users = new UserMessages(this.db);
    this.jobs = new Jobs(this.db, this.counters, this.deadLetters, this.lastErrors);
    if (writable) this.probe = this.db.prepare('INSERT OR REPLACE INTO write_probe (id, at) VALUES (1, ?)');
    this.requests = new RequestIds(this.db);
    this.suppressions = new Suppressions(this.db, writable);
    this.appends = new GroupCommit(wal, (batch) => this.write(() => this.commitAppends(batch)), opts.ownThread);
    if (writable) this.pending = this.jobs.count();
    if (writable && opts.owner) {
      this.indexer = new UserIndexer(this.db);
      this.indexTimer = setInterval(() => this.indexSoon(), opts.indexIntervalMs ?? DEFAULT_INDEX_MS);
      this.indexTimer.unref();
    }
  }

  /** Indexes the tail in steps (indexer.ts), each in its own turn of the event loop, after the appends waiting then
   *  are committed, and extending the latest run: the timer's and a long tail's way, off the commit path. */
  private indexSoon(): void {
    this.unindexed = 0;
    if (this.indexQueued) return;
    this.indexQueued = true;
    setImmediate(() => {
      this.indexQueued = false;
      // Appends waiting for their commit go first (a few turns at most: the indexer must not starve under load).
      if (this.appends.pending() && this.indexDeferred++ < INDEX_DEFERRALS) return this.indexSoon();
      this.indexDeferred = 0;
      if (this.indexBatch(true) >= INDEX_STEP) this.indexSoon();
    });
  }

  /** Starts a run now (prune's: it prunes below the watermark only), and leaves the rest of the tail to indexSoon. */
  private indexTail(): void {
    if (this.indexBatch(false) >= INDEX_STEP) this.indexSoon();
  }

  /** One step of the indexer; how many messages it covered. A failure (disk full, the CLI holding the write
   *  lock) leaves the tail for the next run: lookups read it meanwhile. */
  private indexBatch(extend: boolean): number {
    if (!this.indexer || !this.db.open) return 0;
    try {
      return this.write(() => this.indexer!.run(extend));
    } catch {
      return 0;
    }
  }

  /**
   * Runs a write. A disk-full or I/O error (the transaction rolled back: nothing of it is stored) marks the
   * store unable to write until a write succeeds again, and asks the checkpointer to give the WAL's space back.
   */
  private write<T>(fn: () => T): T {
    let r: T;
    try {
      r = fn();
    } catch (err) {
      // Another connection holds the write lock past busy_timeout (e.g. the CLI's replay): nothing was written
      // and nothing is wrong with the disk, so the client is asked to send again (503), the store stays healthy.
      if (isBusy(err)) throw new StoreUnavailableError(`store busy: ${(err as Error).message} (${(err as { code?: string }).code})`, { cause: err });
      if (!isWriteFailure(err)) throw err;
      this.cannotWrite(err as Error);
      throw new StoreUnavailableError(`store cannot write: ${(err as Error).message}`, { cause: err });
    }
    if (this.writeFailure) this.canWrite();
    return r;
  }

  /**
   * The checkpoint thread has copied all but the latest frames of a WAL over its cap: this connection copies the rest
   * between two commits (PASSIVE: if the thread is still at it, nothing happens and it asks again later), so the next
   * commit starts the WAL over (checkpointer.ts). An optimisation: a failure here only leaves the WAL longer.
   */
  private finishCheckpoint(): void {
    if (!this.db.open || this.db.inTransaction) return;
    try {
      this.journalLimit(this.journal.wide);
      this.db.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // the next pass asks again
    }
  }

  /** Sets journal_size_limit (only when it changes: the checkpointer reports a light load every second). */
  private journalLimit(bytes: number): void {
    if (bytes === this.journal.now || !this.db.open) return;
    this.db.pragma(`journal_size_limit = ${bytes}`);
    this.journal.now = bytes;
  }

  private cannotWrite(err: Error): void {
    this.writeFailure = err;
    this.checkpointer?.reclaim();
    if (this.probeTimer || !this.probe) return;
    // Nothing else may write while clients are turned away: probe, so that health comes back by itself.
    this.probeTimer = setInterval(() => {
      try {
        this.write(() => this.probe!.run(Date.now()));
      } catch {
        // still full: cannotWrite() asked for space again
      }
    }, WRITE_PROBE_MS);
    this.probeTimer.unref();
  }

  private canWrite(): void {
    this.writeFailure = null;
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
  }

  append(sourceId: string, msgs: StoredMessage[], rejected = 0): Promise<AppendResult> {
    return this.appends.submit({ sourceId, msgs, rejected });
  }

  /** Every append of one event-loop turn in one transaction. */
  private commitAppends(batch: AppendBatch[]): AppendResult[] {
    let added = 0;
    const results = this.db.transaction(() => {
      const deltas = new CounterDeltas();
      const out = batch.map((b) => {
        const r = this.jobs.append(b, deltas);
        added += r.jobs;
        return r.result;
      });
      this.counters.write(deltas);
      return out;
    })();
    this.pending += added;
    for (const r of results) this.unindexed += r.accepted;
    if (this.indexer && this.unindexed >= INDEX_AFTER) this.indexSoon();
    return results;
  }

  async claim(destinationId: string, lanes: readonly number[], max: number, now: number, maxBytes = Infinity): Promise<Job[]> {
    return this.claimRaw(destinationId, lanes, max, now, maxBytes).map(parseJob);
  }

  /** claim() with each message as its stored JSON text (the store thread's answer: parsed where it is delivered). */
  claimRaw(destinationId: string, lanes: readonly number[], max: number, now: number, maxBytes = Infinity): RawJob[] {
    return this.jobs.claim(destinationId, lanes, max, now, maxBytes);
  }

  forget(jobId: number): void {
    this.jobs.forget(jobId);
  }

  healthy(): boolean {
    return this.appends.healthy() && this.writeFailure === null;
  }

  /**
   * Settles are gathered until the event loop's next check phase and written in one transaction (Jobs.settleAll):
   * on the store thread, the settles of the requests that finished while it was busy (an fsync, a claim) arrive
   * together. Each resolves only once that transaction has committed.
   */
  settle(_destinationId: string, settlements: Settlement[], now: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.settles.push({ settlements, now, resolve, reject }) === 1) setImmediate(() => this.settleGathered());
    });
  }

  private settleGathered(): void {
    const gathered = this.settles;
    this.settles = [];
    try {
      this.pending -= this.write(() => this.jobs.settleAll(gathered));
      for (const g of gathered) g.resolve();
    } catch (err) {
      if (gathered.length === 1) return gathered[0].reject(err);
      // One request's settle must not fail the others': each is tried again on its own (the transaction rolled back).
      for (const g of gathered) {
        try {
          this.pending -= this.write(() => this.jobs.settleAll([g]));
          g.resolve();
        } catch (e) {
          g.reject(e);
        }
      }
    }
  }

  async setDestinationPaused(destinationId: string, reason: string | null, now: number): Promise<void> {
    this.write(() => this.destinations.set(destinationId, reason, now));
  }

  async destinationStates(): Promise<DestinationState[]> {
    return this.destinations.list();
  }

  async seenRequest(sourceId: string, requestId: string): Promise<boolean> {
    return this.requests.seen(sourceId, requestId);
  }

  async rememberRequests(sourceId: string, requestIds: string[], now: number): Promise<void> {
    this.write(() => this.requests.remember(sourceId, requestIds, now));
  }

  async pendingTotal(): Promise<number> {
    return this.pending;
  }

  async counts(): Promise<Counts[]> {
    const errors = this.lastErrors.byConnection();
    return this.counters.connections().map((c) => {
      const e = errors.get(`${c.sourceId}\u0000${c.destinationId}`);
      return e ? { ...c, lastError: e } : c;
    });
  }

  async filteredByRule(): Promise<FilteredCount[]> {
    return this.counters.filteredByRule();
  }

  async warningsByCode(): Promise<WarningCount[]> {
    return this.counters.warningsByCode();
  }

  async sourceCounts(): Promise<SourceCounts[]> {
    return this.counters.sources();
  }

  async failures(f: FailureFilter): Promise<DeadLetter[]> {
    return this.deadLetters.list(f);
  }

  async failure(id: number): Promise<DeadLetter | undefined> {
    return this.deadLetters.get(id);
  }

  async replay(f: FailureFilter, now = Date.now()): Promise<number> {
    const n = this.write(() => this.deadLetters.replay(f, now, (...job) => this.jobs.requeue(...job)));
    this.pending += n;
    return n;
  }

  async userMessages(userKey: string, page?: { limit?: number; before?: number }): Promise<UserMessagesPage> {
    return this.users.list(userKey, page);
  }

  async suppress(userIds: string[], now: number): Promise<void> {
    this.write(() => this.suppressions.add(userIds, now));
  }

  async suppressed(): Promise<Set<string>> {
    return this.suppressions.all();
  }

  async prune(now: number, dedupeWindowMs: number): Promise<void> {
    // Messages are pruned below the indexer's watermark only (prune.ts): move it first.
    this.indexTail();
    await prune(this.db, now, dedupeWindowMs);
    // Another process (the CLI's replay) may have added jobs: keep the backlog figure honest.
    this.pending = this.jobs.count();
  }

  async close(): Promise<void> {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = null;
    if (this.indexTimer) clearInterval(this.indexTimer);
    // Settles gathered for the next turn are written now: their delivery must not be repeated after a restart.
    if (this.settles.length) this.settleGathered();
    await this.appends.close();
    // Indexed now, the tail costs the next run's lookups no scan. Not synced: the index is derived from the
    // messages, and a batch lost with its watermark is only a longer tail, as after kill -9.
    while (this.indexBatch(true) >= INDEX_STEP);
    // The checkpoint thread closes its connection first, so nothing writes the files after this resolves.
    await this.checkpointer?.close();
    this.db.close();
    this.lock?.release();
  }
}

/** A claimed job with its message parsed. */
export function parseJob(r: RawJob): Job {
  return { id: r[RAW.id], sourceId: r[RAW.sourceId], destinationId: r[RAW.destinationId], userKey: r[RAW.userKey], attempts: r[RAW.attempts], receivedAt: r[RAW.receivedAt], message: JSON.parse(r[RAW.payload]) };
}
