// A batch body (`{"batch": [{…}, …], "sentAt": …, "writeKey": …}`) read without building the bulk of it. JSON.parse of
// a 100-event body built every nested context, properties and traits object only for ingest to check that each is
// an object and then store the message's own text: on the ingest thread that parse (with the scan for the items'
// texts) was the largest share of the CPU per event.
// This scan checks the whole text is JSON (the grammar of https://www.rfc-editor.org/rfc/rfc8259 that JSON.parse
// accepts) and gives each item as an object whose members are the values JSON.parse would give, except that an
// object under `context`, `properties` or `traits` is an Elided holding its text: ingest never reads inside those
// (the message schema only requires them to be objects), and the stored form is the item's text as written.
// Anything unusual (other JSON types at the top, a top-level context or integrations to merge into the items, an
// escaped or `__proto__` key, an item that is not an object, a number that may be a long id, nesting deeper than
// MAX_DEPTH) is left to JSON.parse (through ids.ts's parseBody): the scan answers null.

/** An object value left as its JSON text. JSON.stringify writes it as the value it stands for. */
export class Elided {
  constructor(readonly json: string) {}
  toJSON(): unknown {
    return JSON.parse(this.json);
  }
}

/** The members of an item whose object values are elided. */
const ELIDED_KEYS = new Set(['context', 'properties', 'traits']);

export interface ScannedBatch {
  /** The body as JSON.parse would give it, but for the elided objects inside its items. */
  body: { batch: Record<string, unknown>[] } & Record<string, unknown>;
  /** Each item's exact text (from `{` to `}`). */
  texts: string[];
  /** The scanned text, and where each item's text starts in it. */
  text: string;
  starts: number[];
}

/** Set for a text without a backslash or a control character anywhere (the usual, compact body): its strings then
 *  end at the next quote, found natively, instead of by a look at every character, which on the ingest thread cost
 *  more than all the rest of the scan. */
let plain = false;
const ESCAPE_OR_CONTROL = /[\\\u0000-\u001f]/;

/** Index after the string whose opening quote is at i, or -1 when it is not a valid JSON string. */
function skipString(s: string, i: number): number {
  if (plain) {
    const j = s.indexOf('"', i + 1);
    return j < 0 ? -1 : j + 1;
  }
  const n = s.length;
  for (let j = i + 1; j < n; j++) {
    const c = s.charCodeAt(j);
    // Most characters of a string are lower-case letters, past every character this has to look for.
    if (c > 92) continue;
    if (c === 34) return j + 1;
    if (c < 32) return -1;
    if (c === 92) {
      const e = s.charCodeAt(++j);
      if (e === 117) {
        for (let k = 1; k <= 4; k++) if (!isHex(s.charCodeAt(j + k))) return -1;
        j += 4;
      } else if (e !== 34 && e !== 92 && e !== 47 && e !== 98 && e !== 102 && e !== 110 && e !== 114 && e !== 116) return -1;
    }
  }
  return -1;
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** An integer part this long may be a long numeric id, which ids.ts quotes before JSON.parse reads the body. */
const LONG_INTEGER = 16;

/** Index after the number starting at i, or -1 (`-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`); -1 also
 *  for an integer part of LONG_INTEGER digits or more, so that such a body goes the way of ids.ts. */
function skipNumber(s: string, i: number): number {
  let j = i;
  if (s.charCodeAt(j) === 45) j++;
  const c = s.charCodeAt(j);
  if (c === 48) j++;
  else if (c >= 49 && c <= 57) {
    const start = j;
    while (isDigit(s.charCodeAt(++j)));
    if (j - start >= LONG_INTEGER) return -1;
  } else return -1;
  if (s.charCodeAt(j) === 46) {
    if (!isDigit(s.charCodeAt(++j))) return -1;
    while (isDigit(s.charCodeAt(++j)));
  }
  const e = s.charCodeAt(j);
  if (e === 101 || e === 69) {
    let k = j + 1;
    const sign = s.charCodeAt(k);
    if (sign === 43 || sign === 45) k++;
    if (!isDigit(s.charCodeAt(k))) return -1;
    while (isDigit(s.charCodeAt(++k)));
    j = k;
  }
  return j;
}

/** Index of the first non-whitespace character at or after i (JSON whitespace: space, tab, LF, CR). */
function ws(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else return i;
  }
}

function skipWord(s: string, i: number, word: string): number {
  return s.startsWith(word, i) ? i + word.length : -1;
}

/** Deeper values are left to JSON.parse (and to ingest's serialising path, which refuses absurd nesting). */
const MAX_DEPTH = 64;
/** Nesting of the value being skipped: 1 for an object, 2 for an array, per level (shared: the scan is synchronous). */
const stack = new Uint8Array(MAX_DEPTH);

/** Index after the JSON value starting at i (no leading whitespace), or -1 when it is not valid JSON. */
function skipValue(s: string, i: number): number {
  let depth = 0;
  for (;;) {
    // A value at i.
    const c = s.charCodeAt(i);
    if (c === 34) i = skipString(s, i);
    else if (c === 123 || c === 91) {
      i = ws(s, i + 1);
      const close = c === 123 ? 125 : 93;
      if (s.charCodeAt(i) === close) i++;
      else {
        if (depth === MAX_DEPTH) return -1;
        stack[depth++] = c === 123 ? 1 : 2;
        if (c === 123) {
          i = memberValueStart(s, i);
          if (i < 0) return -1;
        }
        continue;
      }
    } else if (c === 45 || isDigit(c)) i = skipNumber(s, i);
    else if (c === 116) i = skipWord(s, i, 'true');
    else if (c === 102) i = skipWord(s, i, 'false');
    else if (c === 110) i = skipWord(s, i, 'null');
    else return -1;
    if (i < 0) return -1;
    // After a value: close containers until one goes on with a comma.
    for (;;) {
      if (depth === 0) return i;
      i = ws(s, i);
      const d = s.charCodeAt(i);
      const inObject = stack[depth - 1] === 1;
      if (d === 44) {
        i = ws(s, i + 1);
        if (inObject) {
          i = memberValueStart(s, i);
          if (i < 0) return -1;
        }
        break;
      }
      if (d !== (inObject ? 125 : 93)) return -1;
      depth--;
      i++;
    }
  }
}

/** At a member's key (i at its quote): the index of its value, or -1. */
function memberValueStart(s: string, i: number): number {
  if (s.charCodeAt(i) !== 34) return -1;
  i = ws(s, skipString(s, i));
  if (i < 0 || s.charCodeAt(i) !== 58) return -1;
  return ws(s, i + 1);
}

/** Where keyAt found the member's value. */
let valueAt = 0;

/** The key of the member at i (its opening quote), its value's index in valueAt; null for a key JSON.parse would
 *  not read as written (escapes) or that an assignment would not define as JSON.parse does (`__proto__`). */
function keyAt(s: string, i: number): string | null {
  if (s.charCodeAt(i) !== 34) return null;
  const end = skipString(s, i);
  if (end < 0) return null;
  const key = s.slice(i + 1, end - 1);
  if ((!plain && key.includes('\\')) || key === '__proto__') return null;
  const colon = ws(s, end);
  if (s.charCodeAt(colon) !== 58) return null;
  valueAt = ws(s, colon + 1);
  return key;
}

/** The value JSON.parse gives for the valid JSON value s[i, end). */
function valueOf(s: string, i: number, end: number): unknown {
  const c = s.charCodeAt(i);
  if (c === 34) {
    const raw = s.slice(i + 1, end - 1);
    return !plain && raw.includes('\\') ? JSON.parse(s.slice(i, end)) : raw;
  }
  if (c === 116) return true;
  if (c === 102) return false;
  if (c === 110) return null;
  if (c === 45 || isDigit(c)) return Number(s.slice(i, end));
  return JSON.parse(s.slice(i, end));
}

/** One item (an object at i): the object and the index after it, or null. */
function scanItem(s: string, i: number): { item: Record<string, unknown>; end: number } | null {
  const item: Record<string, unknown> = {};
  i = ws(s, i + 1);
  if (s.charCodeAt(i) === 125) return { item, end: i + 1 };
  for (;;) {
    const key = keyAt(s, i);
    if (key === null) return null;
    const at = valueAt;
    const end = skipValue(s, at);
    if (end < 0) return null;
    item[key] = s.charCodeAt(at) === 123 && ELIDED_KEYS.has(key) ? new Elided(s.slice(at, end)) : valueOf(s, at, end);
    i = ws(s, end);
    const c = s.charCodeAt(i);
    if (c === 125) return { item, end: i + 1 };
    if (c !== 44) return null;
    i = ws(s, i + 1);
  }
}

/** The batch array at i (its `[`): its items and their texts, and the index after it; null when not all are objects. */
function scanItems(s: string, i: number): { items: Record<string, unknown>[]; texts: string[]; starts: number[]; end: number } | null {
  const items: Record<string, unknown>[] = [];
  const texts: string[] = [];
  const starts: number[] = [];
  i = ws(s, i + 1);
  if (s.charCodeAt(i) === 93) return { items, texts, starts, end: i + 1 };
  for (;;) {
    if (s.charCodeAt(i) !== 123) return null;
    const r = scanItem(s, i);
    if (!r) return null;
    items.push(r.item);
    texts.push(s.slice(i, r.end));
    starts.push(i);
    i = ws(s, r.end);
    const c = s.charCodeAt(i);
    if (c === 93) return { items, texts, starts, end: i + 1 };
    if (c !== 44) return null;
    i = ws(s, i + 1);
  }
}

/** The batch body read as described above, or null when JSON.parse is to read it (see the top of this file). */
export function scanBatch(s: string): ScannedBatch | null {
  plain = !ESCAPE_OR_CONTROL.test(s);
  let i = ws(s, 0);
  if (s.charCodeAt(i) !== 123) return null;
  const body: Record<string, unknown> = {};
  let scanned: { items: Record<string, unknown>[]; texts: string[]; starts: number[] } | null = null;
  i = ws(s, i + 1);
  if (s.charCodeAt(i) !== 125) {
    for (;;) {
      const key = keyAt(s, i);
      // The batch's own context and integrations are merged into every item (routes.ts): those need whole items.
      if (key === null || key === 'context' || key === 'integrations') return null;
      const at = valueAt;
      let end: number;
      if (key === 'batch') {
        // A repeated `batch` key: JSON.parse keeps the last; rare enough to leave to it.
        if (scanned || s.charCodeAt(at) !== 91) return null;
        const r = scanItems(s, at);
        if (!r) return null;
        scanned = r;
        body.batch = r.items;
        end = r.end;
      } else {
        end = skipValue(s, at);
        if (end < 0) return null;
        body[key] = valueOf(s, at, end);
      }
      i = ws(s, end);
      const c = s.charCodeAt(i);
      if (c === 125) break;
      if (c !== 44) return null;
      i = ws(s, i + 1);
    }
  }
  if (!scanned || ws(s, i + 1) !== s.length) return null;
  return { body: body as ScannedBatch['body'], texts: scanned.texts, text: s, starts: scanned.starts };
}

/** The item with every elided value parsed: what JSON.parse would have given (plus what was set on it since). */
export function materialise(m: Record<string, unknown>): Record<string, unknown> {
  for (const k of ELIDED_KEYS) {
    const v = m[k];
    if (v instanceof Elided) m[k] = JSON.parse(v.json);
  }
  return m;
}

/** Whether an item still holds an elided value. */
export function hasElided(m: Record<string, unknown>): boolean {
  return m.context instanceof Elided || m.properties instanceof Elided || m.traits instanceof Elided;
}

/**
 * JSON.stringify(m) for an item holding elided values, with each of them written as its own text: the same JSON
 * value (only the whitespace inside it may differ), without the parse and second serialisation that its toJSON
 * costs. For an item ingest changed (a write key removed, numeric ids made strings): Segment's browser SDK puts
 * the write key in every event, so its batches all come this way.
 */
export function stringifyItem(m: Record<string, unknown>): string {
  let s = '';
  for (const k in m) {
    const v = m[k];
    const t = v instanceof Elided ? v.json : JSON.stringify(v);
    if (t === undefined) continue; // (undefined and functions are left out, as JSON.stringify does)
    s += `${s === '' ? '{' : ','}${JSON.stringify(k)}:${t}`;
  }
  return s === '' ? '{}' : s + '}';
}
