// JSON.stringify of a flat object or list of scalars (an address, tags), by concatenation: for a few short values
// the native serialiser's fixed cost is most of the work. The text is byte-identical to JSON.stringify's; anything
// this cannot write so (nesting, a string needing escapes, a toJSON, a class instance) is left to JSON.stringify.

/** What JSON.stringify escapes: '"', '\', control characters; and surrogates (a lone one is escaped, ECMA-262 QuoteJSONString). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** True when JSON.stringify writes the string between quotes as it is (no escapes). One regular-expression test: faster than a loop over the characters. */
export function plainJsonString(s: string): boolean {
  return !NEEDS_ESCAPE.test(s);
}

/**
 * Appends a scalar as JSON.stringify writes it in an object or list to `s`; undefined for anything else (a string
 * needing escapes, nesting). Piece by piece: one concatenation per piece, no intermediate strings.
 */
function appendScalar(s: string, x: unknown): string | undefined {
  switch (typeof x) {
    case 'string':
      if (NEEDS_ESCAPE.test(x)) return undefined;
      s += '"';
      s += x;
      return s + '"';
    case 'number':
      return s + (Number.isFinite(x) ? String(x) : 'null');
    case 'boolean':
      return s + (x ? 'true' : 'false');
    case 'object':
      return x === null ? s + 'null' : undefined;
    default:
      return undefined;
  }
}

/**
 * Remembering what was written costs (a comparison, a copy); where values rarely repeat (a street, a tag unique per
 * message) that is all cost. So texts are remembered only while it pays: a window of WINDOW lookups answering
 * fewer than one in eight pauses remembering (and looking up) for the next PAUSE writes.
 */
const WINDOW = 64;
const PAUSE = 1024;

class Payoff {
  private lookups = 0;
  private hits = 0;
  private paused = 0;

  /** False while paused (counts one write); else counts a lookup. */
  lookup(): boolean {
    if (this.paused > 0) {
      this.paused--;
      return false;
    }
    if (++this.lookups === WINDOW) {
      if (this.hits * 8 < WINDOW) this.paused = PAUSE;
      this.lookups = this.hits = 0;
    }
    return true;
  }

  hit(): void {
    this.hits++;
  }
}

/**
 * An object's keys (for-in order) and the JSON text before each value ('{"street":', ',"city":', …); and the last
 * values written with this shape and their text: nested values often repeat from message to message (a campaign, an
 * address), and comparing the values costs less than writing them.
 */
interface ObjectShape {
  readonly keys: readonly string[];
  readonly prefixes: readonly string[];
  readonly last: unknown[];
  text: string | undefined;
  readonly payoff: Payoff;
}

/**
 * Shapes of nested objects, by first key: the same few (an address, a campaign) recur in every message, so one map
 * lookup per object replaces one per key. Bounded as memo.ts is: all forgotten at once when full; objects with more
 * keys than MAX_KEYS are left to JSON.stringify.
 */
const SHAPES = new Map<string, ObjectShape>();
const MAX_SHAPES = 1000;
const MAX_KEYS = 64;

function learn(v: object): ObjectShape | undefined {
  const keys: string[] = [];
  const prefixes: string[] = [];
  for (const k in v) {
    if (keys.length === MAX_KEYS || NEEDS_ESCAPE.test(k)) return undefined;
    prefixes.push(`${keys.length === 0 ? '{' : ','}"${k}":`);
    keys.push(k);
  }
  if (keys.length === 0) return undefined;
  if (SHAPES.size >= MAX_SHAPES) SHAPES.clear();
  const shape: ObjectShape = { keys, prefixes, last: new Array<unknown>(keys.length).fill(undefined), text: undefined, payoff: new Payoff() };
  SHAPES.set(keys[0], shape);
  return shape;
}

/** Another shape with this first key: this one replaces it (once; a shape with a key needing escapes is not kept). */
function relearn(v: Record<string, unknown>, learnt: boolean): string | undefined {
  return learnt || learn(v) === undefined ? undefined : flatObject(v, true);
}

function flatObject(v: Record<string, unknown>, learnt: boolean): string | undefined {
  let shape: ObjectShape | undefined;
  let remember = false;
  let same = false;
  let i = 0;
  for (const k in v) {
    if (i === 0 && (shape = SHAPES.get(k)) !== undefined) same = remember = shape.payoff.lookup();
    if (shape === undefined || i >= shape.keys.length || shape.keys[i] !== k) return relearn(v, learnt);
    // (Equal scalars have equal JSON text; 0 and -0 are both written 0.)
    if (same && v[k] !== shape.last[i]) same = false;
    i++;
  }
  if (shape === undefined) return '{}';
  if (i !== shape.keys.length) return relearn(v, learnt);
  if (same && shape.text !== undefined) {
    shape.payoff.hit();
    return shape.text;
  }
  shape.text = undefined;
  let s = '';
  i = 0;
  for (const k in v) {
    const x = v[k];
    const next = appendScalar(s + shape.prefixes[i], x);
    if (next === undefined) return undefined;
    s = next;
    if (remember) shape.last[i] = x;
    i++;
  }
  s += '}';
  if (remember) shape.text = s;
  return s;
}

/** A list written before and its text. */
interface ListText {
  readonly items: readonly unknown[];
  readonly text: string;
}

/**
 * Lists written lately, by first item (a string): tags and interests repeat from message to message. At most
 * LISTS_PER_FIRST_ITEM per first item, of at most MAX_KEYS items; bounded as SHAPES.
 */
const LISTS = new Map<string, ListText[]>();
const LISTS_PER_FIRST_ITEM = 4;

const listPayoff = new Payoff();

function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function writeList(v: unknown[]): string | undefined {
  let s: string | undefined = '[';
  for (let i = 0; i < v.length && s !== undefined; i++) s = appendScalar(i === 0 ? s : s + ',', v[i]);
  return s === undefined ? undefined : s + ']';
}

function flatList(v: unknown[]): string | undefined {
  const first = v[0];
  if (typeof first !== 'string' || v.length > MAX_KEYS || !listPayoff.lookup()) return writeList(v);
  const known = LISTS.get(first);
  if (known !== undefined) {
    for (let i = 0; i < known.length; i++) {
      if (sameItems(known[i].items, v)) {
        listPayoff.hit();
        return known[i].text;
      }
    }
  }
  const s = writeList(v);
  if (s !== undefined) {
    let list = known;
    if (list === undefined) {
      if (LISTS.size >= MAX_SHAPES) LISTS.clear();
      LISTS.set(first, (list = []));
    }
    if (list.length >= LISTS_PER_FIRST_ITEM) list.shift();
    // A copy: the message's list may change after this (a caller's own object).
    list.push({ items: v.slice(), text: s });
  }
  return s;
}

/**
 * JSON.stringify(v) of a plain object or list of scalars, else undefined. For-in visits inherited keys,
 * JSON.stringify does not: only a plain object qualifies.
 */
export function flatJson(v: object): string | undefined {
  const proto = Object.getPrototypeOf(v);
  if (Array.isArray(v)) {
    if (proto !== Array.prototype || (v as { toJSON?: unknown }).toJSON !== undefined) return undefined;
    return flatList(v);
  }
  if (proto !== Object.prototype && proto !== null) return undefined;
  return flatObject(v as Record<string, unknown>, false);
}
