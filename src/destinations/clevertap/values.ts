// Value coercion: what CleverTap accepts as a property value. Scalars pass (strings cut to 512 bytes), nested
// values are stringified, nulls and non-finite numbers are dropped, Charged Items become flat objects and
// subscription groups stay objects. Every fix pushes a warning naming the field; input values are never mutated.
import type { Warning } from '../../core/job.js';
import { CHARGED_ITEMS_KEY, CLEVERTAP_DATE, CLEVERTAP_DATE_PREFIX, MAX_KEY_BYTES, MAX_VALUE_BYTES } from '../../clevertap/limits.js';
import { keyFacts, KeyWriter } from './keys.js';
import { flatJson, plainJsonString } from './flat-json.js';
import { truncateUtf8, utf8Bytes } from './text.js';

/** Returned instead of a value that is not sent. */
export const DROP = Symbol('drop');

export function warn(warnings: Warning[], code: string, field: string, message: string): void {
  warnings.push({ code, field, message });
}

function bigintAsString(_k: string, x: unknown): unknown {
  return typeof x === 'bigint' ? x.toString() : x;
}

/**
 * JSON text of a value, bigints as strings; undefined when it cannot be serialised (a cycle). Tried without a
 * replacer first: a replacer takes V8 off its fast serialiser, and only a bigint (which then throws) needs one.
 */
function stringify(v: unknown): string | undefined {
  if (typeof v === 'object' && v !== null) {
    const s = flatJson(v);
    if (s !== undefined) return s;
  }
  try {
    return JSON.stringify(v);
  } catch {
    try {
      return JSON.stringify(v, bigintAsString);
    } catch {
      return undefined;
    }
  }
}

/** A value for a message: JSON, at most 60 characters (clipped with "...", never inside a surrogate pair). */
export function show(v: unknown): string {
  if (typeof v === 'string' && v.length <= 58 && plainJsonString(v)) return `"${v}"`;
  const s = typeof v === 'string' ? JSON.stringify(v.length > 60 ? v.slice(0, 61) : v) : String(stringify(v));
  if (s.length <= 60) return s;
  const c = s.charCodeAt(56);
  return s.slice(0, c >= 0xd800 && c <= 0xdbff ? 56 : 57) + '...';
}

/** A string value within CleverTap's length limit (cut, with a warning). */
function limited(key: string, v: string, warnings: Warning[]): string {
  if (v.length * 3 > MAX_VALUE_BYTES && utf8Bytes(v) > MAX_VALUE_BYTES) {
    warn(warnings, 'value_truncated', key, `value cut to ${MAX_VALUE_BYTES} bytes`);
    return truncateUtf8(v, MAX_VALUE_BYTES);
  }
  return v;
}

/**
 * True for a value that scalar(), items() and subscription() return unchanged and without a warning, whatever the
 * key: short strings (3 bytes a character stay within 512) not starting with "$" (a "$D_" value must be a date),
 * booleans and finite numbers. Checked first on the hot paths, which then skip the call.
 */
export function keptAsIs(v: unknown): boolean {
  return typeof v === 'string' ? v.length <= 170 && v.charCodeAt(0) !== 36 : typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

const STRINGIFIED_ARRAY = 'array sent as a JSON string (CleverTap takes scalars only)';
const STRINGIFIED_OBJECT = 'object sent as a JSON string (CleverTap takes scalars only)';

/** A scalar CleverTap accepts, or DROP. Nested values are stringified (with a warning). */
export function scalar(key: string, v: unknown, warnings: Warning[]): unknown {
  switch (typeof v) {
    case 'string':
      if (v.charCodeAt(0) === 36 && v.startsWith(CLEVERTAP_DATE_PREFIX) && !CLEVERTAP_DATE.test(v)) {
        // CleverTap rejects a "$D_" value that is not a date (512); without the prefix it is a plain string.
        warn(warnings, 'value_normalised', key, `${show(v)} is not a CleverTap date ($D_<epoch seconds>): sent without the "$D_" prefix`);
        return scalar(key, v.slice(CLEVERTAP_DATE_PREFIX.length), warnings);
      }
      return limited(key, v, warnings);
    case 'number':
      if (Number.isFinite(v)) return v;
      warn(warnings, 'value_dropped', key, `${v} is not a number CleverTap accepts`);
      return DROP;
    case 'boolean':
      return v;
    case 'bigint':
      warn(warnings, 'value_stringified', key, 'bigint sent as a string');
      return v.toString();
    case 'object': {
      if (v === null) return DROP;
      const s = stringify(v);
      if (s === undefined) {
        warn(warnings, 'value_dropped', key, 'value cannot be serialised');
        return DROP;
      }
      warn(warnings, 'value_stringified', key, Array.isArray(v) ? STRINGIFIED_ARRAY : STRINGIFIED_OBJECT);
      // JSON text never starts with "$" (a string is quoted): only the length rule of a string applies.
      return limited(key, s, warnings);
    }
    default:
      if (v !== undefined) warn(warnings, 'value_dropped', key, `${typeof v} values are not sent`);
      return DROP;
  }
}

export function keyWarning(warnings: Warning[], field: string, key: string): void {
  if (!key) warn(warnings, 'key_dropped', field, 'key has no valid characters left');
  else warn(warnings, 'key_cleaned', field, `key sent as "${key}" (prohibited characters or over ${MAX_KEY_BYTES} bytes)`);
}

/**
 * True when an item would be copied key for key as it is (every key clean, every value keptAsIs, a plain object):
 * then a spread copies it, V8 cloning the layout at once, where the loop below adds the keys one by one.
 */
function keptWholeItem(it: object): boolean {
  const proto = Object.getPrototypeOf(it);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const k in it) {
    if (k === '__proto__' || !keyFacts(k).isClean || !keptAsIs((it as Record<string, unknown>)[k])) return false;
  }
  return Object.getOwnPropertySymbols(it).length === 0;
}

/**
 * Charged Items: an array of flat objects, rebuilt (input is never mutated). One object is wrapped into a
 * one-item list; item keys follow the key rules (cleaned, ≤ 120 bytes, no collisions), nested values are
 * stringified. A scalar cannot be a list of products: it is returned as is and the record is rejected.
 */
export function items(v: unknown, warnings: Warning[]): unknown {
  if (v === null || v === undefined) return DROP;
  let list: unknown[];
  if (Array.isArray(v)) list = v;
  else if (typeof v === 'object') {
    warn(warnings, 'value_normalised', CHARGED_ITEMS_KEY, 'Items is one object: sent as a one-item list');
    list = [v];
  } else return v;
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < list.length; i++) {
    const it = list[i];
    if (it === null || typeof it !== 'object' || Array.isArray(it)) {
      warn(warnings, 'item_dropped', `${CHARGED_ITEMS_KEY}[${i}]`, 'Charged Items must be objects');
      continue;
    }
    if (keptWholeItem(it)) {
      out.push({ ...it } as Record<string, unknown>);
      continue;
    }
    const o: Record<string, unknown> = {};
    const prefix = `${CHARGED_ITEMS_KEY}[${i}].`;
    const w = new KeyWriter(o, warnings, prefix);
    for (const k in it) {
      const key = keyFacts(k).clean;
      if (key !== k) keyWarning(warnings, prefix + k, key);
      if (!key || key === '__proto__') continue;
      const v = (it as Record<string, unknown>)[k];
      const x = keptAsIs(v) ? v : scalar(prefix + k, v, warnings);
      if (x !== DROP) w.put(key, k, x);
    }
    out.push(o);
  }
  return out.length ? out : DROP;
}

/** Subscription objects: {channel: [group, ...]} kept as objects; anything else is stringified. */
export function subscription(key: string, v: unknown, warnings: Warning[]): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return scalar(key, v, warnings);
  const o: Record<string, string[]> = {};
  for (const [ch, groups] of Object.entries(v)) {
    if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) return scalar(key, v, warnings);
    o[ch] = groups.map((g: string) => truncateUtf8(g, MAX_VALUE_BYTES));
  }
  return o;
}
