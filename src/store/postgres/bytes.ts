// Byte writers shared by the binary encoders (copy.ts, arrays.ts): plain stores into the buffer, cheaper than
// Buffer's checked writeInt32BE and than a call into Buffer.write for a short ASCII text.

/** Texts up to this length are copied byte by byte while they are ASCII. */
const SHORT_TEXT = 64;

/** A 32-bit integer, big-endian (the low 32 bits of v, whatever its sign); returns the offset after it. */
export function int32(buf: Buffer, o: number, v: number): number {
  buf[o] = v >>> 24;
  buf[o + 1] = v >>> 16;
  buf[o + 2] = v >>> 8;
  buf[o + 3] = v;
  return o + 4;
}

/** Writes v as UTF-8 at o (room for 3 bytes per UTF-16 unit there); returns its byte length. */
export function utf8(buf: Buffer, o: number, v: string): number {
  const len = v.length;
  if (len <= SHORT_TEXT) {
    let i = 0;
    for (; i < len; i++) {
      const ch = v.charCodeAt(i);
      if (ch > 0x7f) break;
      buf[o + i] = ch;
    }
    if (i === len) return len;
  }
  return buf.write(v, o);
}
