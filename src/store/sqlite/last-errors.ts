// The last failed delivery attempt per connection, so that `taproute status` can say why events are pending.
// Written in the settling transaction; a whole request that failed is recorded like a retried record.
import type Database from 'better-sqlite3';
import type { LastError } from '../types.js';


export class LastErrors {
  private readonly upsert: Database.Statement;
  private readonly all: Database.Statement;

  constructor(db: Database.Database) {
    this.upsert = db.prepare(
      `INSERT INTO last_errors (source_id, destination_id, code, reason, at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (source_id, destination_id) DO UPDATE SET code = excluded.code, reason = excluded.reason, at = excluded.at`,
    );
    this.all = db.prepare('SELECT source_id, destination_id, code, reason, at FROM last_errors');
  }

  /** Gathers the errors of one settle; write() records the last one per connection. */
  batch(now: number) {
    const latest = new Map<string, [string, string, string | undefined, string]>();
    return {
      note: (sourceId: string, destinationId: string, code: string | undefined, reason: string) =>
        void latest.set(`${sourceId}\u0000${destinationId}`, [sourceId, destinationId, code, reason]),
      write: () => {
        for (const [src, dst, code, reason] of latest.values()) this.upsert.run(src, dst, code ?? null, reason, now);
      },
    };
  }

  /** By `source\0destination`. */
  byConnection(): Map<string, LastError> {
    const out = new Map<string, LastError>();
    for (const r of this.all.all() as { source_id: string; destination_id: string; code: string | null; reason: string; at: number }[]) {
      out.set(`${r.source_id}\u0000${r.destination_id}`, { ...(r.code === null ? {} : { code: r.code }), reason: r.reason, at: r.at });
    }
    return out;
  }
}
