// Multi-row INSERTs: one statement execution writes up to CHUNK rows, which costs far less per row in
// better-sqlite3 and SQLite's VDBE than one execution per row. Statements are prepared once per row count.
import type Database from 'better-sqlite3';

/** Rows per statement: 64 rows of up to 8 columns stay well under SQLite's bound-parameter limit. */
export const CHUNK = 64;

export class MultiRowInsert {
  private readonly byRows = new Map<number, Database.Statement>();

  /** @param head e.g. `INSERT INTO t (a, b)`; @param tail e.g. `RETURNING a` */
  constructor(
    private readonly db: Database.Database,
    private readonly head: string,
    private readonly columns: number,
    private readonly tail = '',
  ) {}

  /** The statement for `rows` rows (at most CHUNK), its values bound in row order. */
  statement(rows: number): Database.Statement {
    let s = this.byRows.get(rows);
    if (!s) {
      const row = `(${Array(this.columns).fill('?').join(',')})`;
      s = this.db.prepare(`${this.head} VALUES ${Array(rows).fill(row).join(',')} ${this.tail}`);
      this.byRows.set(rows, s);
    }
    return s;
  }

  /** Writes the rows whose values are laid out flat in `values` (columns per row), CHUNK rows at a time. */
  run(values: unknown[]): void {
    const per = CHUNK * this.columns;
    for (let i = 0; i < values.length; i += per) {
      const part = values.length <= per ? values : values.slice(i, i + per);
      this.statement(part.length / this.columns).run(part);
    }
  }

  /** As run, for a statement with a RETURNING clause: every returned row. */
  all<R>(values: unknown[]): R[] {
    const per = CHUNK * this.columns;
    const out: R[] = [];
    for (let i = 0; i < values.length; i += per) {
      const part = values.length <= per ? values : values.slice(i, i + per);
      for (const r of this.statement(part.length / this.columns).all(part) as R[]) out.push(r);
    }
    return out;
  }
}
