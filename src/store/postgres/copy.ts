// COPY ... FROM STDIN in PostgreSQL's binary format. Not pg-copy-streams: it runs one COPY per query, and an
// append sends both tables' rows in one query message (one round trip). COPY inserts rows many at a time
// (one WAL record per heap page for a batch of rows, where INSERT ... SELECT writes one per row) and skips
// the executor's per-row work of a query; the rows travel as CopyData messages
// (https://www.postgresql.org/docs/current/protocol-flow.html#PROTOCOL-COPY). The binary format: a header
// ("PGCOPY\n\377\r\n\0", flags, extension length), then per row its number of fields and each field as a
// 32-bit length (-1 for NULL) and its binary value, then -1 as a 16-bit trailer
// (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4).
import type pg from 'pg';
import { int32, utf8 } from './bytes.js';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** A column's values: int8 and int4 as safe integers, text as strings (null and undefined as NULL). */
export type CopyColumn =
  | { type: 'int8'; values: readonly number[] }
  | { type: 'int4'; values: readonly number[] }
  | { type: 'text'; values: readonly (string | null | undefined)[] };

/** Protocol message types (https://www.postgresql.org/docs/current/protocol-message-formats.html). */
const COPY_DATA = 0x64; // 'd'
const COPY_DONE = 0x63; // 'c'

/** The encoder's scratch space, reused by every encoding (each is synchronous); one grown past this is let go. */
let scratch = Buffer.allocUnsafe(64 * 1024);
const SCRATCH_KEPT = 4 * 1024 * 1024;

/**
 * Rows written field by field in COPY's binary format, framed for the socket: one CopyData message holding them
 * all, then CopyDone (end()). Each text is encoded once, straight into place (room for three bytes per UTF-16
 * unit, the UTF-8 maximum, its length written after it), instead of measured with Buffer.byteLength first; the
 * result is copied out at its exact size. Written row by row, the caller needs no array per column.
 * Only one writer is open at a time: they share the scratch space (end() hands it back).
 */
export class CopyWriter {
  private buf = scratch;
  private o = 0;

  constructor() {
    this.room(5 + SIGNATURE.length + 8);
    this.buf[0] = COPY_DATA;
    this.o = 5; // the message's length, written at the end
    this.o += SIGNATURE.copy(this.buf, this.o);
    this.o = int32(this.buf, this.o, 0); // flags: no OIDs
    this.o = int32(this.buf, this.o, 0); // header extension length
  }

  private room(bytes: number): void {
    if (this.buf.length - this.o >= bytes) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.o + bytes));
    this.buf.copy(next, 0, 0, this.o);
    this.buf = next;
  }

  /** Starts a row of `width` fields. */
  row(width: number): void {
    this.room(2);
    this.buf[this.o++] = width >>> 8;
    this.buf[this.o++] = width;
  }

  /** A bigint field from a safe integer. */
  int8(v: number): void {
    this.room(12);
    let o = int32(this.buf, this.o, 8);
    // A safe integer in two 32-bit halves (no BigInt): the high half carries the sign.
    o = int32(this.buf, o, Math.floor(v / 2 ** 32));
    this.o = int32(this.buf, o, v % 2 ** 32);
  }

  int4(v: number): void {
    this.room(8);
    this.o = int32(this.buf, int32(this.buf, this.o, 4), v);
  }

  /** A text field (null and undefined as NULL). */
  text(v: string | null | undefined): void {
    if (v == null) {
      this.room(4);
      this.o = int32(this.buf, this.o, -1);
      return;
    }
    this.room(4 + v.length * 3);
    const len = utf8(this.buf, this.o + 4, v);
    this.o = int32(this.buf, this.o, len) + len;
  }

  /**
   * One text field holding `head` then `tail`, without joining them: a string built as a slice plus a suffix
   * (a payload stored as written, message/payload-spans.ts) would be copied into a new flat string to be encoded.
   */
  text2(head: string, tail: string): void {
    this.room(4 + (head.length + tail.length) * 3);
    const len = utf8(this.buf, this.o + 4, head);
    const all = len + utf8(this.buf, this.o + 4 + len, tail);
    this.o = int32(this.buf, this.o, all) + all;
  }

  /** The trailer, CopyData's length and CopyDone; the writer is done. */
  end(): Buffer {
    this.room(2 + 5);
    const buf = this.buf;
    buf[this.o++] = 0xff; // trailer: -1 as a 16-bit field count
    buf[this.o++] = 0xff;
    int32(buf, 1, this.o - 1); // CopyData's length counts itself, not its type byte
    buf[this.o] = COPY_DONE;
    const o = int32(buf, this.o + 1, 4);
    const out = Buffer.allocUnsafe(o);
    buf.copy(out, 0, 0, o);
    scratch = buf.length <= SCRATCH_KEPT ? buf : Buffer.allocUnsafe(64 * 1024);
    return out;
  }
}

/** Rows, given column by column (all of the same length), as CopyWriter frames them. */
export function copyMessages(columns: readonly CopyColumn[]): Buffer {
  const n = columns[0]?.values.length ?? 0;
  const w = new CopyWriter();
  for (let i = 0; i < n; i++) {
    w.row(columns.length);
    for (const c of columns) {
      if (c.type === 'text') w.text(c.values[i]);
      else if (c.type === 'int8') w.int8(c.values[i]);
      else w.int4(c.values[i]);
    }
  }
  return w.end();
}

/** The part of node-postgres's connection a query object drives (pg/lib/connection.js). */
interface Connection {
  query(text: string): void;
  endCopyFrom(): void;
  /** The socket (pg/lib/connection.js); its _send writes there too, and only while it is writable. */
  stream: { writable: boolean; write(data: Buffer): boolean };
}

/**
 * One simple-protocol query of `COPY ... FROM STDIN (FORMAT binary)` statements, run by node-postgres as a
 * custom query object (client.query(obj) calls its submit and hands it the server's messages, as
 * pg-copy-streams does): each CopyInResponse is answered with the next of `data` (CopyData and CopyDone,
 * framed by copyMessages), written to the socket as it is: node-postgres's sendCopyFromChunk would copy the
 * rows into a message of its own first.
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
    const messages = this.data[this.next++];
    if (!messages) connection.endCopyFrom();
    else if (connection.stream.writable) connection.stream.write(messages);
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
 * caller's connection, the i-th fed with the rows of columns[i].
 */
export function copyIn(c: pg.ClientBase, statements: string[], columns: CopyColumn[][]): Promise<void> {
  return copyInEncoded(c, statements, columns.map(copyMessages));
}

/** copyIn of rows already framed (copyMessages, CopyWriter), the i-th buffer for the i-th statement. */
export function copyInEncoded(c: pg.ClientBase, statements: string[], data: readonly Buffer[]): Promise<void> {
  return new Promise((resolve, reject) => {
    (c as unknown as { query(q: CopyIn): void }).query(new CopyIn(statements.join(';\n'), data, (err) => (err ? reject(err) : resolve())));
  });
}
