// Suppressed users (deleted on request): their later jobs are filtered. The set is small and read before
// every request, so it is kept in memory and written through.
import type Database from 'better-sqlite3';

export class Suppressions {
  private readonly ids = new Set<string>();
  private readonly insert: Database.Statement;

  /** @param load read the stored set (a read-only handle for the CLI does not need it). */
  constructor(private readonly db: Database.Database, load: boolean) {
    this.insert = db.prepare('INSERT OR IGNORE INTO suppressions (user_id, created_at) VALUES (?, ?)');
    if (load) for (const r of db.prepare('SELECT user_id FROM suppressions').all() as { user_id: string }[]) this.ids.add(r.user_id);
  }

  add(userIds: string[], now: number): void {
    this.db.transaction(() => {
      for (const u of userIds) this.insert.run(u, now);
    })();
    for (const u of userIds) this.ids.add(u);
  }

  all(): Set<string> {
    return this.ids;
  }
}
