// The warehouse Deliverer: messages → rows (rows.ts) → schema evolution (schema.ts + dialect DDL) → one data
// transaction per batch (dialect).
//
// Decisions:
// - A batch is loaded in ONE transaction across all its sources' schemas: all or nothing. DDL runs before it, in
//   separate short transactions (a rolled-back batch may leave new empty columns behind, which is harmless).
// - A job that cannot be converted or placed (no messageId, too many type conflicts) is dead before any I/O.
//   DDL failing on a data error (e.g. PostgreSQL's 1600-column limit) is retried job by job to find the culprit.
//   A data error in the batch transaction reloads it with one savepoint per job: the culprit is dead
//   (`warehouse_reject`), every other job is loaded, and each job's rows stay all-or-nothing.
// - Within a batch, the `users` rows of one userId are merged (latest received_at wins column by column) so
//   a multi-row upsert never touches one row twice.
// - A connection lost mid-batch (server restarted, backend terminated) is retried once at once on a fresh
//   connection: the batch's transaction was rolled back, or committed if only the answer was lost, and a replay
//   adds no rows (`id` is unique). If that fails too, RetryableError: the router backs off.
// - Unreachable server, lock and disk errors throw RetryableError (the router retries the batch); a stale cache
//   (table/column missing) is dropped and the batch retried; refused credentials/privileges throw AuthError.
import { AuthError, RetryableError, type Deliverer, type DeliveryContext, type Job, type Outcome } from '../types.js';
import type { Dialect, TableWrite } from './dialect.js';
import { SchemaNamer } from './naming.js';
import { messageToRows, type LogicalRow, type Scalar } from './rows.js';
import { PlanError, Planner, SchemaCache, type PhysicalRow, type SchemaCatalog } from './schema.js';

const MAX_SCHEMA_ROUNDS = 5;
const REASON_MAX = 500;

interface Item {
  job: Job;
  schema: string;
  rows: LogicalRow[];
  phys: PhysicalRow[];
}

function reasonOf(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m.length > REASON_MAX ? m.slice(0, REASON_MAX) + '…' : m;
}

/** Groups physical rows into one write per (schema, table), with the union of their columns. */
export function buildWrites(items: { schema: string; phys: PhysicalRow[] }[], mergeUsers: boolean): TableWrite[] {
  const acc = new Map<string, { w: TableWrite; cols: Map<string, number>; phys: PhysicalRow[] }>();
  for (const it of items) {
    for (const p of it.phys) {
      const key = `${it.schema}\u0000${p.table}`;
      let a = acc.get(key);
      if (!a) acc.set(key, (a = { w: { schema: it.schema, table: p.table, kind: p.kind, columns: [], rows: [] }, cols: new Map(), phys: [] }));
      for (const c of p.columns) if (!a.cols.has(c)) a.cols.set(c, a.cols.size);
      a.phys.push(p);
    }
  }
  const out: TableWrite[] = [];
  for (const { w, cols, phys } of acc.values()) {
    w.columns = [...cols.keys()];
    const n = w.columns.length;
    if (w.kind === 'users' && mergeUsers) {
      const recs = mergeUserRecords(phys.map((p) => new Map(p.columns.map((c, i) => [c, p.values[i]]))));
      w.rows = recs.map((r) => w.columns.map((c) => r.get(c) ?? null));
    } else {
      w.rows = phys.map((p) => {
        const row = new Array<Scalar | null>(n).fill(null);
        for (let i = 0; i < p.columns.length; i++) row[cols.get(p.columns[i])!] = p.values[i];
        return row;
      });
    }
    out.push(w);
  }
  // Same table order as DDL (dialect.changesByTable): concurrent transactions queue instead of deadlocking.
  return out.sort((a, b) => (a.schema !== b.schema ? (a.schema < b.schema ? -1 : 1) : a.table < b.table ? -1 : a.table > b.table ? 1 : 0));
}

function receivedMs(r: Map<string, Scalar>): number {
  const v = r.get('received_at');
  const t = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isNaN(t) ? -Infinity : t;
}

/** One record per user id: records ordered by received_at (stable), later non-null values win. */
export function mergeUserRecords(recs: Map<string, Scalar>[]): Map<string, Scalar>[] {
  const byId = new Map<string, Map<string, Scalar>[]>();
  for (const r of recs) {
    const id = String(r.get('id'));
    const l = byId.get(id);
    if (l) l.push(r);
    else byId.set(id, [r]);
  }
  const out: Map<string, Scalar>[] = [];
  for (const list of byId.values()) {
    if (list.length === 1) {
      out.push(list[0]);
      continue;
    }
    const sorted = list.map((r, i) => ({ r, i, t: receivedMs(r) })).sort((a, b) => a.t - b.t || a.i - b.i);
    const merged = new Map<string, Scalar>();
    for (const { r } of sorted) for (const [k, v] of r) merged.set(k, v);
    out.push(merged);
  }
  return out;
}

export interface WarehouseOptions {
  batchSize: number;
  maxInFlight: number;
  schemaPrefix?: string;
  /** Every configured source id: schema names are derived from the whole set (naming.ts). */
  sourceIds?: readonly string[];
}

export class WarehouseDeliverer implements Deliverer {
  readonly maxBatch: number;
  readonly maxInFlight: number;
  private readonly cache = new SchemaCache();
  private readonly names: SchemaNamer;

  constructor(readonly dialect: Dialect, private readonly opts: WarehouseOptions, private readonly ctx: DeliveryContext) {
    this.maxBatch = opts.batchSize;
    this.maxInFlight = opts.maxInFlight;
    this.names = new SchemaNamer(opts.sourceIds ?? [], opts.schemaPrefix);
  }

  async deliver(jobs: Job[]): Promise<Outcome[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.load(jobs);
      } catch (err) {
        if (attempt > 0 || this.dialect.classify(err) !== 'connection') throw this.retryable(err);
        this.ctx.log.warn({ err: reasonOf(err), jobs: jobs.length }, 'warehouse connection lost; retrying on a new connection');
      }
    }
  }

  /** One attempt at the whole batch; database errors are thrown as they are. */
  private async load(jobs: Job[]): Promise<Outcome[]> {
    const loadedAt = new Date().toISOString();
    const dead = new Map<number, string>();
    const items: Item[] = [];
    for (const job of jobs) {
      try {
        const r = messageToRows(job.message, loadedAt);
        if (r.ok) items.push({ job, schema: this.names.of(job.sourceId), rows: r.rows, phys: [] });
        else dead.set(job.id, r.reason);
      } catch (err) {
        dead.set(job.id, reasonOf(err));
      }
    }
    const bySchema = new Map<string, Item[]>();
    for (const it of items) {
      const l = bySchema.get(it.schema);
      if (l) l.push(it);
      else bySchema.set(it.schema, [it]);
    }
    for (const [schema, list] of bySchema) await this.prepareSchema(schema, list, dead);
    const ready = items.filter((it) => !dead.has(it.job.id));
    if (ready.length > 0) {
      try {
        await this.dialect.loadBatch(buildWrites(ready, true));
      } catch (err) {
        if (this.dialect.classify(err) !== 'job') throw err;
        this.ctx.log.warn({ err: reasonOf(err), jobs: ready.length }, 'warehouse batch rejected; isolating jobs');
        const failures = await this.dialect.loadIsolated(ready.map((it) => ({ key: it.job.id, writes: buildWrites([it], false) })));
        for (const [id, e] of failures) dead.set(id, reasonOf(e));
      }
    }
    return jobs.map((j): Outcome => {
      const reason = dead.get(j.id);
      if (reason === undefined) return { jobId: j.id, status: 'done' };
      return { jobId: j.id, status: 'dead', code: 'warehouse_reject', reason };
    });
  }

  /** The error thrown for the whole batch: AuthError for refused credentials, else RetryableError. */
  private retryable(err: unknown): RetryableError | AuthError {
    if (err instanceof RetryableError || err instanceof AuthError) return err;
    const cls = this.dialect.classify(err);
    if (cls === 'schema') this.cache.invalidate();
    const code = (err as { code?: unknown })?.code;
    const c = typeof code === 'string' ? `warehouse_${code}` : 'warehouse_error';
    const message = `warehouse (${this.dialect.name}): ${reasonOf(err)}`;
    return cls === 'auth' ? new AuthError(message, c) : new RetryableError(message, undefined, c);
  }

  /** Plans every item's rows against the catalog, applying DDL until no change is needed; fills `phys`. */
  private async prepareSchema(schema: string, list: Item[], dead: Map<number, string>): Promise<void> {
    let catalog: SchemaCatalog = this.cache.get(schema) ?? (await this.dialect.loadCatalog(schema));
    this.cache.set(schema, catalog);
    for (let round = 0; round < MAX_SCHEMA_ROUNDS; round++) {
      const planner = new Planner(catalog, this.dialect.caps);
      for (const it of list) {
        if (dead.has(it.job.id)) continue;
        try {
          it.phys = it.rows.map((r) => planner.planRow(r));
        } catch (err) {
          dead.set(it.job.id, reasonOf(err));
        }
      }
      if (planner.changes.length === 0) return;
      try {
        catalog = await this.dialect.applyChanges(schema, planner.changes);
        this.cache.set(schema, catalog);
      } catch (err) {
        if (this.dialect.classify(err) !== 'job') throw err;
        this.ctx.log.warn({ schema, err: reasonOf(err) }, 'warehouse schema change rejected; isolating jobs');
        catalog = await this.dialect.loadCatalog(schema);
        for (const it of list) {
          if (dead.has(it.job.id)) continue;
          const p = new Planner(catalog, this.dialect.caps);
          try {
            it.rows.forEach((r) => p.planRow(r));
            if (p.changes.length > 0) catalog = await this.dialect.applyChanges(schema, p.changes);
          } catch (e) {
            if (!(e instanceof PlanError) && this.dialect.classify(e) !== 'job') throw e;
            dead.set(it.job.id, reasonOf(e));
          }
        }
        this.cache.set(schema, catalog);
      }
    }
    throw new RetryableError(`warehouse schema ${schema} did not settle after ${MAX_SCHEMA_ROUNDS} rounds`);
  }

  async close(): Promise<void> {
    await this.dialect.close();
  }
}
