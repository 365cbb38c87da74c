// Dead letters: jobs that will never be delivered as they are, with the destination's code and reason.
// They keep their message (so an operator can read and replay it) until replayed.
import type Database from 'better-sqlite3';
import { clevertapCodeInReason, numericOrNull, toDeadLetter } from '../dead-letter.js';
import type { DeadLetter, FailureFilter } from '../types.js';
import { CounterDeltas, type Counters } from './counters.js';
import type { JobRow } from '../rows.js';

/** Creates a pending job again for a stored message. */
export type Requeue = (msgId: number, sourceId: string, destinationId: string, userKey: string, receivedAt: number) => void;

export class DeadLetters {
  private readonly insert: Database.Statement;

  constructor(
    private readonly db: Database.Database,
    private readonly counters: Counters,
  ) {
    this.insert = db.prepare(
      `INSERT INTO dead_letters (job_id, msg_id, source_id, destination_id, user_key, code, reason, attempts, received_at, failed_at, records, warnings)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  /** Runs inside the settling transaction; the attempt that failed counts. */
  add(job: JobRow, o: { code: string; reason: string; records?: unknown[]; warnings?: unknown[] }, now: number): void {
    const records = o.records?.length ? JSON.stringify(o.records) : null;
    const warnings = o.warnings?.length ? JSON.stringify(o.warnings) : null;
    this.insert.run(job.id, job.msg_id, job.source_id, job.destination_id, job.user_key, o.code, o.reason, job.attempts + 1, job.received_at, now, records, warnings);
  }

  list(f: FailureFilter): DeadLetter[] {
    const w = where(f);
    const rows = this.db
      .prepare(`SELECT d.*, m.message_id, json_extract(m.payload, '$.type') AS message_type,
        coalesce(json_extract(m.payload, '$.event'), json_extract(m.payload, '$.name')) AS event FROM dead_letters d JOIN messages m ON m.id = d.msg_id ${w.sql} ORDER BY d.id LIMIT ? + 0`)
      .all(...w.args, f.limit ?? 100) as Record<string, unknown>[];
    return rows.map(toDeadLetter);
  }

  get(id: number): DeadLetter | undefined {
    const r = this.db
      .prepare(`SELECT d.*, m.message_id, m.payload, json_extract(m.payload, '$.type') AS message_type,
        coalesce(json_extract(m.payload, '$.event'), json_extract(m.payload, '$.name')) AS event FROM dead_letters d JOIN messages m ON m.id = d.msg_id WHERE d.id = ?`)
      .get(id) as Record<string, unknown> | undefined;
    if (!r) return undefined;
    const d: DeadLetter = { ...toDeadLetter(r), message: JSON.parse(String(r.payload)) };
    if (r.records) d.records = JSON.parse(String(r.records));
    if (r.warnings) d.warnings = JSON.parse(String(r.warnings));
    return d;
  }

  /** Moves matching dead letters back to pending jobs in one transaction; returns how many. */
  replay(f: FailureFilter, now: number, requeue: Requeue): number {
    const w = where(f);
    let n = 0;
    this.db.transaction(() => {
      const rows = this.db.prepare(`SELECT d.* FROM dead_letters d ${w.sql} ORDER BY d.id LIMIT ? + 0`).all(...w.args, f.limit ?? -1) as Record<string, number | string>[];
      const deltas = new CounterDeltas();
      const del = this.db.prepare('DELETE FROM dead_letters WHERE id = ?');
      for (const r of rows) {
        // The retry age starts again: a replayed event gets the full retry window.
        requeue(Number(r.msg_id), String(r.source_id), String(r.destination_id), String(r.user_key), now);
        del.run(r.id);
        deltas.bump(String(r.source_id), String(r.destination_id), 'dead', -1);
        n++;
      }
      this.counters.write(deltas);
    })();
    return n;
  }
}

function where(f: FailureFilter): { sql: string; args: unknown[] } {
  const clauses: string[] = [];
  const args: unknown[] = [];
  if (f.destination) (clauses.push('d.destination_id = ?'), args.push(f.destination));
  // A destination's own code appears in the reason as "(<platform> code 515)" when the dead letter carries
  // Taproute's code (e.g. invalid_email): a code matches either.
  if (f.code) (clauses.push(`(d.code = ? OR d.reason LIKE ? ESCAPE '\\')`), args.push(f.code, `%(% code ${f.code.replace(/[\\%_]/g, '\\$&')})%`));
  // CleverTap's codes are numbers: a dead letter's own code is CleverTap's only then (Taproute's are words).
  if (f.clevertapCode) (clauses.push(`(d.code = ? OR d.reason LIKE ? ESCAPE '\\')`), args.push(numericOrNull(f.clevertapCode), clevertapCodeInReason(f.clevertapCode)));
  if (f.from !== undefined) (clauses.push('d.failed_at >= ?'), args.push(f.from));
  if (f.to !== undefined) (clauses.push('d.failed_at <= ?'), args.push(f.to));
  if (f.ids) {
    // An empty id list matches nothing (never "everything").
    if (f.ids.length === 0) clauses.push('0');
    else (clauses.push(`d.id IN (${f.ids.map(() => '?').join(',')})`), args.push(...f.ids));
  }
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', args };
}
