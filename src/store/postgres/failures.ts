// Dead letters on PostgreSQL: the same rows and filters as the SQLite store (src/store/sqlite/failures.ts).
import type pg from 'pg';
import { clevertapCodeInReason, numericOrNull, toDeadLetter } from '../dead-letter.js';
import type { DeadLetter, FailureFilter } from '../types.js';

export function where(f: FailureFilter): { sql: string; args: unknown[] } {
  const clauses: string[] = [];
  const args: unknown[] = [];
  const add = (sql: string, ...values: unknown[]) => {
    let i = 0;
    clauses.push(sql.replace(/\?/g, () => (args.push(values[i++]), `$${args.length}`)));
  };
  if (f.destination) add('d.destination_id = ?', f.destination);
  // A destination's own code appears in the reason as "(<platform> code 515)" when the dead letter carries
  // Taproute's code (e.g. invalid_email): a code matches either.
  if (f.code) add(`(d.code = ? OR d.reason LIKE ? ESCAPE '\\')`, f.code, `%(% code ${f.code.replace(/[\\%_]/g, '\\$&')})%`);
  // CleverTap's codes are numbers: a dead letter's own code is CleverTap's only then (Taproute's are words).
  if (f.clevertapCode) add(`(d.code = ?::text OR d.reason LIKE ? ESCAPE '\\')`, numericOrNull(f.clevertapCode), clevertapCodeInReason(f.clevertapCode));
  if (f.from !== undefined) add('d.failed_at >= ?', f.from);
  if (f.to !== undefined) add('d.failed_at <= ?', f.to);
  // An empty id list matches nothing (never "everything").
  if (f.ids) add('d.id = ANY(?::bigint[])', f.ids);
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', args };
}

/** The message's type and event (track) or name (page, screen), for listing. */
const DESCRIBE = `m.message_id, m.payload::jsonb ->> 'type' AS message_type, coalesce(m.payload::jsonb ->> 'event', m.payload::jsonb ->> 'name') AS event`;

export async function listFailures(pool: pg.Pool, f: FailureFilter): Promise<DeadLetter[]> {
  const w = where(f);
  const { rows } = await pool.query(
    `SELECT d.*, ${DESCRIBE} FROM dead_letters d JOIN messages m ON m.id = d.msg_id ${w.sql} ORDER BY d.id LIMIT $${w.args.length + 1}`,
    [...w.args, f.limit ?? 100],
  );
  return rows.map(toDeadLetter);
}

export async function getFailure(pool: pg.Pool, id: number): Promise<DeadLetter | undefined> {
  const { rows: [r] } = await pool.query(`SELECT d.*, ${DESCRIBE}, m.payload FROM dead_letters d JOIN messages m ON m.id = d.msg_id WHERE d.id = $1`, [id]);
  if (!r) return undefined;
  const d: DeadLetter = { ...toDeadLetter(r), message: JSON.parse(r.payload) };
  if (r.records) d.records = JSON.parse(r.records);
  if (r.warnings) d.warnings = JSON.parse(r.warnings);
  return d;
}
