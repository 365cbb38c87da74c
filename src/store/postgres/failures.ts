// Dead letters on PostgreSQL: the same rows and filters as the SQLite store (src/store/sqlite/failures.ts).
import type pg from 'pg';
import { toDeadLetter } from '../dead-letter.js';
import type { DeadLetter, FailureFilter } from '../types.js';

export function where(f: FailureFilter): { sql: string; args: unknown[] } {
  const clauses: string[] = [];
  const args: unknown[] = [];
  const add = (sql: string, v: unknown) => (args.push(v), clauses.push(sql.replace('?', `$${args.length}`)));
  if (f.destination) add('d.destination_id = ?', f.destination);
  if (f.code) add('d.code = ?', f.code);
  if (f.from !== undefined) add('d.failed_at >= ?', f.from);
  if (f.to !== undefined) add('d.failed_at <= ?', f.to);
  // An empty id list matches nothing (never "everything").
  if (f.ids) add('d.id = ANY(?::bigint[])', f.ids);
  return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', args };
}

export async function listFailures(pool: pg.Pool, f: FailureFilter): Promise<DeadLetter[]> {
  const w = where(f);
  const { rows } = await pool.query(
    `SELECT d.*, m.message_id FROM dead_letters d JOIN messages m ON m.id = d.msg_id ${w.sql} ORDER BY d.id LIMIT $${w.args.length + 1}`,
    [...w.args, f.limit ?? 100],
  );
  return rows.map(toDeadLetter);
}

export async function getFailure(pool: pg.Pool, id: number): Promise<DeadLetter | undefined> {
  const { rows: [r] } = await pool.query('SELECT d.*, m.message_id, m.payload FROM dead_letters d JOIN messages m ON m.id = d.msg_id WHERE d.id = $1', [id]);
  return r ? { ...toDeadLetter(r), message: JSON.parse(r.payload) } : undefined;
}
