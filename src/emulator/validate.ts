// Per-record validation of /1/upload, written independently of the sender's rules so it can catch
// the sender's mistakes. Order follows clevertap-api.md §6 item 6. Plain loops, no regex per record.
//
// Choices where CleverTap's docs are silent (strict on purpose, to catch sender mistakes):
// - ts: integer seconds in 1..32503680000 (year 3000); strings, floats, null and milliseconds → 525.
// - ids: identity/FBID/GPID non-blank string or finite number; objectId non-blank string (else 526);
//   profileData.identity alone does not identify a record (root id required → 523).
// - events: evtData optional; evtName chars . $ ' " \ and keys : $ ' " \ → 512; key > 120 bytes,
//   string value > 512 bytes, name > 512 chars, bad `$D_` value, any object/array value → 512, except
//   Charged.Items (array of flat objects, no count limit).
//   `:` IS allowed in event names: the SDK list (§2) is what the SDK strips client-side ("server behaviour
//   undocumented"), but RudderStack sends "Web Page Viewed: Home" / "Screen Viewed: Home" to the real
//   CleverTap (RudderStack's CleverTap integration sends them), so the server accepts it. The rest of the SDK list (. $ ' " \) has no such evidence
//   and stays rejected, as do `:` in property keys.
// - restricted names (513): exactly the documented list (§2: Stayed, Notification Clicked, Notification Viewed,
//   UTM Visited, Notification Sent, App Launched, wzrk_d, App Uninstalled, Notification Bounced, Geocluster
//   Entered, Geocluster Exited, Signed-Call events SCOutgoing/SCIncoming/SCEnd/SCCampaignOptOut). Other system
//   events (e.g. App Installed) are not on it and are accepted.
// - profiles: missing/non-object profileData → 524; Gender exactly M|F; Phone a string '+' + 7–15 digits, the
//   first digit not 0 (E.164 country codes never start with 0); Age a number 0..199 or a digit string; DOB must
//   be `$D_<int>`; custom keys may hold string arrays (multi-value, ≤100) or one $add/$remove/$incr/$decr/$delete
//   op; `category-unsubscribe` / `category-resubscribe` hold a subscription-group object
//   `{ <channel>: string[] }` (≤100 groups per channel, each ≤512 bytes); other objects/arrays → 512.
// - a `__proto__` key in profileData is ordinary data (stored as an own property, see store.ts).

export interface RecordError {
  code: number;
  /** Message without the "Skipped record number : N" suffix (the caller adds it). */
  error: string;
}

export interface ValidationLimits {
  maxEventProperties: number;
  /** Lower-cased discarded event names (→ 528). */
  discarded: Set<string>;
}

export const MAX_KEY_LENGTH = 120;
export const MAX_VALUE_BYTES = 512;
export const MAX_EVENT_NAME_LENGTH = 512;
export const MAX_CUSTOM_PROFILE_KEYS = 256;
export const MAX_MULTI_VALUES = 100;
/** 3000-01-01T00:00:00Z in seconds: anything larger is almost surely milliseconds. */
export const MAX_TS_SECONDS = 32503680000;

export const TOKEN_TYPES = new Set(['apns', 'gcm', 'fcm', 'wns', 'mpns', 'chrome']);

/** Case-insensitive (android SDK uses equalsIgnoreCase). */
export const RESTRICTED_EVENTS = new Set(
  [
    'Stayed',
    'Notification Clicked',
    'Notification Viewed',
    'UTM Visited',
    'Notification Sent',
    'App Launched',
    'wzrk_d',
    'App Uninstalled',
    'Notification Bounced',
    'Geocluster Entered',
    'Geocluster Exited',
    'SCOutgoing',
    'SCIncoming',
    'SCEnd',
    'SCCampaignOptOut',
  ].map((s) => s.toLowerCase()),
);

/** Standard profile keys that must be single values (android ValidationConfig restricted multi-value keys). */
const SINGLE_VALUE_PROFILE_KEYS = new Set([
  'Name',
  'Email',
  'Education',
  'Married',
  'DOB',
  'Gender',
  'Phone',
  'Age',
  'FBID',
  'GPID',
  'Birthday',
  'Identity',
  'identity',
]);

/** Keys that do not count towards the 256 custom profile keys. */
const STANDARD_PROFILE_KEYS = new Set([
  ...SINGLE_VALUE_PROFILE_KEYS,
  'Employed',
  'Photo',
  'tz',
  'MSG-email',
  'MSG-push',
  'MSG-sms',
  'MSG-whatsapp',
  'MSG-dndPhone',
  'MSG-dndEmail',
  'category-unsubscribe',
  'category-resubscribe',
]);

const PROFILE_OPERATORS = new Set(['$add', '$remove', '$incr', '$decr', '$delete']);

/** Subscription-group objects `{ <channel>: [group, ...] }` (RudderStack passes them through as objects). */
export const SUBSCRIPTION_KEYS: ReadonlySet<string> = new Set(['category-unsubscribe', 'category-resubscribe']);

// Texts: recorded CleverTap strings where known (§1.7), invented in the same style otherwise.
const PROFILE_BAD = 'Profile data is incorrect. ';
export const ERR = {
  type: 'Data is neither an event, a profile nor a token. ',
  identity: 'Missing identity. Record should have one of identity, objectId, FBID or GPID. ',
  objectId: 'objectId is invalid. ',
  ts: 'Timestamp should be present in the Unix Epoch format. ',
  evtName: 'Event name is mandatory. ',
  restricted: 'Raised a restricted system event. ',
  discarded: 'Raised a discarded event. ',
  structure: 'Invalid event structure. ',
  propsLimit: 'Event properties limit exceeded. ',
  gender: PROFILE_BAD + 'Gender needs to be M/F.',
  email: PROFILE_BAD + 'Email is not valid.',
  phone: PROFILE_BAD + 'Phone number is not valid.',
  employed: PROFILE_BAD + 'Employed needs to be Y/N.',
  education: PROFILE_BAD + 'Education needs to be School/College/Graduate..',
  married: PROFILE_BAD + 'Married needs to be Y/N.',
  age: PROFILE_BAD + 'Age is invalid.',
  tokenObjectId: 'Invalid objectId. Device tokens need a valid objectId. ',
  tokenData: 'Invalid token data. ',
  tokenId: 'Token id is missing. ',
  tokenType: 'Token type is missing. ',
  tokenTypeInvalid: 'Token type is not valid for this objectId. Allowed: apns, gcm, fcm, wns, mpns, chrome. ',
  misc: 'Misc server error. ',
} as const;

export function skipped(message: string, index: number): string {
  return message + 'Skipped record number : ' + (index + 1);
}

function fail(code: number, error: string): RecordError {
  return { code, error };
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 10 && c !== 13) return false;
  }
  return true;
}

/** identity / FBID / GPID: a non-blank string or a finite number (CleverTap echoes numbers as strings). */
export function isIdValue(v: unknown): boolean {
  if (typeof v === 'string') return v.length > 0 && !isBlank(v);
  return typeof v === 'number' && Number.isFinite(v);
}

export function isValidObjectId(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && !isBlank(v);
}

/** Epoch seconds: positive integer, not beyond year 3000 (so a millisecond value fails). */
export function isValidTs(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= MAX_TS_SECONDS;
}

/** UTF-8 length check without encoding short strings. */
export function tooManyBytes(s: string, max: number): boolean {
  if (s.length > max) return true;
  if (s.length * 3 <= max) return false;
  return Buffer.byteLength(s, 'utf8') > max;
}

/** Event names: android SDK list . : $ ' " \ minus ':' (the server accepts it, see the header). */
function hasProhibitedNameChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46 || c === 36 || c === 39 || c === 34 || c === 92) return true;
  }
  return false;
}

/** Property keys: newer SDK list  : $ ' " \  ('.' allowed). */
function hasProhibitedKeyChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 58 || c === 36 || c === 39 || c === 34 || c === 92) return true;
  }
  return false;
}

function isDigits(s: string, from: number): boolean {
  if (from >= s.length) return false;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** `$D_<integer epoch seconds>`, negative allowed (births before 1970). */
export function isDateValue(s: string): boolean {
  if (!s.startsWith('$D_')) return false;
  return s.charCodeAt(3) === 45 ? isDigits(s, 4) : isDigits(s, 3);
}

/** Scalar check shared by events and profiles; returns a detail text or null. */
function checkScalar(key: string, v: unknown): string | null {
  if (typeof v === 'string') {
    if (tooManyBytes(v, MAX_VALUE_BYTES)) return `Value of '${key}' is longer than ${MAX_VALUE_BYTES} bytes. `;
    if (v.length > 2 && v.charCodeAt(0) === 36 && v.startsWith('$D_') && !isDateValue(v)) {
      return `Value of '${key}' is not a valid date ($D_<epoch seconds>). `;
    }
    return null;
  }
  if (typeof v === 'number') return Number.isFinite(v) ? null : `Value of '${key}' is not a finite number. `;
  if (typeof v === 'boolean' || v === null) return null;
  return `Value of '${key}' has an invalid data type (objects and arrays are not allowed). `;
}

function checkKey(key: string): string | null {
  if (key.length === 0 || isBlank(key)) return 'Property keys must not be empty. ';
  if (tooManyBytes(key, MAX_KEY_LENGTH)) return `Key '${key.slice(0, 40)}…' is longer than ${MAX_KEY_LENGTH} bytes. `;
  if (hasProhibitedKeyChar(key)) return `Key '${key}' contains a prohibited character (: $ ' " \\). `;
  return null;
}

function validateChargedItems(items: unknown, maxProps: number): string | null {
  if (!Array.isArray(items)) return `'Items' must be an array of objects. `;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    if (!isPlainObject(item)) return `'Items' must be an array of objects. `;
    let n = 0;
    for (const k in item) {
      if (++n > maxProps) return `An item in 'Items' has more than ${maxProps} properties. `;
      const kd = checkKey(k);
      if (kd) return kd;
      const vd = checkScalar(k, item[k]);
      if (vd) return `In 'Items': ` + vd;
    }
  }
  return null;
}

function validateEvent(rec: Record<string, unknown>, limits: ValidationLimits): RecordError | null {
  const name = rec.evtName;
  if (typeof name !== 'string' || name.length === 0 || isBlank(name)) return fail(509, ERR.evtName);
  const lower = name.toLowerCase();
  if (RESTRICTED_EVENTS.has(lower)) return fail(513, ERR.restricted);
  if (limits.discarded.size > 0 && limits.discarded.has(lower)) return fail(528, ERR.discarded);
  if (name.length > MAX_EVENT_NAME_LENGTH) {
    return fail(512, ERR.structure + `Event name is longer than ${MAX_EVENT_NAME_LENGTH} characters. `);
  }
  if (hasProhibitedNameChar(name)) {
    return fail(512, ERR.structure + `Event name contains a prohibited character (. $ ' " \\). `);
  }
  const data = rec.evtData;
  if (data === undefined) return null; // optional: an event without properties
  if (!isPlainObject(data)) return fail(512, ERR.structure + 'evtData must be an object. ');
  let count = 0;
  for (const _k in data) count++;
  if (count > limits.maxEventProperties) {
    return fail(522, ERR.propsLimit + `Maximum allowed is ${limits.maxEventProperties}. `);
  }
  const charged = name === 'Charged';
  for (const k in data) {
    const kd = checkKey(k);
    if (kd) return fail(512, ERR.structure + kd);
    const v = data[k];
    if (charged && k === 'Items') {
      const id = validateChargedItems(v, limits.maxEventProperties);
      if (id) return fail(512, ERR.structure + id);
      continue;
    }
    const vd = checkScalar(k, v);
    if (vd) return fail(512, ERR.structure + vd);
  }
  return null;
}

/** Email: local@domain.tld, no whitespace, one '@', a dot in the domain, TLD ≥ 2 chars. */
export function isValidEmail(v: unknown): boolean {
  if (typeof v !== 'string' || v.length < 6 || v.length > 254) return false;
  const at = v.indexOf('@');
  if (at < 1 || at !== v.lastIndexOf('@')) return false;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c <= 32 || c === 127 || c === 44 || c === 59 || c === 60 || c === 62 || c === 40 || c === 41) return false;
  }
  const domain = v.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  if (dot < 1 || domain.length - dot - 1 < 2) return false;
  if (domain.startsWith('.') || domain.includes('..') || v.slice(0, at).endsWith('.')) return false;
  return true;
}

/** E.164: '+' then 7–15 digits, the first not 0 (country codes start with 1-9), as a string. */
export function isValidPhone(v: unknown): boolean {
  if (typeof v !== 'string' || v.charCodeAt(0) !== 43 || v.charCodeAt(1) === 48) return false;
  const digits = v.length - 1;
  return digits >= 7 && digits <= 15 && isDigits(v, 1);
}

function isValidAge(v: unknown): boolean {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 && v < 200;
  if (typeof v === 'string') return isDigits(v, 0) && v.length <= 3;
  return false;
}

/** One profileData value: scalar, multi-value string array (custom keys only) or a single $ operator. */
function checkProfileValue(key: string, v: unknown): string | null {
  if (SUBSCRIPTION_KEYS.has(key)) return checkSubscription(key, v);
  if (Array.isArray(v)) {
    if (SINGLE_VALUE_PROFILE_KEYS.has(key)) return `'${key}' cannot have multiple values. `;
    return checkMultiValues(key, v);
  }
  if (isPlainObject(v)) {
    let op: string | undefined;
    let n = 0;
    for (const k in v) {
      op = k;
      n++;
    }
    if (n !== 1 || op === undefined || !PROFILE_OPERATORS.has(op)) {
      return `Value of '${key}' has an invalid data type (objects are only allowed as a single $add/$remove/$incr/$decr/$delete operation). `;
    }
    const arg = v[op];
    if (op === '$incr' || op === '$decr') {
      return typeof arg === 'number' && Number.isFinite(arg) ? null : `'${op}' on '${key}' needs a number. `;
    }
    if (op === '$add' || op === '$remove') {
      if (SINGLE_VALUE_PROFILE_KEYS.has(key)) return `'${key}' cannot have multiple values. `;
      if (typeof arg === 'string') return checkScalar(key, arg);
      if (Array.isArray(arg)) return checkMultiValues(key, arg);
      return `'${op}' on '${key}' needs a string or an array of strings. `;
    }
    return null; // $delete: any argument
  }
  return checkScalar(key, v);
}

/** `category-unsubscribe` / `category-resubscribe`: an object of channel → array of group names. */
function checkSubscription(key: string, v: unknown): string | null {
  if (!isPlainObject(v)) return `'${key}' must be an object of channel → array of group names. `;
  for (const ch in v) {
    if (ch.length === 0 || isBlank(ch)) return `'${key}' has an empty channel name. `;
    const groups = v[ch];
    if (!Array.isArray(groups)) return `'${key}.${ch}' must be an array of group names. `;
    const d = checkMultiValues(`${key}.${ch}`, groups);
    if (d) return d;
  }
  return null;
}

function checkMultiValues(key: string, arr: unknown[]): string | null {
  if (arr.length > MAX_MULTI_VALUES) return `'${key}' has more than ${MAX_MULTI_VALUES} values. `;
  for (let i = 0; i < arr.length; i++) {
    const s = arr[i];
    if (typeof s !== 'string') return `Values of multi-value '${key}' must be strings. `;
    if (tooManyBytes(s, MAX_VALUE_BYTES)) return `A value of '${key}' is longer than ${MAX_VALUE_BYTES} bytes. `;
  }
  return null;
}

function validateProfile(rec: Record<string, unknown>): RecordError | null {
  const pd = rec.profileData;
  if (!isPlainObject(pd)) return fail(524, PROFILE_BAD + 'profileData must be an object. ');
  // Standard fields first, in the documented code order.
  if (pd.Gender !== undefined && pd.Gender !== 'M' && pd.Gender !== 'F') return fail(514, ERR.gender);
  if (pd.Email !== undefined && !isValidEmail(pd.Email)) return fail(515, ERR.email);
  if (pd.Phone !== undefined && !isValidPhone(pd.Phone)) return fail(516, ERR.phone);
  if (pd.Employed !== undefined && pd.Employed !== 'Y' && pd.Employed !== 'N') return fail(517, ERR.employed);
  if (pd.Education !== undefined && pd.Education !== 'School' && pd.Education !== 'College' && pd.Education !== 'Graduate') {
    return fail(518, ERR.education);
  }
  if (pd.Married !== undefined && pd.Married !== 'Y' && pd.Married !== 'N') return fail(519, ERR.married);
  if (pd.Age !== undefined && !isValidAge(pd.Age)) return fail(520, ERR.age);
  if (pd.DOB !== undefined && !(typeof pd.DOB === 'string' && isDateValue(pd.DOB))) {
    return fail(512, PROFILE_BAD + 'DOB must be a date ($D_<epoch seconds>). ');
  }
  let custom = 0;
  for (const k in pd) {
    if (!STANDARD_PROFILE_KEYS.has(k) && ++custom > MAX_CUSTOM_PROFILE_KEYS) {
      return fail(512, PROFILE_BAD + `More than ${MAX_CUSTOM_PROFILE_KEYS} custom keys. `);
    }
    const kd = checkKey(k);
    if (kd) return fail(512, PROFILE_BAD + kd);
    const vd = checkProfileValue(k, pd[k]);
    if (vd) return fail(512, PROFILE_BAD + vd);
  }
  return null;
}

function validateToken(rec: Record<string, unknown>): RecordError | null {
  const td = rec.tokenData;
  if (!isPlainObject(td)) return fail(531, ERR.tokenData + 'tokenData must be an object. ');
  if (typeof td.id !== 'string' || td.id.length === 0 || isBlank(td.id)) return fail(532, ERR.tokenId);
  if (typeof td.type !== 'string' || td.type.length === 0) return fail(533, ERR.tokenType);
  if (!TOKEN_TYPES.has(td.type)) return fail(534, ERR.tokenTypeInvalid);
  if (td.type === 'chrome') {
    const keys = td.keys;
    if (!isPlainObject(keys) || typeof keys.p256dh !== 'string' || typeof keys.auth !== 'string') {
      return fail(535, ERR.tokenData + 'chrome tokens need keys.p256dh and keys.auth. ');
    }
  }
  return null;
}

/** Validates one /1/upload record; null when valid. */
export function validateRecord(rec: unknown, limits: ValidationLimits): RecordError | null {
  if (!isPlainObject(rec)) return fail(524, ERR.type);
  const type = rec.type;
  if (type !== 'event' && type !== 'profile' && type !== 'token') return fail(524, ERR.type);

  if (type === 'token') {
    // Only objectId identifies a token record.
    if (!isValidObjectId(rec.objectId)) return fail(530, ERR.tokenObjectId);
  } else {
    const hasId =
      isIdValue(rec.identity) ||
      (rec.objectId !== undefined && rec.objectId !== null) ||
      isIdValue(rec.FBID) ||
      isIdValue(rec.GPID);
    if (!hasId) return fail(523, ERR.identity);
    if (rec.objectId !== undefined && !isValidObjectId(rec.objectId)) return fail(526, ERR.objectId);
  }
  if (rec.ts !== undefined && !isValidTs(rec.ts)) return fail(525, ERR.ts);

  if (type === 'event') return validateEvent(rec, limits);
  if (type === 'profile') return validateProfile(rec);
  return validateToken(rec);
}
