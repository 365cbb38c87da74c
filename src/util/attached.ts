// Data that belongs to one request, kept on the request's own objects (a symbol-keyed, non-enumerable property)
// rather than in a module-level WeakMap keyed by them.
// Why: V8's young-generation collection kept such a WeakMap's values alive, with whatever they refer to, as
// long as the map's table sat in the old generation (as a long-lived map's does). Measured at 10K events/s: with
// the parsed batch body and its payload spans in WeakMaps, about half of what was allocated between two young
// collections survived the second, so every request's body and parse reached the old generation and a full
// collection ran about once a second; without them, almost nothing survived and no full collection ran
// (test/util/attached.test.ts).

/** Sets `value` on `o` under `key`, hidden from JSON, spreads, Object.keys and for-in. */
export function attach<T>(o: object, key: symbol, value: T): void {
  Object.defineProperty(o, key, { value, configurable: true, writable: true, enumerable: false });
}

/** What attach() set on `o` under `key`, if anything. */
export function attached<T>(o: object, key: symbol): T | undefined {
  return (o as Record<symbol, T | undefined>)[key];
}
