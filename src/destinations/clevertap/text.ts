// Text as CleverTap takes it: keys and event names without prohibited characters, lengths in UTF-8 bytes, cut
// on character boundaries; restricted (system) event names recognised. Pure functions; no warnings here.
import { SYSTEM_EVENTS } from '../../clevertap/catalogue.js';
import { MAX_EVENT_NAME_BYTES, MAX_KEY_BYTES, PROHIBITED_CHARS, RESTRICTED_EVENT_NAMES } from '../../clevertap/limits.js';
import { EVENT_NAME_TEMPLATES } from './modes.js';
import { memoize } from './memo.js';

// 1 = stripped from keys and event names (prohibited or control character). None of them occurs in CleverTap's
// own keys (MSG-email, Customer Type, Charged ID). String VALUES keep their characters: only their length is limited.
const STRIP = new Uint8Array(128);
for (let c = 0; c < 32; c++) STRIP[c] = 1;
STRIP[127] = 1;
for (const ch of PROHIBITED_CHARS) STRIP[ch.charCodeAt(0)] = 1;

function needsStrip(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 128 && STRIP[c] === 1) return true;
  }
  return false;
}

function strip(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || STRIP[c] !== 1) out += s[i];
  }
  // Removing a character can leave doubled or edge spaces ("Tom's & Home" → "Toms  Home").
  return out.replace(/\s+/g, ' ').trim();
}

/** UTF-8 byte length. */
export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/** Cuts a string to at most maxBytes of UTF-8, never inside a character (a surrogate pair is kept whole). */
export function truncateUtf8(s: string, maxBytes: number): string {
  if (s.length * 3 <= maxBytes || utf8Bytes(s) <= maxBytes) return s;
  let bytes = 0;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    let n = 3;
    let w = 1;
    if (c < 0x80) n = 1;
    else if (c < 0x800) n = 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) (n = 4), (w = 2);
    }
    if (bytes + n > maxBytes) break;
    bytes += n;
    i += w;
  }
  return s.slice(0, i);
}

/** True when a key needs no change (the common case: checked without allocating). */
export function isCleanKey(k: string): boolean {
  if (k.length === 0) return false;
  if (k.length > 40 && utf8Bytes(k) > MAX_KEY_BYTES) return false;
  const a = k.charCodeAt(0);
  const z = k.charCodeAt(k.length - 1);
  if (a === 32 || z === 32) return false;
  return !needsStrip(k);
}

/** The key CleverTap may receive ('' when nothing is left). */
export function cleanKey(k: string): string {
  if (isCleanKey(k)) return k;
  return truncateUtf8(needsStrip(k) ? strip(k) : k.trim(), MAX_KEY_BYTES).trimEnd();
}

/** The event name CleverTap may receive ('' when nothing is left). A mode's template prefix keeps its ':'. */
export function cleanEventName(name: string): string {
  for (const t of EVENT_NAME_TEMPLATES) {
    if (name.startsWith(t)) {
      const rest = cleanEventName(name.slice(t.length));
      return rest ? truncateUtf8(t + rest, MAX_EVENT_NAME_BYTES) : t.slice(0, -2);
    }
  }
  const s = needsStrip(name) ? strip(name) : name.trim();
  return truncateUtf8(s, MAX_EVENT_NAME_BYTES).trimEnd();
}

// CleverTap's own list, plus every system event (and spelling variant) of the source catalogue: the events
// CleverTap exports are never raised back as custom events (this also closes export loops).
const ALL_RESTRICTED = [...RESTRICTED_EVENT_NAMES, ...SYSTEM_EVENTS.flatMap((e) => [e.name, ...e.variants])];
const RESTRICTED = new Set(ALL_RESTRICTED.map((n) => n.toLowerCase()));
const RESTRICTED_LENGTHS = new Set(ALL_RESTRICTED.map((n) => n.trim().length));

export function isRestrictedEventName(name: string): boolean {
  const n = name.trim();
  return RESTRICTED_LENGTHS.has(n.length) && RESTRICTED.has(n.toLowerCase());
}

/** An event name as CleverTap may receive it ('' when nothing is left), and whether that is a system event. */
export interface EventNameFacts {
  readonly name: string;
  readonly restricted: boolean;
}

/** cleanEventName and isRestrictedEventName of a name, remembered per name (memo.ts). */
export const eventNameFacts = memoize((raw: string): EventNameFacts => {
  const name = cleanEventName(raw);
  return { name, restricted: isRestrictedEventName(name) };
});
