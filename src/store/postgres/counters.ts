// Reconciliation counters on PostgreSQL: the same tables and meaning as the SQLite store (counters.ts there).
// Deltas are written in key order so that concurrent transactions on several nodes lock counter rows in the
// same order and never deadlock.
import type pg from 'pg';
import type { CounterDeltas } from '../counter-deltas.js';
import type { Counts, FilteredCount, LastError, SourceCounts, WarningCount } from '../types.js';

export { CounterDeltas } from '../counter-deltas.js';

/** Per source: accepted, duplicates and rejected messages to add (appends). */
export type SourceDelta = [sourceId: string, received: number, duplicates: number, rejected: number];

/**
 * Writes the deltas inside the caller's transaction, with the appends' source counts in the same statement
 * (one round trip: these rows are hot, and locked until the commit).
 */
export async function writeDeltas(c: pg.ClientBase, deltas: CounterDeltas, sources: SourceDelta[] = []): Promise<void> {
  const rows = [...deltas.entries()].sort((a, b) => (a[0] + '\u0000' + a[1] < b[0] + '\u0000' + b[1] ? -1 : 1));
  const src = [...sources].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const sourceArgs = [src.map((r) => r[0]), src.map((r) => r[1]), src.map((r) => r[2]), src.map((r) => r[3])];
  const upsertSources = (n: number) =>
    `INSERT INTO source_counters (source_id, received, duplicates, rejected) SELECT * FROM unnest($${n}::text[], $${n + 1}::bigint[], $${n + 2}::bigint[], $${n + 3}::bigint[])
     ON CONFLICT (source_id) DO UPDATE SET received = source_counters.received + excluded.received,
     duplicates = source_counters.duplicates + excluded.duplicates, rejected = source_counters.rejected + excluded.rejected`;
  if (rows.length) {
    const col = (f: (r: (typeof rows)[number]) => unknown) => rows.map(f);
    await c.query(
      `${src.length ? `WITH s AS (${upsertSources(8)}) ` : ''}INSERT INTO counters (source_id, destination_id, received, delivered, dead, filtered, warnings)
       SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[])
       ON CONFLICT (source_id, destination_id) DO UPDATE SET received = counters.received + excluded.received,
       delivered = counters.delivered + excluded.delivered, dead = counters.dead + excluded.dead, filtered = counters.filtered + excluded.filtered,
       warnings = counters.warnings + excluded.warnings`,
      [col((r) => r[0]), col((r) => r[1]), col((r) => r[2].received), col((r) => r[2].delivered), col((r) => r[2].dead), col((r) => r[2].filtered),
        col((r) => r[2].warnings), ...(src.length ? sourceArgs : [])],
    );
  } else if (src.length) await c.query(upsertSources(1), sourceArgs);
  const rules = [...deltas.byRule].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, n]) => [...k.split('\u0000'), n] as [string, string, string, number]);
  if (rules.length)
    await c.query(
      `INSERT INTO filtered_counters (source_id, destination_id, rule, n) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
       ON CONFLICT (source_id, destination_id, rule) DO UPDATE SET n = filtered_counters.n + excluded.n`,
      [rules.map((r) => r[0]), rules.map((r) => r[1]), rules.map((r) => r[2]), rules.map((r) => r[3])],
    );
  await writeWarnings(c, deltas);
}

/** Warnings by code: only flushes that carry warnings write here (rows in key order, as above). */
async function writeWarnings(c: pg.ClientBase, deltas: CounterDeltas): Promise<void> {
  if (deltas.byWarning.size === 0) return;
  const rows = [...deltas.byWarning].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map(([k, n]) => [...k.split('\u0000'), n] as [string, string, string, number]);
  await c.query(
    `INSERT INTO warning_counters (source_id, destination_id, code, n) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
     ON CONFLICT (source_id, destination_id, code) DO UPDATE SET n = warning_counters.n + excluded.n`,
    [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2]), rows.map((r) => r[3])],
  );
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
