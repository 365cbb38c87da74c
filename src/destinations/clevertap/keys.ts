// Keys: the modes' key styles (snake_case, MSG-* casing), CleverTap's reserved identity keys, and KeyWriter, which
// writes converted keys without letting two source keys silently overwrite each other.
import { MSG_KEYS, RESERVED_PROFILE_KEYS } from '../../clevertap/limits.js';
import { memoize } from './memo.js';
import { cleanKey, isCleanKey } from './text.js';

function isUpper(c: number): boolean {
  return c >= 65 && c <= 90;
}
function isLowerOrDigit(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
}
function isWordChar(c: number): boolean {
  return isUpper(c) || isLowerOrDigit(c) || c >= 128;
}

function convert(k: string): string {
  let out = '';
  let pendingSep = false;
  for (let i = 0; i < k.length; i++) {
    const c = k.charCodeAt(i);
    if (!isWordChar(c)) {
      pendingSep = out.length > 0;
      continue;
    }
    if (isUpper(c) && out.length > 0) {
      const prev = k.charCodeAt(i - 1);
      const next = i + 1 < k.length ? k.charCodeAt(i + 1) : 0;
      // fooBar → foo_bar; HTTPServer → http_server (an upper followed by a lower starts a word after an acronym).
      if (isLowerOrDigit(prev) || (isUpper(prev) && next >= 97 && next <= 122)) pendingSep = true;
    }
    if (pendingSep) out += '_';
    pendingSep = false;
    out += c < 128 ? String.fromCharCode(isUpper(c) ? c + 32 : c) : k[i].toLowerCase();
  }
  return out;
}

/**
 * Segment's key style for CleverTap (custom traits and properties "in lower case and snake_case"): words split at
 * case changes and at any non-alphanumeric run, joined by "_", lower-cased. Digits stay with their word ("utm2").
 * https://segment.com/docs/connections/destinations/catalog/clevertap/
 */
export const snakeCase = memoize(convert);

const MSG = new Map(MSG_KEYS.map((k) => [k.toLowerCase(), k]));

/** CleverTap's subscription key for any casing of it ("msg-Email" → "MSG-email"), else undefined. */
export function msgKey(k: string): string | undefined {
  if (k.length < 7 || k.length > 12) return undefined;
  const c = k.charCodeAt(0);
  if (c !== 77 && c !== 109) return undefined;
  return MSG.get(k.toLowerCase());
}

const RESERVED_LOWER = new Set(RESERVED_PROFILE_KEYS.map((k) => k.toLowerCase()));
const RESERVED_LENGTHS = new Set(RESERVED_PROFILE_KEYS.map((k) => k.length));
/** The one reserved key a profile record may carry: the mapping's link (anonymous → known user, alias). */
export const LINK_KEY = 'identity';

/** identity / objectId / FBID / GPID in any case: never a profile property (it would merge two users). */
export function isReservedProfileKey(k: string): boolean {
  return RESERVED_LENGTHS.has(k.length) && RESERVED_LOWER.has(k.toLowerCase());
}

/** What CleverTap's rules need to know about a property key (enforce.ts). */
export interface KeyFacts {
  /** The key needs no change (text.ts isCleanKey). */
  readonly isClean: boolean;
  /** The key CleverTap may receive: cleanKey(k), '' when nothing is left. */
  readonly clean: string;
  /** The clean key is an identity key (isReservedProfileKey). */
  readonly reserved: boolean;
}

/** KeyFacts of a key, remembered per key (memo.ts): the same keys recur in every message. */
export const keyFacts = memoize((k: string): KeyFacts => {
  const clean = cleanKey(k);
  return { isClean: isCleanKey(k), clean, reserved: isReservedProfileKey(clean) };
});

type Obj = Record<string, unknown>;
interface WarningSink {
  push(w: { code: string; field?: string; message: string }): unknown;
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Writes values under converted keys (snake_case, MSG-*, cleaned, mapped) without letting two source keys
 * silently overwrite each other. When a key is taken: the same source key again (a later source of the same
 * trait, e.g. context.traits after traits) overwrites silently; otherwise a source key that already IS the
 * target key beats a converted one, else the first one stays; `force` (a standard field where the mode's
 * keyClashWinner is 'standard') always wins. The loser is dropped with a `key_collision` warning naming both keys. Source keys are
 * remembered only when they differ from their target, so the common case costs one property check. Forced
 * writes come last (profile.ts writes the winning standard fields after everything else, each field once), so
 * the source key of a forced write into a free key is not remembered either: nothing asks for it.
 */
export class KeyWriter {
  private origin: Map<string, string> | undefined;
  constructor(
    readonly out: Obj,
    private readonly warnings: WarningSink,
    private readonly prefix = '',
  ) {}

  put(key: string, raw: string, v: unknown, force = false): void {
    const out = this.out;
    // A key written as sent where no converted key was written: free, or taken by itself (a later source).
    if (raw === key && (this.origin === undefined || !this.origin.has(key))) {
      out[key] = v;
      return;
    }
    if (out[key] === undefined || !hasOwn.call(out, key)) {
      out[key] = v;
      if (raw !== key && !force) (this.origin ??= new Map()).set(key, raw);
      return;
    }
    const prev = this.origin?.get(key) ?? key;
    if (prev === raw) {
      out[key] = v;
      return;
    }
    if (force || (raw === key && prev !== key)) {
      out[key] = v;
      if (raw === key) this.origin?.delete(key);
      else (this.origin ??= new Map()).set(key, raw);
      this.collision(key, raw, prev);
    } else this.collision(key, prev, raw);
  }

  private collision(key: string, kept: string, dropped: string): void {
    this.warnings.push({
      code: 'key_collision',
      field: this.prefix + dropped,
      message: `${JSON.stringify(dropped)} and ${JSON.stringify(kept)} are both sent as ${JSON.stringify(key)}: the value of ${JSON.stringify(kept)} is kept, ${JSON.stringify(dropped)} is dropped`,
    });
  }
}
