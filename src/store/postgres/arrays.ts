// Array parameters in PostgreSQL's binary format. node-postgres sends a Buffer parameter as binary
// (pg-protocol's bind) and would otherwise send an array as its text literal, escaping every quote and
// backslash of every element on the way in and having the server unescape them again: message payloads are
// JSON, full of quotes. In binary, an element travels as a length and its bytes. The format is array_send's
// (https://github.com/postgres/postgres/blob/REL_16_STABLE/src/backend/utils/adt/arrayfuncs.c): number of
// dimensions, has-nulls flag, element type oid, then per dimension its length and lower bound (1), then each
// element as a 32-bit length (-1 for NULL) and its binary value. No library in our dependencies writes it.

import { int32, utf8 } from './bytes.js';

const TEXT = 25;
const INT8 = 20;
const INT4 = 23;

function header(buf: Buffer, n: number, hasNull: boolean, oid: number): number {
  buf.writeInt32BE(n === 0 ? 0 : 1, 0);
  buf.writeInt32BE(hasNull ? 1 : 0, 4);
  buf.writeInt32BE(oid, 8);
  if (n === 0) return 12;
  buf.writeInt32BE(n, 12);
  buf.writeInt32BE(1, 16);
  return 20;
}

/** A text[] parameter (bind it as `$n::text[]`). Each text is encoded once, into room for its UTF-8 maximum. */
export function textArray(values: readonly (string | null | undefined)[]): Buffer {
  let size = 20;
  let hasNull = false;
  for (const v of values) {
    if (v == null) hasNull = true;
    size += 4 + (v == null ? 0 : v.length * 3);
  }
  const buf = Buffer.allocUnsafe(size);
  let o = header(buf, values.length, hasNull, TEXT);
  for (const v of values) {
    if (v == null) {
      o = int32(buf, o, -1);
      continue;
    }
    const len = utf8(buf, o + 4, v);
    o = int32(buf, o, len) + len;
  }
  return buf.subarray(0, o);
}

/** Integers as bigint[] (8 bytes each) or integer[] (4 bytes) in binary. */
function intArray(values: readonly number[], bytes: 4 | 8): Buffer {
  const buf = Buffer.allocUnsafe(20 + values.length * (4 + bytes));
  let o = header(buf, values.length, false, bytes === 8 ? INT8 : INT4);
  for (const v of values) {
    buf.writeInt32BE(bytes, o);
    // A safe integer in two 32-bit halves (no BigInt): the high half carries the sign.
    if (bytes === 8) buf.writeInt32BE(Math.floor(v / 2 ** 32), o + 4);
    buf.writeUInt32BE(bytes === 8 ? ((v % 2 ** 32) + 2 ** 32) % 2 ** 32 : v >>> 0, o + bytes);
    o += 4 + bytes;
  }
  return buf.subarray(0, o);
}

/** A bigint[] parameter (`$n::bigint[]`) of safe integers. */
export const int8Array = (values: readonly number[]): Buffer => intArray(values, 8);

/** An integer[] parameter (`$n::int[]`). */
export const int4Array = (values: readonly number[]): Buffer => intArray(values, 4);
