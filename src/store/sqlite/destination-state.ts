// Destination states the server records (paused with a reason, or running), so that the CLI, which reads the
// store file, shows them, and `taproute destinations resume` can ask a running server to resume.
import type Database from 'better-sqlite3';
import type { DestinationState } from '../types.js';

export class DestinationStates {
  private readonly upsert: Database.Statement;
  private readonly all: Database.Statement;

  constructor(db: Database.Database) {
    this.upsert = db.prepare(
      `INSERT INTO destination_state (destination_id, paused, since) VALUES (?, ?, ?)
       ON CONFLICT (destination_id) DO UPDATE SET paused = excluded.paused, since = excluded.since`,
    );
    this.all = db.prepare('SELECT destination_id, paused, since FROM destination_state ORDER BY destination_id');
  }

  set(destinationId: string, paused: string | null, now: number): void {
    this.upsert.run(destinationId, paused, now);
  }

  list(): DestinationState[] {
    return (this.all.all() as { destination_id: string; paused: string | null; since: number }[]).map((r) => ({
      destinationId: r.destination_id,
      paused: r.paused,
      since: r.since,
    }));
  }
}
