// Request-level dedupe (mParticle's source_request_id): a request id is remembered once its messages are
// committed, so a retried request is dropped as a whole. Ids are kept for REQUEST_ID_DAYS (see prune.ts).
import type Database from 'better-sqlite3';

export class RequestIds {
  private readonly has: Database.Statement;
  private readonly insert: Database.Statement;

  constructor(private readonly db: Database.Database) {
    this.has = db.prepare('SELECT 1 FROM seen_requests WHERE source_id = ? AND request_id = ?');
    this.insert = db.prepare('INSERT OR IGNORE INTO seen_requests (source_id, request_id, at) VALUES (?, ?, ?)');
  }

  seen(sourceId: string, requestId: string): boolean {
    return this.has.get(sourceId, requestId) !== undefined;
  }

  remember(sourceId: string, requestIds: string[], now: number): void {
    this.db.transaction(() => {
      for (const id of requestIds) this.insert.run(sourceId, id, now);
    })();
  }
}
