// The PostgreSQL store: the same Store as SQLite (src/store/types.ts) on tables that several Taproute nodes
// share. This class wires the parts together; each concern lives beside it:
//   migrations.ts (versioned schema, advisory lock) · db.ts (pool, transactions) · commit.ts (group commit)
//   · jobs.ts (append, claim, settle, fencing) · counters.ts · failures.ts · users.ts (user lookup)
// An append resolves only after its transaction committed; PostgreSQL's synchronous_commit decides how
// durable that is (https://www.postgresql.org/docs/current/wal-async-commit.html: keep it on).
import type pg from 'pg';
import type { Job } from '../../core/job.js';
import type {
  AppendResult, Counts, DeadLetter, DestinationState, FailureFilter, FilteredCount, Settlement, SourceCounts, Store, StoredMessage, UserMessagesPage, WarningCount,
} from '../types.js';
import { REQUEST_ID_DAYS } from '../rows.js';
import { AsyncGroupCommit } from './commit.js';
import { CounterDeltas, connectionCounts, deltaStatements, filteredByRule, sourceCounts, warningsByCode, writeDeltas } from './counters.js';
import { createPool, tx, unavailable } from './db.js';
import { getFailure, listFailures, where } from './failures.js';
import { type AppendBatch, type Fence, type InOrder, Jobs } from './jobs.js';
import { idBlocks, migrate } from './migrations.js';
import { userMessages } from './users.js';

export interface PostgresStoreOptions {
  /** Set when this node runs in a cluster: claims and settles are fenced by its lane leases. */
  fence?: Fence;
  /** Connections in the pool. */
  poolSize?: number;
}

/**
 * Append transactions in flight at once, and the messages one takes (src/store/postgres/commit.ts): a few
 * moderate transactions keep the database and this node busy together, where one huge one leaves each
 * waiting for the other.
 */
export const APPENDS_IN_FLIGHT = 4;
const MESSAGES_PER_COMMIT = 400;
/** Suppressions are re-read at most this often, so a deletion made on another node reaches this one soon. */
const SUPPRESSIONS_TTL_MS = 1000;
const PRUNE_CHUNK = 5000;

export class PostgresStore implements Store {
  private readonly jobs: Jobs;
  private readonly appends: AsyncGroupCommit<AppendBatch, AppendResult>;
  private pending = 0;
  private reachable = true;
  private suppressions: { ids: Set<string>; at: number } | null = null;
  /** Settlements refused by fencing since this store opened: their lane's lease was lost (shown in the cluster status). */
  settlesRefused = 0;

  private constructor(readonly pool: pg.Pool, opts: PostgresStoreOptions) {
    this.jobs = new Jobs(opts.fence);
    this.appends = new AsyncGroupCommit((batch, inOrder) => this.commitAppends(batch, inOrder), APPENDS_IN_FLIGHT, (b) => b.msgs.length, MESSAGES_PER_COMMIT);
  }

  /** Connects, applies missing migrations and reads the backlog. */
  static async open(url: string, opts: PostgresStoreOptions = {}): Promise<PostgresStore> {
    // Below the lease timeout: a paused node's open transaction ends before its leases expire.
    const lease = opts.fence?.leaseTimeoutMs;
    const s = new PostgresStore(createPool(url, opts.poolSize, lease ? Math.max(1000, Math.floor(lease / 2)) : undefined), opts);
    try {
      await migrate(s.pool);
      s.pending = await s.countJobs();
      s.jobs.blocks = await idBlocks(s.pool);
    } catch (err) {
      await s.pool.end();
      throw err;
    }
    return s;
  }

  /** Tracks whether the database answers (for /healthz) and turns failures into 503s. */
  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      const r = await fn();
      this.reachable = true;
      return r;
    } catch (err) {
      if (isConnectionError(err)) {
        this.reachable = false;
        throw unavailable(err);
      }
      throw err;
    }
  }

  private async countJobs(): Promise<number> {
    return (await this.pool.query<{ n: number }>('SELECT count(*) AS n FROM jobs')).rows[0].n;
  }

  append(sourceId: string, msgs: StoredMessage[], rejected = 0): Promise<AppendResult> {
    // Not async: a suspended frame would hold `msgs` until the commit ends, after the commit let them go.
    return this.appends.submit({ sourceId, msgs, rejected }).catch((err) => {
      // Nothing was acknowledged: the client should send again later.
      throw (err as { statusCode?: number }).statusCode ? err : unavailable(err);
    });
  }

  private commitAppends(batch: AppendBatch[], inOrder: InOrder): Promise<AppendResult[]> {
    return this.guard(async () => {
      const deltas = new CounterDeltas();
      const r = await tx(
        this.pool,
        (c) => this.jobs.append(c, batch, deltas, inOrder),
        // Last and in arrival order, with the COMMIT in the same round trip: the counter rows every commit
        // updates stay locked only until this COMMIT.
        (c, r) => inOrder(1, () => c.query([...deltaStatements(deltas, r.sources), 'COMMIT'].join(';\n')).then(() => {})),
        true,
      );
      this.pending += r.jobs;
      return r.results;
    });
  }

  claim(destinationId: string, lanes: readonly number[], max: number, now: number, maxBytes = Infinity): Promise<Job[]> {
    return this.guard(() => this.jobs.claim(this.pool, destinationId, lanes, max, now, maxBytes));
  }

  forget(jobId: number): void {
    this.jobs.forget(jobId);
  }

  healthy(): boolean {
    return this.reachable;
  }

  settle(destinationId: string, settlements: Settlement[], now: number): Promise<void> {
    return this.guard(async () => {
      const deltas = new CounterDeltas();
      const { finished, refused } = await tx(this.pool, async (c) => {
        const r = await this.jobs.settle(c, destinationId, settlements, now, deltas);
        await writeDeltas(c, deltas);
        return r;
      });
      this.pending -= finished;
      this.settlesRefused += refused;
    });
  }

  async setDestinationPaused(destinationId: string, reason: string | null, now: number): Promise<void> {
    await this.guard(() =>
      this.pool.query(
        `INSERT INTO destination_state (destination_id, paused, since) VALUES ($1, $2, $3)
         ON CONFLICT (destination_id) DO UPDATE SET paused = excluded.paused, since = excluded.since`,
        [destinationId, reason, now],
      ),
    );
  }

  destinationStates(): Promise<DestinationState[]> {
    return this.guard(async () => {
      const { rows } = await this.pool.query('SELECT destination_id, paused, since FROM destination_state ORDER BY destination_id');
      return rows.map((r) => ({ destinationId: r.destination_id, paused: r.paused, since: r.since }));
    });
  }

  seenRequest(sourceId: string, requestId: string): Promise<boolean> {
    return this.guard(async () => (await this.pool.query('SELECT 1 FROM seen_requests WHERE source_id = $1 AND request_id = $2', [sourceId, requestId])).rowCount! > 0);
  }

  async rememberRequests(sourceId: string, requestIds: string[], now: number): Promise<void> {
    if (requestIds.length === 0) return;
    await this.guard(() =>
      this.pool.query(
        `INSERT INTO seen_requests (source_id, request_id, at) SELECT $1, r, $3 FROM unnest($2::text[]) AS r ORDER BY r ON CONFLICT DO NOTHING`,
        [sourceId, requestIds, now],
      ),
    );
  }

  async pendingTotal(): Promise<number> {
    return this.pending;
  }

  counts(): Promise<Counts[]> {
    return this.guard(() => connectionCounts(this.pool));
  }

  filteredByRule(): Promise<FilteredCount[]> {
    return this.guard(() => filteredByRule(this.pool));
  }

  warningsByCode(): Promise<WarningCount[]> {
    return this.guard(() => warningsByCode(this.pool));
  }

  sourceCounts(): Promise<SourceCounts[]> {
    return this.guard(() => sourceCounts(this.pool));
  }

  failures(f: FailureFilter): Promise<DeadLetter[]> {
    return this.guard(() => listFailures(this.pool, f));
  }

  failure(id: number): Promise<DeadLetter | undefined> {
    return this.guard(() => getFailure(this.pool, id));
  }

  replay(f: FailureFilter, now = Date.now()): Promise<number> {
    return this.guard(async () => {
      const w = where(f);
      const n = await tx(this.pool, async (c) => {
        const { rows } = await c.query(
          `DELETE FROM dead_letters WHERE id IN (SELECT d.id FROM dead_letters d ${w.sql} ORDER BY d.id LIMIT $${w.args.length + 1}) RETURNING *`,
          [...w.args, f.limit ?? null],
        );
        const deltas = new CounterDeltas();
        rows.sort((a, b) => a.id - b.id);
        for (const r of rows) {
          // The retry age starts again: a replayed event gets the full retry window.
          await this.jobs.requeue(c, r.msg_id, r.source_id, r.destination_id, r.user_key, now);
          deltas.bump(r.source_id, r.destination_id, 'dead', -1);
        }
        await writeDeltas(c, deltas);
        return rows.length;
      });
      this.pending += n;
      return n;
    });
  }

  userMessages(userKey: string, page?: { limit?: number; before?: number }): Promise<UserMessagesPage> {
    return this.guard(() => userMessages(this.pool, userKey, page));
  }

  async suppress(userIds: string[], now: number): Promise<void> {
    await this.guard(() =>
      this.pool.query('INSERT INTO suppressions (user_id, created_at) SELECT u, $2 FROM unnest($1::text[]) AS u ORDER BY u ON CONFLICT DO NOTHING', [userIds, now]),
    );
    for (const u of userIds) this.suppressions?.ids.add(u);
  }

  async suppressed(): Promise<Set<string>> {
    const cached = this.suppressions;
    if (cached && Date.now() - cached.at < SUPPRESSIONS_TTL_MS) return cached.ids;
    try {
      const { rows } = await this.guard(() => this.pool.query<{ user_id: string }>('SELECT user_id FROM suppressions'));
      this.suppressions = { ids: new Set(rows.map((r) => r.user_id)), at: Date.now() };
    } catch (err) {
      if (!cached) throw err;
    }
    return this.suppressions!.ids;
  }

  prune(now: number, dedupeWindowMs: number): Promise<void> {
    return this.guard(async () => {
      const chunked = async (sql: string, args: unknown[]) => {
        while ((await this.pool.query(sql, args)).rowCount === PRUNE_CHUNK);
      };
      await chunked(
        `DELETE FROM dedupe WHERE (source_id, message_id) IN (SELECT source_id, message_id FROM dedupe WHERE at < $1 LIMIT ${PRUNE_CHUNK})`,
        [now - dedupeWindowMs],
      );
      await chunked(
        `DELETE FROM seen_requests WHERE (source_id, request_id) IN (SELECT source_id, request_id FROM seen_requests WHERE at < $1 LIMIT ${PRUNE_CHUNK})`,
        [now - REQUEST_ID_DAYS * 86_400_000],
      );
      // Messages no job and no dead letter refers to any more (older than the oldest job).
      await chunked(
        `DELETE FROM messages WHERE id IN (SELECT m.id FROM messages m WHERE m.id < (SELECT coalesce(min(msg_id), 9223372036854775807) FROM jobs)
           AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.msg_id = m.id) LIMIT ${PRUNE_CHUNK})`,
        [],
      );
      // Other nodes add and finish jobs too: keep the backlog figure honest.
      this.pending = await this.countJobs();
    });
  }

  async close(): Promise<void> {
    await this.appends.close();
    await this.pool.end();
  }
}

/** Errors that mean the database is out of reach (connection refused, dropped, shutting down, timed out). */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  const code = String(e?.code ?? '');
  // SQLSTATE class 08 (connection exception), 57P0x (operator intervention: shutdown, crash), 53300 (too many connections).
  if (/^08|^57P0|^53300$/.test(code)) return true;
  if (/^E(CONNREFUSED|CONNRESET|PIPE|TIMEDOUT|HOSTUNREACH|NETUNREACH|AI_AGAIN)$|^ENOTFOUND$/.test(code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(e?.message ?? '');
}
