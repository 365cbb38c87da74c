// Reconciliation counters on PostgreSQL: the same tables and meaning as the SQLite store (counters.ts there).
// Deltas are written in key order so that concurrent transactions on several nodes lock counter rows in the
// same order and never deadlock.
import type pg from 'pg';
import { literal } from './db.js';
import type { CounterDeltas } from '../counter-deltas.js';
import type { Counts, FilteredCount, LastError, SourceCounts, WarningCount } from '../types.js';

export { CounterDeltas } from '../counter-deltas.js';

/** Per source: accepted, duplicates and rejected messages to add (appends). */
export type SourceDelta = [sourceId: string, received: number, duplicates: number, rejected: number];

/** Multi-row VALUES of literal rows (strings quoted, counts as integers). */
const values = (rows: (string | number)[][]) => rows.map((r) => `(${r.map((v) => (typeof v === 'number' ? String(Math.trunc(v)) : literal(v))).join(', ')})`).join(', ');

const byKey = <T>(rows: T[], key: (r: T) => string) => rows.map((r) => [key(r), r] as const).sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);

/**
 * The deltas (and the appends' source counts) as SQL statements with their values inline, rows in key
 * order, so that they travel together, and with the COMMIT after them, in one round trip (simple query
 * protocol, https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-FLOW-MULTI-STATEMENT): these
 * rows are hot, and locked until the commit.
 */
export function deltaStatements(deltas: CounterDeltas, sources: SourceDelta[] = []): string[] {
  const out: string[] = [];
  const src = byKey(sources, (r) => r[0]);
  if (src.length)
    out.push(`INSERT INTO source_counters (source_id, received, duplicates, rejected) VALUES ${values(src)}
     ON CONFLICT (source_id) DO UPDATE SET received = source_counters.received + excluded.received,
     duplicates = source_counters.duplicates + excluded.duplicates, rejected = source_counters.rejected + excluded.rejected`);
  const rows = byKey([...deltas.entries()], (r) => r[0] + '\u0000' + r[1]);
  if (rows.length)
    out.push(`INSERT INTO counters (source_id, destination_id, received, delivered, dead, filtered, warnings)
     VALUES ${values(rows.map(([s, d, n]) => [s, d, n.received, n.delivered, n.dead, n.filtered, n.warnings]))}
     ON CONFLICT (source_id, destination_id) DO UPDATE SET received = counters.received + excluded.received,
     delivered = counters.delivered + excluded.delivered, dead = counters.dead + excluded.dead, filtered = counters.filtered + excluded.filtered,
     warnings = counters.warnings + excluded.warnings`);
  const keyed = (m: Map<string, number>) => byKey([...m], (e) => e[0]).map(([k, n]) => [...k.split('\u0000'), n]);
  if (deltas.byRule.size)
    out.push(`INSERT INTO filtered_counters (source_id, destination_id, rule, n) VALUES ${values(keyed(deltas.byRule))}
     ON CONFLICT (source_id, destination_id, rule) DO UPDATE SET n = filtered_counters.n + excluded.n`);
  // Warnings by code: only flushes that carry warnings write here.
  if (deltas.byWarning.size)
    out.push(`INSERT INTO warning_counters (source_id, destination_id, code, n) VALUES ${values(keyed(deltas.byWarning))}
     ON CONFLICT (source_id, destination_id, code) DO UPDATE SET n = warning_counters.n + excluded.n`);
  return out;
}

/** Writes the deltas inside the caller's transaction, in one round trip. */
export async function writeDeltas(c: pg.ClientBase, deltas: CounterDeltas, sources: SourceDelta[] = []): Promise<void> {
  const sql = deltaStatements(deltas, sources);
  if (sql.length) await c.query(sql.join(';\n'));
}

export async function warningsByCode(c: pg.Pool): Promise<WarningCount[]> {
  const { rows } = await c.query('SELECT * FROM warning_counters ORDER BY source_id, destination_id, code');
  return rows.map((r) => ({ sourceId: r.source_id, destinationId: r.destination_id, code: r.code, warnings: r.n }));
}

export async function connectionCounts(c: pg.Pool): Promise<Counts[]> {
  const { rows } = await c.query(
    `SELECT c.source_id, c.destination_id, c.received, c.delivered, c.dead, c.filtered, c.warnings, coalesce(p.n, 0) AS pending,
       e.code AS error_code, e.reason AS error_reason, e.at AS error_at
     FROM counters c LEFT JOIN (SELECT source_id, destination_id, count(*) AS n FROM jobs GROUP BY 1, 2) p
       ON p.source_id = c.source_id AND p.destination_id = c.destination_id
     LEFT JOIN last_errors e ON e.source_id = c.source_id AND e.destination_id = c.destination_id
     ORDER BY c.source_id, c.destination_id`,
  );
  return rows.map((r) => {
    const counts: Counts = {
      sourceId: r.source_id,
      destinationId: r.destination_id,
      received: r.received,
      delivered: r.delivered,
      dead: r.dead,
      filtered: r.filtered,
      pending: r.pending,
      warnings: r.warnings,
    };
    if (r.error_reason !== null) {
      const e: LastError = { ...(r.error_code === null ? {} : { code: r.error_code }), reason: r.error_reason, at: r.error_at };
      counts.lastError = e;
    }
    return counts;
  });
}

export async function filteredByRule(c: pg.Pool): Promise<FilteredCount[]> {
  const { rows } = await c.query('SELECT * FROM filtered_counters ORDER BY source_id, destination_id, rule');
  return rows.map((r) => ({ sourceId: r.source_id, destinationId: r.destination_id, rule: r.rule, filtered: r.n }));
}

export async function sourceCounts(c: pg.Pool): Promise<SourceCounts[]> {
  const { rows } = await c.query('SELECT * FROM source_counters ORDER BY source_id');
  return rows.map((r) => ({ sourceId: r.source_id, received: r.received, duplicates: r.duplicates, rejected: r.rejected }));
}
