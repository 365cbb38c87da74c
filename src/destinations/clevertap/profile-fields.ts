// CleverTap's standard profile fields: one rule per field (PROFILE_FIELDS) with a pure normaliser that returns
// CleverTap's form of a value, or undefined when it cannot be fixed. Fixable values are converted in every mode
// (male → M, yes → Y, dates → $D_, phone → E.164); one that cannot be fixed rejects the message with CleverTap's
// own code (514–520; DOB and MSG-* have none documented), or with `invalidValues: drop` is dropped with a warning.
// https://developer.clevertap.com/docs/upload-user-profiles-api
import type { TransformError, Warning } from '../../core/job.js';
import { CLEVERTAP_CODES } from '../../clevertap/codes.js';
import { CLEVERTAP_DATE, EDUCATION_VALUES, MSG_KEYS } from '../../clevertap/limits.js';
import type { DateOrder, RuleOptions } from './options.js';
import { LINK_KEY } from './keys.js';
import { memoize, type Memo } from './memo.js';
import { show, warn } from './values.js';
import { digits } from '../../message/time.js';

const DATE_MIN_MS = Date.UTC(1800, 0, 1);
const DATE_MAX_MS = Date.UTC(2201, 0, 1) - 1;
const NUMERIC = /^-?(0|[1-9]\d*)(\.\d+)?$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

function inDateRange(ms: number): boolean {
  return ms >= DATE_MIN_MS && ms <= DATE_MAX_MS;
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Midnight UTC of a real calendar day (1800–2200), else NaN: 1990-02-30 is not a day. */
function calendarMs(y: number, m: number, d: number): number {
  if (y < 1800 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31) return NaN;
  // The proleptic Gregorian calendar, as Date has it.
  const leap = m === 2 && y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return d <= MONTH_DAYS[m - 1] + (leap ? 1 : 0) ? Date.UTC(y, m - 1, d) : NaN;
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
  // YYYY-MM-DD, the usual birthday, read without the regular expression.
  if (s.length === 10 && s.charCodeAt(4) === 45 && s.charCodeAt(7) === 45) {
    const y = digits(s, 0, 4), mo = digits(s, 5, 2), d = digits(s, 8, 2);
    if (y >= 0 && mo >= 0 && d >= 0) return calendarMs(y, mo, d);
  }
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

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const MON = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
/** RFC 2822 date-time (https://www.rfc-editor.org/rfc/rfc2822#section-3.3), as Date.prototype.toUTCString() writes it too. */
const RFC_2822 = new RegExp(`^(?:${DAY},\\s*)?(\\d{1,2})\\s+${MON}\\s+(\\d{4})\\s+(\\d{2}):(\\d{2})(?::(\\d{2}))?\\s+([+-]\\d{4}|UT|GMT|Z|[ECMP][SD]T)$`, 'i');
/** JavaScript's Date.prototype.toString() (https://tc39.es/ecma262/#sec-date.prototype.tostring): "Tue Mar 05 1985 00:00:00 GMT+0100 (…)". */
const JS_DATE = new RegExp(`^${DAY} ${MON} (\\d{2}) (\\d{4}) (\\d{2}):(\\d{2}):(\\d{2}) GMT([+-]\\d{4})(?: \\([^)]*\\))?$`, 'i');
/** 02/03/1985: day and month order is ambiguous; the dateOrder setting decides. */
export const SLASH_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;

/** A date-time written with a month name: calendar-checked, then read by Date.parse (which knows both forms). */
function namedMonthMs(s: string): number {
  let m = RFC_2822.exec(s);
  let day: number, month: string, year: number;
  if (m) [day, month, year] = [+m[1], m[2], +m[3]];
  else if ((m = JS_DATE.exec(s))) [month, day, year] = [m[1], +m[2], +m[3]];
  else return NaN;
  if (Number.isNaN(calendarMs(year, MONTHS.indexOf(month.toLowerCase()) + 1, day))) return NaN;
  // Date.parse reads neither the parenthesised zone name nor a bare "Z" zone reliably: drop / rewrite them.
  return Date.parse(s.replace(/ \([^)]*\)$/, '').replace(/\sZ$/i, ' GMT'));
}

function slashDateMs(s: string, order: DateOrder | undefined): number {
  const m = SLASH_DATE.exec(s);
  if (!m || !order) return NaN;
  return order === 'mdy' ? calendarMs(+m[3], +m[1], +m[2]) : calendarMs(+m[3], +m[2], +m[1]);
}

/**
 * A CleverTap date, "$D_<epoch seconds>", from: "$D_<int>", an ISO date (YYYY-MM-DD) or date-time, YYYYMMDD,
 * epoch seconds or ms (number or numeric string; 0 is 1970-01-01), an RFC 2822 date-time, JavaScript's
 * Date.toString(), a slash date read in `dateOrder`, or a Date; always within 1800–2200 and calendar-checked.
 * Anything else (a year alone, "May 5", "1990-02-30", 1e20, a slash date without dateOrder) is not a date:
 * undefined. No loose Date.parse.
 */
export function toCleverTapDate(v: unknown, dateOrder?: DateOrder): string | undefined {
  let ms = NaN;
  if (typeof v === 'number') ms = v === 0 ? 0 : numberDateMs(v);
  else if (typeof v === 'string') {
    const s = v.trim();
    if (s.charCodeAt(0) === 36) return CLEVERTAP_DATE.test(s) && inDateRange(Number(s.slice(3)) * 1000) ? s : undefined;
    // ("YYYY-…" is no number: the 5th character says so without the expression.)
    if (s.charCodeAt(4) !== 45 && NUMERIC.test(s)) ms = s === '0' ? 0 : numberDateMs(Number(s));
    else {
      ms = isoDateMs(s);
      if (Number.isNaN(ms)) ms = namedMonthMs(s);
      if (Number.isNaN(ms)) ms = slashDateMs(s, dateOrder);
    }
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
  // Already E.164 (the usual case): nothing below would change it.
  if (typeof v === 'string' && E164.test(v)) return v;
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

type Fix = (v: unknown, o: RuleOptions) => unknown;
interface ProfileField {
  readonly key: string;
  readonly fix: Fix;
  readonly invalidCode: string;
  readonly expected: string | ((v: unknown) => string);
  readonly clevertapCode: number | undefined;
  /** The field takes few distinct values (M/F, Y/N, birthdays): its fixes of strings are remembered per value. */
  readonly few: boolean;
}

function field(key: string, fix: Fix, invalidCode: string, expected: ProfileField['expected'], clevertapCode: number | undefined, few: boolean): ProfileField {
  return { key, fix, invalidCode, expected, clevertapCode, few };
}

/** In CleverTap's code order, so a message with several bad values is rejected with the first code CleverTap would give. */
const PROFILE_FIELDS: readonly ProfileField[] = [
  field('Gender', (v) => normaliseGender(v), 'invalid_gender', 'M or F (male/female)', CLEVERTAP_CODES.invalidGender, true),
  field('Email', (v) => normaliseEmail(v), 'invalid_email', 'a valid email address', CLEVERTAP_CODES.invalidEmail, false),
  field('Phone', (v, o) => normalisePhone(v, o.defaultCountryCode), 'invalid_phone', 'an E.164 number (+<country code><number>)', CLEVERTAP_CODES.invalidPhone, false),
  field('Employed', (v) => normaliseYesNo(v), 'invalid_employed', 'Y or N', CLEVERTAP_CODES.invalidEmployed, true),
  field('Education', (v) => normaliseEducation(v), 'invalid_education', 'School, College or Graduate', CLEVERTAP_CODES.invalidEducation, true),
  field('Married', (v) => normaliseYesNo(v), 'invalid_married', 'Y or N', CLEVERTAP_CODES.invalidMarried, true),
  field('Age', (v) => normaliseAge(v), 'invalid_age', 'a number', CLEVERTAP_CODES.invalidAge, true),
  field('DOB', (v, o) => toCleverTapDate(v, o.dateOrder), 'invalid_date', dobExpected, undefined, true),
  ...MSG_KEYS.map((k) => field(k, (v) => normaliseFlag(v), 'invalid_flag', 'true or false', undefined, true)),
];

/** A slash date is only read with the dateOrder setting: say so where one was dropped. */
function dobExpected(v: unknown): string {
  return typeof v === 'string' && SLASH_DATE.test(v.trim()) ? 'a date (slash dates are read only with the dateOrder setting: mdy or dmy)' : 'a date';
}

/** Keys that are not custom profile keys (they do not count towards CleverTap's custom-key limit). */
export const STANDARD_PROFILE_KEYS: ReadonlySet<string> = new Set([...PROFILE_FIELDS.map((f) => f.key), 'Name', 'Photo', LINK_KEY]);

/** A field's fix of one value: CleverTap's form (undefined: it cannot be fixed) and the warning when it differs. */
interface Fixed {
  readonly value: unknown;
  readonly note?: string;
}

function fixOf(f: ProfileField, v: unknown, o: RuleOptions): Fixed {
  const x = f.fix(v, o);
  return x === undefined || x === v ? { value: x } : { value: x, note: normalisedNote(f.key, v, x) };
}

function normalisedNote(key: string, v: unknown, x: unknown): string {
  return `${key} ${show(v)} sent as ${show(x)}`;
}

/**
 * Per rule options (a destination's settings), each field's fixes of string values, remembered per value (memo.ts)
 * where the field takes few distinct values: the same genders, flags and birthdays recur in every batch.
 */
const remembered = new WeakMap<RuleOptions, readonly (Memo<Fixed> | undefined)[]>();

function memosOf(o: RuleOptions): readonly (Memo<Fixed> | undefined)[] {
  let memos = remembered.get(o);
  if (!memos) remembered.set(o, (memos = PROFILE_FIELDS.map((f) => (f.few ? memoize((v: string) => fixOf(f, v, o)) : undefined))));
  return memos;
}

/** A string that trims to '' (a printable ASCII first character says it is not without trimming). */
function blank(s: string): boolean {
  const c = s.charCodeAt(0); // NaN for ''
  return !(c > 32 && c < 127) && s.trim() === '';
}

/** The indices (in code order) of the profile fields among `keys`: a profileData that can hold no other key needs only these fixed. */
export function profileFieldIndices(keys: ReadonlySet<string>): readonly number[] {
  const out: number[] = [];
  for (let i = 0; i < PROFILE_FIELDS.length; i++) if (keys.has(PROFILE_FIELDS[i].key)) out.push(i);
  return out;
}

/**
 * Fixes the standard fields in place; returns the rejection for a value that cannot be fixed (invalidValues reject).
 * `only`: profileFieldIndices of every key pd can hold (the others are absent: nothing to fix).
 */
export function fixProfileFields(pd: Record<string, unknown>, o: RuleOptions, warnings: Warning[], only?: readonly number[]): TransformError | null {
  const memos = memosOf(o);
  const n = only === undefined ? PROFILE_FIELDS.length : only.length;
  for (let c = 0; c < n; c++) {
    const i = only === undefined ? c : only[c];
    const f = PROFILE_FIELDS[i];
    const key = f.key;
    const v = pd[key];
    if (v === undefined) continue;
    if (v === null) {
      delete pd[key];
      continue;
    }
    const memo = memos[i];
    let x: unknown;
    let note: string | undefined;
    if (typeof v === 'string') {
      if (blank(v)) {
        warn(warnings, 'value_dropped', key, `${key} is empty: not sent`);
        delete pd[key];
        continue;
      }
      if (memo) ({ value: x, note } = memo(v));
      else x = f.fix(v, o);
    } else x = f.fix(v, o);
    if (x === undefined) {
      const expected = typeof f.expected === 'string' ? f.expected : f.expected(v);
      if (o.invalidValues === 'reject') {
        const message = `${key} ${show(v)} is invalid: CleverTap needs ${expected}`;
        return f.clevertapCode === undefined ? { code: f.invalidCode, message } : { code: f.invalidCode, message, clevertapCode: f.clevertapCode };
      }
      warn(warnings, f.invalidCode, key, `${key} ${show(v)} dropped: CleverTap needs ${expected}`);
      delete pd[key];
    } else if (x !== v) {
      warn(warnings, 'value_normalised', key, note ?? normalisedNote(key, v, x));
      pd[key] = x;
    }
  }
  return null;
}
