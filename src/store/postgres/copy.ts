// COPY ... FROM STDIN in PostgreSQL's binary format. Not pg-copy-streams: it runs one COPY per query, and an
// append sends both tables' rows in one query message (one round trip). COPY inserts rows many at a time
// (one WAL record per heap page for a batch of rows, where INSERT ... SELECT writes one per row) and skips
// the executor's per-row work of a query; the rows travel as CopyData messages
// (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-COPY). The binary format: a header
// ("PGCOPY\n\377\r\n\0", flags, extension length), then per row its number of fields and each field as a
// 32-bit length (-1 for NULL) and its binary value, then -1 as a 16-bit trailer
// (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4).
import type pg from 'pg';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** A column's values: int8 and int4 as safe integers, text as strings (null and undefined as NULL). */
export type CopyColumn =
  | { type: 'int8'; values: readonly number[] }
  | { type: 'int4'; values: readonly number[] }
  | { type: 'text'; values: readonly (string | null | undefined)[] };

/** Rows, given column by column (all of the same length), in COPY's binary format. */
export function binaryRows(columns: readonly CopyColumn[]): Buffer {
  const n = columns[0]?.values.length ?? 0;
  let size = SIGNATURE.length + 8 + n * 2 + 2;
  const lengths = columns.map((c) => {
    if (c.type !== 'text') {
      size += n * (c.type === 'int8' ? 12 : 8);
      return null;
    }
    const l = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const v = c.values[i];
      l[i] = v == null ? -1 : Buffer.byteLength(v);
      size += 4 + Math.max(l[i], 0);
    }
    return l;
  });
  const buf = Buffer.allocUnsafe(size);
  let o = SIGNATURE.copy(buf, 0);
  o = buf.writeInt32BE(0, o); // flags: no OIDs
  o = buf.writeInt32BE(0, o); // header extension length
  for (let i = 0; i < n; i++) {
    o = buf.writeInt16BE(columns.length, o);
    for (let k = 0; k < columns.length; k++) {
      const c = columns[k];
      if (c.type === 'text') {
        const len = lengths[k]![i];
        o = buf.writeInt32BE(len, o);
        if (len > 0) o += buf.write(c.values[i]!, o, len, 'utf8');
      } else if (c.type === 'int8') {
        const v = c.values[i];
        o = buf.writeInt32BE(8, o);
        // A safe integer in two 32-bit halves (no BigInt): the high half carries the sign.
        o = buf.writeInt32BE(Math.floor(v / 2 ** 32), o);
        o = buf.writeUInt32BE(((v % 2 ** 32) + 2 ** 32) % 2 ** 32, o);
      } else {
        o = buf.writeInt32BE(4, o);
        o = buf.writeInt32BE(c.values[i], o);
      }
    }
  }
  o = buf.writeInt16BE(-1, o);
  return buf.subarray(0, o);
}

/** The part of node-postgres's connection a query object drives (pg/lib/connection.js). */
interface Connection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/**
 * One simple-protocol query of `COPY ... FROM STDIN (FORMAT binary)` statements, run by node-postgres as a
 * custom query object (client.query(obj) calls its submit and hands it the server's messages, as
 * pg-copy-streams does): each CopyInResponse is answered with the next buffer of `data`.
 */
class CopyIn {
  private next = 0;
  private error: Error | undefined;
  private settled = false;

  constructor(
    private readonly text: string,
    private readonly data: readonly Buffer[],
    private readonly done: (err?: Error) => void,
  ) {}

  submit(connection: Connection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: Connection): void {
    const chunk = this.data[this.next++];
    if (chunk) connection.sendCopyFromChunk(chunk);
    connection.endCopyFrom();
  }

  handleError(err: Error): void {
    // At once: a lost connection sends nothing more. After an ErrorResponse the server still sends
    // ReadyForQuery, and node-postgres holds the caller's next query (its ROLLBACK) until then.
    this.error ??= err;
    this.finish();
  }

  handleReadyForQuery(): void {
    this.finish();
  }

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    this.done(this.error);
  }
}

// Messages a COPY FROM never brings (or whose content it does not need); node-postgres calls these on the active query.
for (const m of ['handleCommandComplete', 'handleRowDescription', 'handleDataRow', 'handleEmptyQuery', 'handlePortalSuspended', 'handleCopyData'])
  (CopyIn.prototype as unknown as Record<string, () => void>)[m] = () => {};

/**
 * Runs `statements` (each a `COPY table (columns) FROM STDIN (FORMAT binary)`) in one query message on the
 * caller's connection, the i-th fed with binaryRows(columns[i]).
 */
export function copyIn(c: pg.ClientBase, statements: string[], columns: CopyColumn[][]): Promise<void> {
  const data = columns.map(binaryRows);
  return new Promise((resolve, reject) => {
    (c as unknown as { query(q: CopyIn): void }).query(new CopyIn(statements.join(';\n'), data, (err) => (err ? reject(err) : resolve())));
  });
}
