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

/** An object's keys (for-in order) and the JSON text before each value: '{"street":', ',"city":', … */
interface ObjectShape {
  readonly keys: readonly string[];
  readonly prefixes: readonly string[];
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
  const shape = { keys, prefixes };
  SHAPES.set(keys[0], shape);
  return shape;
}

function flatObject(v: Record<string, unknown>, learnt: boolean): string | undefined {
  let shape: ObjectShape | undefined;
  let s = '';
  let i = 0;
  for (const k in v) {
    if (i === 0) shape = SHAPES.get(k);
    // Another shape with this first key: this one replaces it (once; a shape with a key needing escapes is not kept).
    if (shape === undefined || i >= shape.keys.length || shape.keys[i] !== k) return learnt || learn(v) === undefined ? undefined : flatObject(v, true);
    const next = appendScalar(s + shape.prefixes[i], v[k]);
    if (next === undefined) return undefined;
    s = next;
    i++;
  }
  if (shape === undefined) return '{}';
  return i === shape.keys.length ? s + '}' : learnt || learn(v) === undefined ? undefined : flatObject(v, true);
}

/**
 * JSON.stringify(v) of a plain object or list of scalars, else undefined. For-in visits inherited keys,
 * JSON.stringify does not: only a plain object qualifies.
 */
export function flatJson(v: object): string | undefined {
  const proto = Object.getPrototypeOf(v);
  if (Array.isArray(v)) {
    if (proto !== Array.prototype || (v as { toJSON?: unknown }).toJSON !== undefined) return undefined;
    let s: string | undefined = '[';
    for (let i = 0; i < v.length && s !== undefined; i++) s = appendScalar(i === 0 ? s : s + ',', v[i]);
    return s === undefined ? undefined : s + ']';
  }
  if (proto !== Object.prototype && proto !== null) return undefined;
  return flatObject(v as Record<string, unknown>, false);
}
