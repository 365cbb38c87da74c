// Reconciliation counters on PostgreSQL: the same tables and meaning as the SQLite store (counters.ts there).
// Deltas are written in key order so that concurrent transactions on several nodes lock counter rows in the
// same order and never deadlock.
import type pg from 'pg';
import type { CounterDeltas } from '../counter-deltas.js';
import type { Counts, SourceCounts } from '../types.js';

export { CounterDeltas } from '../counter-deltas.js';

/** Writes the deltas inside the caller's transaction. */
export async function writeDeltas(c: pg.ClientBase, deltas: CounterDeltas): Promise<void> {
  const rows = [...deltas.entries()].sort((a, b) => (a[0] + '\u0000' + a[1] < b[0] + '\u0000' + b[1] ? -1 : 1));
  if (rows.length === 0) return;
  const col = (f: (r: (typeof rows)[number]) => unknown) => rows.map(f);
  await c.query(
    `INSERT INTO counters (source_id, destination_id, received, delivered, dead, filtered)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[])
     ON CONFLICT (source_id, destination_id) DO UPDATE SET received = counters.received + excluded.received,
     delivered = counters.delivered + excluded.delivered, dead = counters.dead + excluded.dead, filtered = counters.filtered + excluded.filtered`,
    [col((r) => r[0]), col((r) => r[1]), col((r) => r[2].received), col((r) => r[2].delivered), col((r) => r[2].dead), col((r) => r[2].filtered)],
  );
}

export async function addSource(c: pg.ClientBase, sourceId: string, received: number, duplicates: number, rejected: number): Promise<void> {
  await c.query(
    `INSERT INTO source_counters (source_id, received, duplicates, rejected) VALUES ($1, $2, $3, $4)
     ON CONFLICT (source_id) DO UPDATE SET received = source_counters.received + excluded.received,
     duplicates = source_counters.duplicates + excluded.duplicates, rejected = source_counters.rejected + excluded.rejected`,
    [sourceId, received, duplicates, rejected],
  );
}

export async function connectionCounts(c: pg.Pool): Promise<Counts[]> {
  const { rows } = await c.query(
    `SELECT c.source_id, c.destination_id, c.received, c.delivered, c.dead, c.filtered, coalesce(p.n, 0) AS pending
     FROM counters c LEFT JOIN (SELECT source_id, destination_id, count(*) AS n FROM jobs GROUP BY 1, 2) p
       ON p.source_id = c.source_id AND p.destination_id = c.destination_id
     ORDER BY c.source_id, c.destination_id`,
  );
  return rows.map((r) => ({
    sourceId: r.source_id,
    destinationId: r.destination_id,
    received: r.received,
    delivered: r.delivered,
    dead: r.dead,
    filtered: r.filtered,
    pending: r.pending,
  }));
}

export async function sourceCounts(c: pg.Pool): Promise<SourceCounts[]> {
  const { rows } = await c.query('SELECT * FROM source_counters ORDER BY source_id');
  return rows.map((r) => ({ sourceId: r.source_id, received: r.received, duplicates: r.duplicates, rejected: r.rejected }));
}
