// CleverTap's rules, enforced on every record after mapping, in every mode (clevertap-api.md §1.7, §2; seed 003).
// The one place that decides what CleverTap may receive. Pure functions; `enforceRecord` fixes a freshly built
// record in place (it never mutates nested input values: Items and subscription objects are rebuilt).
//
// Policy:
// - A value that can be fixed is fixed, with a warning naming the field (truncate, strip characters, stringify,
//   convert to CleverTap's form: male → M, true → Y, ISO date → $D_, phone punctuation removed, country code added).
// - A standard profile field whose value cannot be fixed (Gender "x", Email "1234", Phone "12") rejects the message
//   with CleverTap's own code, as CleverTap would reject the record: invalid_gender 514, invalid_email 515,
//   invalid_phone 516, invalid_employed 517, invalid_education 518, invalid_married 519, invalid_age 520. DOB
//   (invalid_date) and MSG-* (invalid_flag) carry no CleverTap code: CleverTap documents none for them, and 512 is
//   its event-structure code, which would mislead. The message names the field and the value (clipped to 60
//   characters). Setting `invalidValues: 'drop'` drops the field with a warning instead, keeping the rest of the
//   profile. An empty (or blank) string is no value, like null: dropped, with a warning, in both settings.
// - A record that cannot be fixed is rejected with CleverTap's code: no identity (523), no event name (509),
//   restricted system event (513), too many event properties (522: we reject too, as CleverTap does, rather than
//   drop an arbitrary subset), evtData not an object (512).
// - Prohibited characters (SDK list plus seed 003's) and control characters are stripped from keys and event
//   names alike; none of them occurs in CleverTap's own keys (MSG-email, Customer Type, Charged ID). String VALUES
//   keep their characters: only their length is limited.
// - Keys are cut to 120 UTF-8 bytes (profile keys are documented in bytes, event keys in characters: bytes is the
//   stricter of the two). Values and event names are cut to 512 bytes, never inside a character.
// - Only DOB is converted to a $D_ date. Other ISO-8601 strings stay strings: a property cannot be known to be a
//   date by its value alone, and a wrong guess would change its type in CleverTap for good.
// - null values are dropped silently (CleverTap has no null type; a null cannot unset a property).
// - Keys that clean to the same name keep one value (KeyWriter): the key already clean wins, else the first;
//   `key_collision` names both. Profiles never carry identity/objectId/FBID/GPID (any case) except the
//   mapping's link under exactly `identity` (`reserved_key`).
// - A string value starting with "$D_" that is not $D_<int> loses the prefix (CleverTap rejects it: 512).
// - Charged Items must be a list (a scalar → invalid_products 512; one object → wrapped); each item within the
//   property limit (522). A profile with more than 256 custom keys → too_many_profile_keys (no CleverTap code).
// - ts must be integer epoch seconds in 2001–2100, else it is removed with `invalid_ts`. A blank id is no id.
import type { Warning, TransformError } from '../types.js';
import type { CleverTapRecord } from './records.js';
import { SYSTEM_EVENTS } from '../../clevertap/catalogue.js';
import { KeyWriter } from './keys.js';
import { idOf } from './identity.js';
import { plausibleTs } from './timestamps.js';

export const MAX_KEY_BYTES = 120;
export const MAX_VALUE_BYTES = 512;
export const MAX_EVENT_NAME_BYTES = 512;
export const DEFAULT_MAX_EVENT_PROPERTIES = 256;
/** CleverTap: at most 256 custom profile keys (clevertap-api.md §2); standard fields do not count. */
export const MAX_CUSTOM_PROFILE_KEYS = 256;

/**
 * CleverTap's identity keys, any case: never a profile property. `profileData.identity` ADDS an identity to the
 * profile, so a trait of that name would merge this profile with another user's. Only the mapping's own link
 * (anonymous → known user) sets `profileData.identity`; traits named like these are dropped (`reserved_key`).
 */
export const RESERVED_PROFILE_KEYS: readonly string[] = ['identity', 'objectId', 'FBID', 'GPID'];
const RESERVED_LOWER = new Set(RESERVED_PROFILE_KEYS.map((k) => k.toLowerCase()));
/** The one reserved key a profile record may carry: the mapping's link, under exactly this name. */
export const LINK_KEY = 'identity';

export function isReservedProfileKey(k: string): boolean {
  const n = k.length;
  return (n === 4 || n === 8) && RESERVED_LOWER.has(k.toLowerCase());
}

/** Stripped from keys and event names: CleverTap SDK's list (. : $ ' " \) plus seed 003's (& % > < !). */
export const PROHIBITED_CHARS: readonly string[] = ['.', ':', '$', "'", '"', '\\', '&', '%', '>', '<', '!'];

/** Event-name templates a compat mode documents; the prefix keeps its shape, the name after it is cleaned. */
export const EVENT_NAME_TEMPLATES: readonly string[] = ['Web Page Viewed: ', 'Screen Viewed: '];

/**
 * Never raised as custom events (case-insensitive): the SDK's restricted list (API code 513), then the other
 * system events CleverTap raises itself (clevertap-api.md §5, seeds 000/001): raising them from outside would
 * fake CleverTap's own data, and they are exactly what a CleverTap export feeds back in.
 */
export const RESTRICTED_EVENT_NAMES: readonly string[] = [
  'Stayed', 'Notification Clicked', 'Notification Viewed', 'UTM Visited', 'Notification Sent', 'App Launched',
  'wzrk_d', 'App Uninstalled', 'Notification Bounced', 'Geocluster Entered', 'Geocluster Exited',
  'SCOutgoing', 'SCIncoming', 'SCEnd', 'SCCampaignOptOut',
  'App Installed', 'App Version Changed', 'App Upgraded', 'Web Session Started', 'Session Concluded',
  'Notification Failed', 'Notification Delivered', 'Notification Replied', 'Push Impressions', 'Reply Sent',
  'Webhook Delivered', 'Channel Unsubscribed', 'Channel Subscribed', 'State Transitioned', 'Partner Sync',
  'AB Test Enter', 'AB Test Exit', 'AB Experiment Rendered', 'AB Experiment Rolled Out', 'AB Experiment Stopped',
  'AB Experiment Disqualified', 'A/B Experiment Rendered', 'A/B Experiment Rolled Out', 'A/B Experiment Stopped',
  'A/B Experiment Disqualified', 'Control Group', 'Custom Control Group', 'System Control Group',
  'Identity Set', 'Identity Reset', 'Identity Error', 'Reachable By', 'Push Unregistered',
  'CT Coupon Rewarded', 'CT Coupon Redeemed', 'CT Coupon Reverted', 'CT Points Credited', 'CT Points Debited',
  'CT Partner Voucher Rewarded',
];

export const CHARGED_EVENT = 'Charged';
export const CHARGED_ITEMS_KEY = 'Items';
/** Subscription flags: booleans that set the user's Do-Not-Disturb status per channel. */
export const MSG_KEYS: readonly string[] = ['MSG-email', 'MSG-push', 'MSG-sms', 'MSG-whatsapp'];
/** CleverTap subscription-group objects ({channel: [group, ...]}): kept as objects, like RudderStack does. */
export const SUBSCRIPTION_KEYS: readonly string[] = ['category-unsubscribe', 'category-resubscribe'];
export const EDUCATION_VALUES: readonly string[] = ['School', 'College', 'Graduate'];
export const TOKEN_TYPES: readonly string[] = ['fcm', 'apns', 'gcm', 'wns', 'mpns', 'chrome'];

/** CleverTap's own per-record error codes (clevertap-api.md §1.7). */
export const CLEVERTAP_CODES = {
  missingEventName: 509,
  invalidEventStructure: 512,
  restrictedEvent: 513,
  tooManyProperties: 522,
  missingIdentity: 523,
  invalidTs: 525,
  invalidTokenObjectId: 530,
  missingTokenId: 532,
  missingTokenType: 533,
  invalidTokenType: 534,
  invalidGender: 514,
  invalidEmail: 515,
  invalidPhone: 516,
  invalidEmployed: 517,
  invalidEducation: 518,
  invalidMarried: 519,
  invalidAge: 520,
} as const;

export type InvalidValues = 'reject' | 'drop';

export interface RuleOptions {
  maxEventProperties: number;
  /** Country calling code without '+', e.g. "91". */
  defaultCountryCode?: string;
  /** A standard profile value that cannot be fixed: reject the message (default) or drop the field. */
  invalidValues: InvalidValues;
}

export function ruleOptions(s: { maxEventProperties?: number; defaultCountryCode?: string; invalidValues?: InvalidValues }): RuleOptions {
  const cc = s.defaultCountryCode?.replace(/^\+/, '');
  return {
    maxEventProperties: s.maxEventProperties ?? DEFAULT_MAX_EVENT_PROPERTIES,
    defaultCountryCode: cc || undefined,
    invalidValues: s.invalidValues ?? 'reject',
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Keys and names

// 1 = stripped from keys and event names (prohibited or control character).
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

/** The event name CleverTap may receive ('' when nothing is left). Template prefixes keep their ':' (see above). */
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

// ---------------------------------------------------------------------------------------------------------------
// Standard profile values. Each returns the CleverTap form, or undefined when the value cannot be fixed.

const DATE_MIN_MS = Date.UTC(1800, 0, 1);
const DATE_MAX_MS = Date.UTC(2201, 0, 1) - 1;
const CT_DATE = /^\$D_-?\d+$/;
const NUMERIC = /^-?(0|[1-9]\d*)(\.\d+)?$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

function inDateRange(ms: number): boolean {
  return ms >= DATE_MIN_MS && ms <= DATE_MAX_MS;
}

/** Midnight UTC of a real calendar day (1800–2200), else NaN: 1990-02-30 is not a day. */
function calendarMs(y: number, m: number, d: number): number {
  if (y < 1800 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31) return NaN;
  const ms = Date.UTC(y, m - 1, d);
  const dt = new Date(ms);
  return dt.getUTCMonth() === m - 1 && dt.getUTCDate() === d ? ms : NaN;
}

/**
 * Epoch ms of a number read as a date: an 8-digit YYYYMMDD (year 1800–2200, calendar-checked), else epoch
 * seconds when that lands in 1800–2200, else epoch ms. Below 1e6 (a year, a YYYYMM, a counter: within 12 days
 * of 1970-01-01 as seconds) it is not a date.
 */
function numberDateMs(n: number): number {
  if (!Number.isFinite(n) || Math.abs(n) < 1e6) return NaN;
  if (n >= 1e7 && n < 1e8 && Number.isInteger(n)) {
    const y = Math.floor(n / 1e4);
    if (y >= 1800 && y <= 2200) return calendarMs(y, Math.floor(n / 100) % 100, n % 100);
  }
  if (inDateRange(n * 1000)) return n * 1000;
  return inDateRange(n) ? n : NaN;
}

/** ISO-8601 date (a calendar day: midnight UTC) or date-time (zone optional, UTC when absent), calendar-checked. */
function isoDateMs(s: string): number {
  const m = ISO_DATE.exec(s);
  if (!m) return NaN;
  const day = calendarMs(+m[1], +m[2], +m[3]);
  if (m[4] === undefined || Number.isNaN(day)) return day;
  const h = +m[4], min = +m[5], sec = m[6] === undefined ? 0 : +m[6];
  if (h > 23 || min > 59 || sec > 59) return NaN;
  let off = 0;
  const z = m[8];
  if (z !== undefined && z !== 'Z' && z !== 'z') {
    const oh = +z.slice(1, 3);
    const om = z.length > 3 ? +z.slice(z.length - 2) : 0;
    if (oh > 23 || om > 59) return NaN;
    off = (oh * 60 + om) * 60_000 * (z[0] === '-' ? -1 : 1);
  }
  const frac = m[7] === undefined ? 0 : Math.floor(Number('0.' + m[7]) * 1000);
  return day + ((h * 60 + min) * 60 + sec) * 1000 + frac - off;
}

/**
 * A CleverTap date, "$D_<epoch seconds>", from: "$D_<int>", an ISO date (YYYY-MM-DD) or date-time, YYYYMMDD,
 * epoch seconds or ms (number or numeric string), or a Date; always within 1800–2200 and calendar-checked.
 * Anything else (a year alone, "May 5", "1990-02-30", 1e20) is not a date: undefined. No loose Date.parse.
 */
export function toCleverTapDate(v: unknown): string | undefined {
  let ms = NaN;
  if (typeof v === 'number') ms = numberDateMs(v);
  else if (typeof v === 'string') {
    const s = v.trim();
    if (s.charCodeAt(0) === 36) return CT_DATE.test(s) && inDateRange(Number(s.slice(3)) * 1000) ? s : undefined;
    if (NUMERIC.test(s)) ms = numberDateMs(Number(s));
    else ms = isoDateMs(s);
  } else if (v instanceof Date) ms = v.getTime();
  if (!inDateRange(ms)) return undefined;
  return `$D_${Math.floor(ms / 1000)}`;
}

export function normaliseGender(v: unknown): 'M' | 'F' | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.trim().toLowerCase();
  if (s === 'm' || s === 'male') return 'M';
  if (s === 'f' || s === 'female') return 'F';
  return undefined;
}

/** Employed / Married: booleans, y/n, yes/no, true/false, 1/0 → "Y" / "N". */
export function normaliseYesNo(v: unknown): 'Y' | 'N' | undefined {
  if (v === true || v === 1) return 'Y';
  if (v === false || v === 0) return 'N';
  if (typeof v !== 'string') return undefined;
  const s = v.trim().toLowerCase();
  if (s === 'y' || s === 'yes' || s === 'true' || s === '1') return 'Y';
  if (s === 'n' || s === 'no' || s === 'false' || s === '0') return 'N';
  return undefined;
}

/** MSG-* flags: booleans; y/n, yes/no, true/false, 1/0 are converted. */
export function normaliseFlag(v: unknown): boolean | undefined {
  const yn = normaliseYesNo(v);
  return yn === undefined ? undefined : yn === 'Y';
}

export function normaliseEducation(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.trim().toLowerCase();
  return EDUCATION_VALUES.find((e) => e.toLowerCase() === s);
}

export function normaliseAge(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) && n >= 0 && n < 200 ? n : undefined;
}

const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * Phone in E.164: spaces, dashes, dots, slashes and parentheses removed, a leading 00 read as +. A number
 * without a + gets defaultCountryCode, minus its national trunk 0 (except Italy, +39, which keeps it); one that
 * already starts with that code and is longer than a national number (over 10 digits) only gets the +
 * ("1-555-123-4567" with +1 → +15551234567, "919876543210" with +91 → +919876543210).
 */
export function normalisePhone(v: unknown, defaultCountryCode?: string): string | undefined {
  let s: string;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) s = String(v);
  else if (typeof v === 'string') s = v.replace(/[\s\-.()/\u00a0]/g, '');
  else return undefined;
  if (s.startsWith('00')) s = '+' + s.slice(2);
  if (!s.startsWith('+')) {
    if (!defaultCountryCode || !/^\d+$/.test(s)) return undefined;
    if (s.startsWith('0')) s = `+${defaultCountryCode}${defaultCountryCode === '39' ? s : s.slice(1)}`;
    else if (s.length > 10 && s.startsWith(defaultCountryCode)) s = '+' + s;
    else s = `+${defaultCountryCode}${s}`;
  }
  return E164.test(s) ? s : undefined;
}

/** A plausible address: one @, a local part ≤ 64, a dotted domain, no spaces. Returns the trimmed address. */
export function normaliseEmail(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (s.length < 5 || s.length > 254) return undefined;
  const at = s.indexOf('@');
  if (at < 1 || at > 64 || at !== s.lastIndexOf('@')) return undefined;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 32 || c === 127 || c === 44 || c === 59 || c === 60 || c === 62 || c === 40 || c === 41 || c === 91 || c === 93 || c === 92 || c === 34) return undefined;
  }
  const domain = s.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  if (dot < 1 || domain.length - dot < 3 || domain.startsWith('.') || domain.includes('..') || domain.startsWith('-')) return undefined;
  if (s[at - 1] === '.' || s[0] === '.' || s.slice(0, at).includes('..')) return undefined;
  return s;
}

// ---------------------------------------------------------------------------------------------------------------
// Values

function warn(warnings: Warning[], code: string, field: string, message: string): void {
  warnings.push({ code, field, message });
}

function stringify(v: unknown): string | undefined {
  try {
    return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x));
  } catch {
    return undefined;
  }
}

const DROP = Symbol('drop');

/** A scalar CleverTap accepts, or DROP. Nested values are stringified (with a warning). */
function scalar(key: string, v: unknown, warnings: Warning[]): unknown {
  switch (typeof v) {
    case 'string':
      if (v.charCodeAt(0) === 36 && v.startsWith('$D_') && !CT_DATE.test(v)) {
        // CleverTap rejects a "$D_" value that is not a date (512); without the prefix it is a plain string.
        warn(warnings, 'value_normalised', key, `${show(v)} is not a CleverTap date ($D_<epoch seconds>): sent without the "$D_" prefix`);
        return scalar(key, v.slice(3), warnings);
      }
      if (v.length * 3 > MAX_VALUE_BYTES && utf8Bytes(v) > MAX_VALUE_BYTES) {
        warn(warnings, 'value_truncated', key, `value cut to ${MAX_VALUE_BYTES} bytes`);
        return truncateUtf8(v, MAX_VALUE_BYTES);
      }
      return v;
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
      warn(warnings, 'value_stringified', key, `${Array.isArray(v) ? 'array' : 'object'} sent as a JSON string (CleverTap takes scalars only)`);
      return scalar(key, s, warnings);
    }
    default:
      if (v !== undefined) warn(warnings, 'value_dropped', key, `${typeof v} values are not sent`);
      return DROP;
  }
}

/**
 * Charged Items: an array of flat objects, rebuilt (input is never mutated). One object is wrapped into a
 * one-item list; item keys follow the key rules (cleaned, ≤ 120 bytes, no collisions), nested values are
 * stringified. A scalar cannot be a list of products: it is returned as is and enforceRecord rejects it.
 */
function items(v: unknown, warnings: Warning[]): unknown {
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
    const o: Record<string, unknown> = {};
    const prefix = `${CHARGED_ITEMS_KEY}[${i}].`;
    const w = new KeyWriter(o, warnings, prefix);
    for (const k in it) {
      const key = cleanKey(k);
      const field = prefix + k;
      if (key !== k) keyWarning(warnings, field, key);
      if (!key || key === '__proto__') continue;
      const x = scalar(field, (it as Record<string, unknown>)[k], warnings);
      if (x !== DROP) w.put(key, k, x);
    }
    out.push(o);
  }
  return out.length ? out : DROP;
}

/** Subscription objects: {channel: [group, ...]} kept as objects; anything else is stringified. */
function subscription(key: string, v: unknown, warnings: Warning[]): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return scalar(key, v, warnings);
  const o: Record<string, string[]> = {};
  for (const [ch, groups] of Object.entries(v)) {
    if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) return scalar(key, v, warnings);
    o[ch] = groups.map((g: string) => truncateUtf8(g, MAX_VALUE_BYTES));
  }
  return o;
}

function keyWarning(warnings: Warning[], field: string, key: string): void {
  if (!key) warn(warnings, 'key_dropped', field, 'key has no valid characters left');
  else warn(warnings, 'key_cleaned', field, `key sent as "${key}" (prohibited characters or over ${MAX_KEY_BYTES} bytes)`);
}

type Kind = 'event' | 'charged' | 'profile';

function value(kind: Kind, key: string, v: unknown, warnings: Warning[]): unknown {
  if (kind === 'charged' && key === CHARGED_ITEMS_KEY) return items(v, warnings);
  if (kind === 'profile') {
    if (key === 'category-unsubscribe' || key === 'category-resubscribe') return subscription(key, v, warnings);
    // DOB is converted whole by toCleverTapDate ("$D_…" included): a rejection then names the value as sent.
    if (key === 'DOB' && typeof v === 'string') return v;
  }
  return scalar(key, v, warnings);
}

function reservedKey(warnings: Warning[], field: string): void {
  warn(warnings, 'reserved_key', field, `${JSON.stringify(field)} is a CleverTap identity key: a profile property of that name would merge this profile with another user's; dropped`);
}

/**
 * Cleans keys and values; returns the same object when no key changed (values are fixed in place). Keys that
 * clean to the same name do not overwrite each other: a key that is already clean wins, else the first one, and
 * the other is dropped with `key_collision`. Profiles lose identity keys (`reserved_key`) except the link.
 */
function cleanData(data: Record<string, unknown>, kind: Kind, warnings: Warning[]): Record<string, unknown> {
  const profile = kind === 'profile';
  let dirty = false;
  for (const k in data) {
    if (!isCleanKey(k)) {
      dirty = true;
      break;
    }
  }
  if (!dirty) {
    for (const k in data) {
      if (profile && k !== LINK_KEY && isReservedProfileKey(k)) {
        reservedKey(warnings, k);
        delete data[k];
        continue;
      }
      const v = data[k];
      // Short strings need no work, unless they start with "$" (a "$D_" value must be a date).
      const x = typeof v === 'string' && v.length <= 170 && v.charCodeAt(0) !== 36 ? v : value(kind, k, v, warnings);
      if (x === DROP) delete data[k];
      else if (x !== v) data[k] = x;
    }
    return data;
  }
  const out: Record<string, unknown> = {};
  const w = new KeyWriter(out, warnings);
  for (const k in data) {
    const key = cleanKey(k);
    if (profile && k !== LINK_KEY && isReservedProfileKey(key)) {
      reservedKey(warnings, k);
      continue;
    }
    if (key !== k) keyWarning(warnings, k, key);
    if (!key || key === '__proto__') continue;
    const x = value(kind, key, data[k], warnings);
    if (x !== DROP) w.put(key, k, x);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Standard profile fields

type Fix = (v: unknown, o: RuleOptions) => unknown;
type ProfileField = [key: string, fix: Fix, invalidCode: string, expected: string, clevertapCode: number | undefined];
/** In CleverTap's code order, so a message with several bad values is rejected with the first code CleverTap would give. */
const PROFILE_FIELDS: ProfileField[] = [
  ['Gender', (v) => normaliseGender(v), 'invalid_gender', 'M or F (male/female)', CLEVERTAP_CODES.invalidGender],
  ['Email', (v) => normaliseEmail(v), 'invalid_email', 'a valid email address', CLEVERTAP_CODES.invalidEmail],
  ['Phone', (v, o) => normalisePhone(v, o.defaultCountryCode), 'invalid_phone', 'an E.164 number (+<country code><number>)', CLEVERTAP_CODES.invalidPhone],
  ['Employed', (v) => normaliseYesNo(v), 'invalid_employed', 'Y or N', CLEVERTAP_CODES.invalidEmployed],
  ['Education', (v) => normaliseEducation(v), 'invalid_education', 'School, College or Graduate', CLEVERTAP_CODES.invalidEducation],
  ['Married', (v) => normaliseYesNo(v), 'invalid_married', 'Y or N', CLEVERTAP_CODES.invalidMarried],
  ['Age', (v) => normaliseAge(v), 'invalid_age', 'a number', CLEVERTAP_CODES.invalidAge],
  ['DOB', (v) => toCleverTapDate(v), 'invalid_date', 'a date', undefined],
  ...MSG_KEYS.map((k): ProfileField => [k, (v) => normaliseFlag(v), 'invalid_flag', 'true or false', undefined]),
];

/** A value for a message: JSON, at most 60 characters (clipped with "...", never inside a surrogate pair). */
function show(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v.length > 60 ? v.slice(0, 61) : v) : String(stringify(v));
  if (s.length <= 60) return s;
  const c = s.charCodeAt(56);
  return s.slice(0, c >= 0xd800 && c <= 0xdbff ? 56 : 57) + '...';
}

/** Fixes the standard fields in place; returns the rejection for a value that cannot be fixed (invalidValues reject). */
function profileFields(pd: Record<string, unknown>, o: RuleOptions, warnings: Warning[]): TransformError | null {
  for (const [key, fix, code, expected, clevertapCode] of PROFILE_FIELDS) {
    const v = pd[key];
    if (v === undefined) continue;
    if (v === null) {
      delete pd[key];
      continue;
    }
    if (typeof v === 'string' && v.trim() === '') {
      warn(warnings, 'value_dropped', key, `${key} is empty: not sent`);
      delete pd[key];
      continue;
    }
    const x = fix(v, o);
    if (x === undefined) {
      if (o.invalidValues === 'reject') return reject(code, `${key} ${show(v)} is invalid: CleverTap needs ${expected}`, clevertapCode);
      warn(warnings, code, key, `${key} ${show(v)} dropped: CleverTap needs ${expected}`);
      delete pd[key];
    } else if (x !== v) {
      warn(warnings, 'value_normalised', key, `${key} ${show(v)} sent as ${show(x)}`);
      pd[key] = x;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------------------------------------------
// Records

function reject(code: string, message: string, clevertapCode?: number): TransformError {
  return clevertapCode === undefined ? { code, message } : { code, message, clevertapCode };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** ts: integer epoch seconds in 2001–2100 (a value outside is a unit mistake or a broken clock), else none. */
function checkTs(rec: { ts?: number }, warnings: Warning[]): void {
  if (rec.ts === undefined) return;
  if (!Number.isInteger(rec.ts) || !plausibleTs(rec.ts)) {
    warn(warnings, 'invalid_ts', 'ts', `ts ${show(rec.ts)} is not plausible epoch seconds (2001–2100): CleverTap uses its receive time`);
    delete rec.ts;
  }
}

/** Keys that are not custom profile keys (they do not count towards MAX_CUSTOM_PROFILE_KEYS). */
const STANDARD_PROFILE_KEYS = new Set([...PROFILE_FIELDS.map(([k]) => k), 'Name', 'Photo', LINK_KEY]);

function customKeyLimit(pd: Record<string, unknown>): TransformError | null {
  let n = 0;
  for (const _ in pd) n++;
  if (n <= MAX_CUSTOM_PROFILE_KEYS) return null;
  let custom = 0;
  for (const k in pd) if (!STANDARD_PROFILE_KEYS.has(k)) custom++;
  if (custom <= MAX_CUSTOM_PROFILE_KEYS) return null;
  return reject('too_many_profile_keys', `the profile has ${custom} custom properties; CleverTap allows ${MAX_CUSTOM_PROFILE_KEYS} (dropping some would lose data)`);
}

/** Charged Items after cleaning: a list (a scalar cannot be fixed: 512), each item within the property limit. */
function checkItems(data: Record<string, unknown>, o: RuleOptions): TransformError | null {
  const it = data[CHARGED_ITEMS_KEY];
  if (it === undefined) return null;
  if (!Array.isArray(it)) {
    return reject('invalid_products', `Charged Items ${show(it)} is not a list of objects`, CLEVERTAP_CODES.invalidEventStructure);
  }
  for (let i = 0; i < it.length; i++) {
    let n = 0;
    for (const _ in it[i] as object) n++;
    if (n > o.maxEventProperties) {
      return reject('too_many_properties', `Charged Items[${i}] has ${n} properties; the limit is ${o.maxEventProperties}`, CLEVERTAP_CODES.tooManyProperties);
    }
  }
  return null;
}

/**
 * Applies CleverTap's rules to one record: fixes what can be fixed (pushing warnings), returns the rejection
 * otherwise. Token records are checked for shape only (530–534).
 */
export function enforceRecord(rec: CleverTapRecord, o: RuleOptions, warnings: Warning[]): TransformError | null {
  if (rec.type === 'token') {
    if (typeof rec.objectId !== 'string' || !rec.objectId) return reject('invalid_token', 'device token needs an objectId', CLEVERTAP_CODES.invalidTokenObjectId);
    if (!rec.tokenData || typeof rec.tokenData.id !== 'string' || !rec.tokenData.id) return reject('invalid_token', 'device token id is missing', CLEVERTAP_CODES.missingTokenId);
    if (typeof rec.tokenData.type !== 'string' || !rec.tokenData.type) return reject('invalid_token', 'device token type is missing', CLEVERTAP_CODES.missingTokenType);
    if (!TOKEN_TYPES.includes(rec.tokenData.type)) return reject('invalid_token', `device token type ${show(rec.tokenData.type)} is not one of ${TOKEN_TYPES.join(', ')}`, CLEVERTAP_CODES.invalidTokenType);
    return null;
  }
  // A blank id is no id (CleverTap: 523); the mapping never sets one, this keeps the rule in one place.
  if (rec.identity !== undefined && idOf(rec.identity) === undefined) delete rec.identity;
  if (rec.objectId !== undefined && idOf(rec.objectId) === undefined) delete rec.objectId;
  if (!rec.identity && !rec.objectId) return reject('missing_identity', 'no identity: the message needs a userId or an anonymousId', CLEVERTAP_CODES.missingIdentity);
  checkTs(rec, warnings);

  if (rec.type === 'profile') {
    if (!isObject(rec.profileData)) return reject('invalid_profile', 'profileData must be an object', 524);
    // Keys first, so a key that cleans into a standard one (" Email", "E.mail") is validated as that field.
    const pd = cleanData(rec.profileData as Record<string, unknown>, 'profile', warnings);
    rec.profileData = pd as typeof rec.profileData;
    return profileFields(pd, o, warnings) ?? customKeyLimit(pd);
  }

  // event
  const raw = rec.evtName as unknown;
  if (typeof raw !== 'string' || raw.trim() === '') return reject('missing_event_name', 'the event has no name', CLEVERTAP_CODES.missingEventName);
  const name = cleanEventName(raw);
  if (!name) return reject('missing_event_name', `event name ${show(raw)} has no valid characters`, CLEVERTAP_CODES.missingEventName);
  if (name !== raw) {
    warn(warnings, 'event_name_cleaned', 'evtName', `event name sent as ${show(name)} (prohibited characters, spaces or over ${MAX_EVENT_NAME_BYTES} bytes)`);
    rec.evtName = name;
  }
  if (isRestrictedEventName(name)) return reject('restricted_event', `"${name}" is a CleverTap system event and cannot be raised`, CLEVERTAP_CODES.restrictedEvent);
  if (!isObject(rec.evtData)) return reject('invalid_event', 'evtData must be an object', CLEVERTAP_CODES.invalidEventStructure);
  const data = cleanData(rec.evtData as Record<string, unknown>, name === CHARGED_EVENT ? 'charged' : 'event', warnings);
  rec.evtData = data as typeof rec.evtData;
  if (name === CHARGED_EVENT) {
    const bad = checkItems(data, o);
    if (bad) return bad;
  }
  if (name === CHARGED_EVENT && data.Amount !== undefined && typeof data.Amount !== 'number') {
    const n = typeof data.Amount === 'string' && data.Amount.trim() !== '' ? Number(data.Amount) : NaN;
    if (Number.isFinite(n)) {
      warn(warnings, 'value_normalised', 'Amount', `Amount ${show(data.Amount)} sent as the number ${n}`);
      data.Amount = n;
    } else {
      warn(warnings, 'invalid_amount', 'Amount', `Amount ${show(data.Amount)} dropped: CleverTap needs a number`);
      delete data.Amount;
    }
  }
  let count = 0;
  for (const _ in data) count++;
  if (count > o.maxEventProperties) {
    return reject('too_many_properties', `the event has ${count} properties; the limit is ${o.maxEventProperties}`, CLEVERTAP_CODES.tooManyProperties);
  }
  return null;
}
