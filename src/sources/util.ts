// Small helpers shared by the source converters (mParticle feed, CleverTap webhooks).
//
// Decisions:
// - Untrusted keys: a JSON body may carry an own key named `__proto__` (JSON.parse creates it as a data
//   property). Copied by assignment (`out[k] = v`) it would replace the output's prototype instead of becoming a
//   key, and other lookups would then see the attacker's object. Converters therefore SKIP `__proto__` keys of the
//   attribute maps they copy (with an error note where the protocol has an error channel). Other built-in names
//   (`constructor`, `toString`, `hasOwnProperty`, `prototype` ...) are ordinary keys once every lookup is a `Map`
//   or `Object.hasOwn`; they are kept as data.
// - canonicalJson recurses (like JSON.stringify); pathologically deep input makes it throw RangeError. Callers
//   convert each batch / profile inside a try/catch and report it (see conversionFailure).

export function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The one key that cannot be copied by assignment. */
export const PROTO_KEY = '__proto__';

/**
 * A shallow copy of `obj`'s own enumerable entries without `__proto__` (see above). `onDropped` runs when one was
 * dropped. The result is a fresh plain object.
 */
export function copyOwn(obj: Record<string, unknown>, onDropped?: () => void): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj)) {
    if (k === PROTO_KEY) onDropped?.();
    else out[k] = obj[k];
  }
  return out;
}

/** True when `obj` has an own `__proto__` key. */
export function hasProtoKey(obj: unknown): boolean {
  return typeof obj === 'object' && obj !== null && Object.hasOwn(obj, PROTO_KEY);
}

/** JSON with sorted keys, so a hash of it does not depend on key order. Throws RangeError on absurd nesting. */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObj(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

/** A short, safe description of why converting one unit of input threw (never echoes the input). */
export function conversionFailure(err: unknown): string {
  if (err instanceof RangeError) return /call stack/i.test(err.message) ? 'nested too deeply' : 'value out of range';
  const name = err instanceof Error ? err.name : typeof err;
  return `unsupported value (${name})`;
}
