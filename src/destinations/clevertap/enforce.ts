// CleverTap's rules, applied to every record after mapping, in every mode: the one place that decides what
// CleverTap may receive. `enforceRecords` is the entry point: it fixes the freshly built records in place (nested
// input values are never mutated: Items and subscription objects are rebuilt) and returns them, or the rejection.
//
// Policy:
// - A value that can be fixed is fixed, with a warning naming the field (values.ts, profile-fields.ts).
// - A record that cannot be fixed is rejected with CleverTap's code: no identity (523), no event name (509),
//   restricted system event (513), too many event properties (522: rejected, as CleverTap does, rather than
//   dropping an arbitrary subset), evtData not an object (512), Charged Items not a list (512). A profile with more
//   than 256 custom keys → too_many_profile_keys (no CleverTap code documented).
// - Keys are cleaned (text.ts) before standard fields are checked, so " Email" is validated as Email. Keys that
//   clean to the same name keep one value (KeyWriter): the key already clean wins, else the first;
//   `key_collision` names both. Profiles never carry identity/objectId/FBID/GPID (any case) except the
//   mapping's link under exactly `identity` (`reserved_key`).
// - ts must be integer epoch seconds in 2001–2100, else it is removed with `invalid_ts`. A blank id is no id.
// - A bad device token costs only itself (`token_skipped`), never the profile it came with.
import type { TransformError, Warning } from '../../core/job.js';
import { CLEVERTAP_CODES } from '../../clevertap/codes.js';
import { CHARGED_EVENT, CHARGED_ITEMS_KEY, MAX_CUSTOM_PROFILE_KEYS, MAX_EVENT_NAME_BYTES, SUBSCRIPTION_KEYS, TOKEN_TYPES } from '../../clevertap/limits.js';
import type { CleverTapRecord, EventRecord, ProfileRecord, TokenRecord } from './records.js';
import type { RuleOptions } from './options.js';
import { idOf } from './ids.js';
import { keyFacts, KeyWriter, LINK_KEY } from './keys.js';
import { fixProfileFields, STANDARD_PROFILE_KEYS } from './profile-fields.js';
import { KeyShapes } from './shapes.js';
import { eventNameFacts } from './text.js';
import { plausibleTs } from './timestamps.js';
import { DROP, items, keptAsIs, keyWarning, scalar, show, subscription, warn } from './values.js';

/**
 * Applies CleverTap's rules to the records of one message: the records to send (a token that fails its checks is
 * left out with `token_skipped`), or the rejection of the whole message. `keysChecked`: a profileData whose keys the
 * mapping knows to be clean, none reserved but the link (records.ts MappedFacts): only its values are checked;
 * `profileFields`: the profile fields that profileData can hold (the only ones then fixed).
 */
export function enforceRecords(records: CleverTapRecord[], o: RuleOptions, warnings: Warning[], keysChecked?: object, profileFields?: readonly number[]): CleverTapRecord[] | TransformError {
  let out = records;
  let rejection: TransformError | null = null;
  for (const rec of records) {
    const err = rec.type === 'token' ? checkToken(rec) : rec.type === 'profile' ? enforceProfile(rec, o, warnings, keysChecked, profileFields) : enforceEvent(rec, o, warnings);
    if (!err) continue;
    if (rec.type !== 'token') {
      rejection ??= err;
      out = out.filter((r) => r !== rec);
      continue;
    }
    warnings.push({ code: 'token_skipped', field: 'context.device.token', message: err.message });
    out = out.filter((r) => r !== rec);
  }
  if (!rejection) return out;
  // A device token never depends on its profile: without it the user silently stops getting push.
  const tokens = out.filter((r) => r.type === 'token');
  if (tokens.length === 0) return rejection;
  warnings.push({ code: 'profile_rejected', message: `${rejection.message} (${rejection.code}): the profile is not sent, the device token is` });
  return tokens;
}

function reject(code: string, message: string, clevertapCode?: number): TransformError {
  return clevertapCode === undefined ? { code, message } : { code, message, clevertapCode };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function countKeys(o: object): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

/** Token records are checked for shape only (530–534). */
function checkToken(rec: TokenRecord): TransformError | null {
  if (typeof rec.objectId !== 'string' || !rec.objectId) return reject('invalid_token', 'device token needs an objectId', CLEVERTAP_CODES.invalidTokenObjectId);
  if (!rec.tokenData || typeof rec.tokenData.id !== 'string' || !rec.tokenData.id) return reject('invalid_token', 'device token id is missing', CLEVERTAP_CODES.missingTokenId);
  if (typeof rec.tokenData.type !== 'string' || !rec.tokenData.type) return reject('invalid_token', 'device token type is missing', CLEVERTAP_CODES.missingTokenType);
  if (!TOKEN_TYPES.includes(rec.tokenData.type)) return reject('invalid_token', `device token type ${show(rec.tokenData.type)} is not one of ${TOKEN_TYPES.join(', ')}`, CLEVERTAP_CODES.invalidTokenType);
  return null;
}

/** Who the record is about (523 without) and when (ts removed when implausible). */
function checkIdsAndTs(rec: EventRecord | ProfileRecord, warnings: Warning[]): TransformError | null {
  // A blank id is no id (CleverTap: 523); the mapping never sets one, this keeps the rule in one place.
  if (rec.identity !== undefined && idOf(rec.identity) === undefined) delete rec.identity;
  if (rec.objectId !== undefined && idOf(rec.objectId) === undefined) delete rec.objectId;
  if (!rec.identity && !rec.objectId) return reject('missing_identity', 'no identity: the message needs a userId or an anonymousId', CLEVERTAP_CODES.missingIdentity);
  if (rec.ts !== undefined && (!Number.isInteger(rec.ts) || !plausibleTs(rec.ts))) {
    warn(warnings, 'invalid_ts', 'ts', `ts ${show(rec.ts)} is not plausible epoch seconds (2001–2100): CleverTap uses its receive time`);
    delete rec.ts;
  }
  return null;
}

function enforceProfile(rec: ProfileRecord, o: RuleOptions, warnings: Warning[], keysChecked: object | undefined, profileFields: readonly number[] | undefined): TransformError | null {
  const bad = checkIdsAndTs(rec, warnings);
  if (bad) return bad;
  if (!isObject(rec.profileData)) return reject('invalid_profile', 'profileData must be an object', CLEVERTAP_CODES.invalidProfileData);
  // Keys first, so a key that cleans into a standard one (" Email", "E.mail") is validated as that field.
  const checked = rec.profileData === keysChecked;
  const pd = cleanData(rec.profileData, 'profile', warnings, checked);
  rec.profileData = pd as ProfileRecord['profileData'];
  return fixProfileFields(pd, o, warnings, checked ? profileFields : undefined) ?? customKeyLimit(pd);
}

function enforceEvent(rec: EventRecord, o: RuleOptions, warnings: Warning[]): TransformError | null {
  const bad = checkIdsAndTs(rec, warnings);
  if (bad) return bad;
  const raw = rec.evtName as unknown;
  if (typeof raw !== 'string' || raw.trim() === '') return reject('missing_event_name', 'the event has no name', CLEVERTAP_CODES.missingEventName);
  const { name, restricted } = eventNameFacts(raw);
  if (!name) return reject('missing_event_name', `event name ${show(raw)} has no valid characters`, CLEVERTAP_CODES.missingEventName);
  if (name !== raw) {
    warn(warnings, 'event_name_cleaned', 'evtName', `event name sent as ${show(name)} (prohibited characters, spaces or over ${MAX_EVENT_NAME_BYTES} bytes)`);
    rec.evtName = name;
  }
  if (restricted) return reject('restricted_event', `"${name}" is a CleverTap system event and cannot be raised`, CLEVERTAP_CODES.restrictedEvent);
  if (!isObject(rec.evtData)) return reject('invalid_event', 'evtData must be an object', CLEVERTAP_CODES.invalidEventStructure);
  const charged = name === CHARGED_EVENT;
  const data = cleanData(rec.evtData, charged ? 'charged' : 'event', warnings);
  rec.evtData = data as EventRecord['evtData'];
  if (charged) {
    const badItems = checkItems(data);
    if (badItems) return badItems;
    amountAsNumber(data, warnings);
  }
  limitProperties(data, o.maxEventProperties, charged, warnings);
  return null;
}

/** Keys kept first when an event is over the limit: what makes a Charged event a purchase. */
const CHARGED_FIRST = ['Charged ID', 'Amount', CHARGED_ITEMS_KEY];

/**
 * An event over CleverTap's per-event property limit is sent with its first `max` properties (Charged ID, Amount
 * and Items first, then message order); the warning lists the keys left out. Charged Items are trimmed the same way.
 */
function limitProperties(data: Record<string, unknown>, max: number, charged: boolean, warnings: Warning[], field = 'evtData'): void {
  if (charged && Array.isArray(data[CHARGED_ITEMS_KEY])) {
    const list = data[CHARGED_ITEMS_KEY] as Record<string, unknown>[];
    for (let i = 0; i < list.length; i++) if (isObject(list[i])) limitProperties(list[i], max, false, warnings, `${CHARGED_ITEMS_KEY}[${i}]`);
  }
  const count = countKeys(data);
  if (count <= max) return;
  const order = charged ? [...CHARGED_FIRST.filter((k) => k in data), ...Object.keys(data).filter((k) => !CHARGED_FIRST.includes(k))] : Object.keys(data);
  const dropped = order.slice(max);
  for (const k of dropped) delete data[k];
  warnings.push({
    code: 'too_many_properties',
    field,
    message: `${count} properties; CleverTap takes ${max} (maxEventProperties): left out ${dropped.map((k) => JSON.stringify(k)).join(', ')}`,
  });
}

type Kind = 'event' | 'charged' | 'profile';

function value(kind: Kind, key: string, v: unknown, warnings: Warning[]): unknown {
  if (kind === 'charged' && key === CHARGED_ITEMS_KEY) return items(v, warnings);
  if (kind === 'profile') {
    if (SUBSCRIPTION_KEYS.includes(key)) return subscription(key, v, warnings);
    // DOB is converted whole by its profile-field rule ("$D_…" included): a rejection then names the value as sent.
    if (key === 'DOB' && typeof v === 'string') return v;
  }
  return scalar(key, v, warnings);
}

function reservedKey(warnings: Warning[], field: string): void {
  warn(warnings, 'reserved_key', field, `${JSON.stringify(field)} is a CleverTap identity key: a profile property of that name would merge this profile with another user's; dropped`);
}

/** Key lists of records whose keys are all clean, none reserved (the same properties recur in every message). */
const CLEAN_KEYS = new KeyShapes();

/**
 * Cleans keys and values; returns the same object when no key changed (values are fixed in place). Keys that
 * clean to the same name do not overwrite each other: a key that is already clean wins, else the first one, and
 * the other is dropped with `key_collision`. Profiles lose identity keys (`reserved_key`) except the link.
 */
function cleanData(data: Record<string, unknown>, kind: Kind, warnings: Warning[], keysChecked = false): Record<string, unknown> {
  const profile = kind === 'profile';
  let dirty = false;
  let reservedKeys = false;
  if (!keysChecked && !CLEAN_KEYS.has(data)) {
    for (const k in data) {
      const f = keyFacts(k);
      if (!f.isClean) {
        dirty = true;
        break;
      }
      if (f.reserved) reservedKeys = true;
    }
    if (!dirty && !reservedKeys) CLEAN_KEYS.add(data);
  }
  if (!dirty) {
    const checkReserved = profile && reservedKeys;
    for (const k in data) {
      if (checkReserved && k !== LINK_KEY && keyFacts(k).reserved) {
        reservedKey(warnings, k);
        delete data[k];
        continue;
      }
      const v = data[k];
      const x = keptAsIs(v) ? v : value(kind, k, v, warnings);
      if (x === DROP) delete data[k];
      else if (x !== v) data[k] = x;
    }
    return data;
  }
  const out: Record<string, unknown> = {};
  const w = new KeyWriter(out, warnings);
  for (const k in data) {
    const { clean: key, reserved } = keyFacts(k);
    if (profile && k !== LINK_KEY && reserved) {
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

function customKeyLimit(pd: Record<string, unknown>): TransformError | null {
  if (countKeys(pd) <= MAX_CUSTOM_PROFILE_KEYS) return null;
  let custom = 0;
  for (const k in pd) if (!STANDARD_PROFILE_KEYS.has(k)) custom++;
  if (custom <= MAX_CUSTOM_PROFILE_KEYS) return null;
  return reject('too_many_profile_keys', `the profile has ${custom} custom properties; CleverTap allows ${MAX_CUSTOM_PROFILE_KEYS} (dropping some would lose data)`);
}

/** Charged Items after cleaning: a list (a scalar cannot be fixed: 512). */
function checkItems(data: Record<string, unknown>): TransformError | null {
  const it = data[CHARGED_ITEMS_KEY];
  if (it === undefined || Array.isArray(it)) return null;
  return reject('invalid_products', `Charged Items ${show(it)} is not a list of objects`, CLEVERTAP_CODES.invalidEventStructure);
}

/** Charged Amount must be a number: a numeric string is converted, anything else dropped (with a warning). */
function amountAsNumber(data: Record<string, unknown>, warnings: Warning[]): void {
  const a = data.Amount;
  if (a === undefined || typeof a === 'number') return;
  const n = typeof a === 'string' && a.trim() !== '' ? Number(a) : NaN;
  if (Number.isFinite(n)) {
    warn(warnings, 'value_normalised', 'Amount', `Amount ${show(a)} sent as the number ${n}`);
    data.Amount = n;
  } else {
    warn(warnings, 'invalid_amount', 'Amount', `Amount ${show(a)} dropped: CleverTap needs a number`);
    delete data.Amount;
  }
}
