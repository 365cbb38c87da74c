// Reconciliation counters, per connection (received, delivered, dead, filtered) and per source (received,
// duplicates, rejected). Pending is counted from the jobs table rather than derived, so
// received = delivered + dead + filtered + pending is a check, not an identity.
import type Database from 'better-sqlite3';
import type { CounterDeltas } from '../counter-deltas.js';
import type { Counts, FilteredCount, SourceCounts, WarningCount } from '../types.js';

export { CounterDeltas } from '../counter-deltas.js';

export class Counters {
  private readonly connection: Database.Statement;
  private readonly source: Database.Statement;
  private readonly rule: Database.Statement;
  private readonly warning: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.connection = db.prepare(
      `INSERT INTO counters (source_id, destination_id, received, delivered, dead, filtered, warnings) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (source_id, destination_id) DO UPDATE SET received = received + excluded.received,
       delivered = delivered + excluded.delivered, dead = dead + excluded.dead, filtered = filtered + excluded.filtered,
       warnings = warnings + excluded.warnings`,
    );
    this.rule = db.prepare(
      `INSERT INTO filtered_counters (source_id, destination_id, rule, n) VALUES (?, ?, ?, ?)
       ON CONFLICT (source_id, destination_id, rule) DO UPDATE SET n = n + excluded.n`,
    );
    this.warning = db.prepare(
      `INSERT INTO warning_counters (source_id, destination_id, code, n) VALUES (?, ?, ?, ?)
       ON CONFLICT (source_id, destination_id, code) DO UPDATE SET n = n + excluded.n`,
    );
    this.source = db.prepare(
      `INSERT INTO source_counters (source_id, received, duplicates, rejected) VALUES (?, ?, ?, ?)
       ON CONFLICT (source_id) DO UPDATE SET received = received + excluded.received,
       duplicates = duplicates + excluded.duplicates, rejected = rejected + excluded.rejected`,
    );
  }

  /** Call inside the transaction that made the changes, so counters and rows never disagree. */
  write(deltas: CounterDeltas): void {
    for (const [src, dst, d] of deltas.entries()) this.connection.run(src, dst, d.received, d.delivered, d.dead, d.filtered, d.warnings);
    for (const [k, n] of deltas.byRule) this.rule.run(...k.split('\u0000'), n);
    for (const [k, n] of deltas.byWarning) this.warning.run(...k.split('\u0000'), n);
  }

  addSource(sourceId: string, received: number, duplicates: number, rejected: number): void {
    this.source.run(sourceId, received, duplicates, rejected);
  }

  connections(): Counts[] {
    const rows = this.db
      .prepare(
        `SELECT c.source_id, c.destination_id, c.received, c.delivered, c.dead, c.filtered, c.warnings, coalesce(p.n, 0) AS pending
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
      warnings: Number(r.warnings),
    }));
  }

  filteredByRule(): FilteredCount[] {
    return this.byKey('filtered_counters', 'rule').map((r) => ({ sourceId: r.sourceId, destinationId: r.destinationId, rule: r.key, filtered: r.n }));
  }

  warningsByCode(): WarningCount[] {
    return this.byKey('warning_counters', 'code').map((r) => ({ sourceId: r.sourceId, destinationId: r.destinationId, code: r.key, warnings: r.n }));
  }

  /** Rows of a per-connection counter table keyed by one more column (a rule, a warning code). */
  private byKey(table: 'filtered_counters' | 'warning_counters', key: 'rule' | 'code'): { sourceId: string; destinationId: string; key: string; n: number }[] {
    // A read-only handle on a file written before this table existed has none: nothing counted yet.
    const exists = this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
    if (!exists) return [];
    return (this.db.prepare(`SELECT * FROM ${table} ORDER BY source_id, destination_id, ${key}`).all() as Record<string, number | string>[]).map((r) => ({
      sourceId: String(r.source_id),
      destinationId: String(r.destination_id),
      key: String(r[key]),
      n: Number(r.n),
    }));
  }

  sources(): SourceCounts[] {
    return (this.db.prepare('SELECT * FROM source_counters ORDER BY source_id').all() as Record<string, number | string>[]).map((r) => ({
      sourceId: String(r.source_id),
      received: Number(r.received),
      duplicates: Number(r.duplicates),
      rejected: Number(r.rejected),
    }));
  }
}
