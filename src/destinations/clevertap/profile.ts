// identify → profile record, and alias → profile link, in each mode. Values are copied raw; rules.ts fixes them.
import type { InboundMessage } from '../../message/schema.js';
import type { Warning } from '../types.js';
import type { ProfileRecord } from './records.js';
import type { MappingContext } from './context.js';
import { idOf, resolveIds } from './identity.js';
import { KeyWriter, msgKey, snakeCase } from './keys.js';
import { recordSeconds } from './timestamps.js';
import { isReservedProfileKey, LINK_KEY } from './rules.js';

type Obj = Record<string, unknown>;

/** Segment trait → CleverTap standard field (issue list; RudderStack's table, §5). */
const STANDARD: [string, string][] = [
  ['name', 'Name'],
  ['email', 'Email'],
  ['phone', 'Phone'],
  ['gender', 'Gender'],
  ['birthday', 'DOB'],
  ['avatar', 'Photo'],
  ['employed', 'Employed'],
  ['education', 'Education'],
  ['married', 'Married'],
  ['customerType', 'Customer Type'],
];
/** Seed 004 names six standard traits for Segment; the rest are custom (and snake_cased) there. */
const STANDARD_SEGMENT = STANDARD.slice(0, 6);
const STANDARD_KEYS = new Set(STANDARD.map(([k]) => k));
const STANDARD_SEGMENT_KEYS = new Set(STANDARD_SEGMENT.map(([k]) => k));

const FIRST = ['firstName', 'firstname', 'first_name'];
const LAST = ['lastName', 'lastname', 'last_name'];
/** RudderStack's custom-field exclusion list (§5). */
const RUDDER_EXCLUDED = new Set([
  'email', 'firstName', 'firstname', 'first_name', 'lastName', 'lastname', 'last_name', 'name', 'phone', 'gender',
  'education', 'employed', 'birthday', 'married', 'customerType', 'anonymousId', 'avatar', 'userId', 'id', 'ts',
  'overrideFields',
]);

function obj(v: unknown): Obj | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

function firstOf(sources: (Obj | undefined)[], keys: string[]): unknown {
  for (const s of sources) {
    if (!s) continue;
    for (const k of keys) if (present(s[k])) return s[k];
  }
  return undefined;
}

function reserved(warnings: Warning[], field: string): void {
  warnings.push({
    code: 'reserved_key',
    field,
    message: `${JSON.stringify(field)} is a CleverTap identity key: a trait of that name would merge this profile with another user's; dropped`,
  });
}

/**
 * Own and segment modes: custom traits (snake_cased in segment mode), then the standard fields, which win over
 * a custom trait holding their CleverTap key. Keys that meet under one name: see KeyWriter (`key_collision`).
 */
function ownTraits(traits: Obj, segment: boolean, warnings: Warning[]): Obj {
  const std = segment ? STANDARD_SEGMENT_KEYS : STANDARD_KEYS;
  const w = new KeyWriter({}, warnings);
  for (const k in traits) {
    const v = traits[k];
    if (v === undefined || v === null || k === 'ts' || k === '__proto__' || std.has(k)) continue;
    if (isReservedProfileKey(k)) {
      reserved(warnings, k);
      continue;
    }
    const m = msgKey(k);
    w.put(m ?? (segment ? snakeCase(k) : k), k, v);
  }
  for (const [src, dst] of segment ? STANDARD_SEGMENT : STANDARD) {
    const v = traits[src];
    if (present(v)) w.put(dst, src, v, true);
  }
  const data = w.out;
  if (data.Name === undefined) {
    // Segment's spec: name is "first last" when only the parts are given; either part alone will do.
    const first = firstOf([traits], FIRST);
    const last = firstOf([traits], LAST);
    if (first !== undefined || last !== undefined) data.Name = [first, last].filter((x) => x !== undefined).join(' ');
  }
  return data;
}

/**
 * RudderStack §4.1: mapped fields (traits before context.traits), Name from first AND last, then the custom keys
 * of traits and context.traits (context.traits wins for a key in both). Custom keys come AFTER the mapped ones,
 * so a custom trait literally named "Email" or "Name" replaces the mapped value, as in RudderStack (with a
 * `key_collision` warning here; the value still passes the rules). overrideFields last.
 */
function rudderTraits(msg: InboundMessage, traits: Obj | undefined, ctraits: Obj | undefined, warnings: Warning[]): Obj {
  const w = new KeyWriter({}, warnings);
  const sources = [traits, ctraits];
  for (const [src, dst] of STANDARD) {
    const v = firstOf(src === 'email' ? [traits, ctraits, obj(msg.properties)] : sources, [src]);
    if (v !== undefined) w.put(dst, src, v);
  }
  const data = w.out;
  if (data.Name === undefined) {
    const first = firstOf(sources, FIRST);
    const last = firstOf(sources, LAST);
    if (first !== undefined && last !== undefined) w.put('Name', 'firstName + lastName', `${first} ${last}`);
  }
  for (const src of sources) {
    if (!src) continue;
    for (const k in src) {
      const v = src[k];
      if (v === undefined || v === null || k === '__proto__' || k === 'constructor' || k === 'prototype' || RUDDER_EXCLUDED.has(k)) continue;
      if (isReservedProfileKey(k)) {
        reserved(warnings, k);
        continue;
      }
      w.put(k, k, v);
    }
  }
  const override = obj(traits?.overrideFields) ?? obj(ctraits?.overrideFields);
  if (override) {
    for (const k in override) {
      if (k === '__proto__') continue;
      if (isReservedProfileKey(k)) {
        reserved(warnings, `overrideFields.${k}`);
        continue;
      }
      if (override[k] === null || override[k] === undefined) delete data[k];
      else data[k] = override[k];
    }
  }
  return data;
}

export function mapIdentify(msg: InboundMessage, ctx: MappingContext, warnings: Warning[]): ProfileRecord {
  const traits = obj(msg.traits);
  const ctraits = ctx.mode === 'rudderstack' ? obj(obj(msg.context)?.traits) : undefined;
  const profileData = ctx.mode === 'rudderstack' ? rudderTraits(msg, traits, ctraits, warnings) : ownTraits(traits ?? {}, ctx.mode === 'segment', warnings);
  const ids = resolveIds(msg, ctx, true);
  // The only way into profileData.identity: traits of that name were dropped above.
  if (ids.link) profileData[LINK_KEY] = ids.link;
  const explicit = traits?.ts ?? ctraits?.ts;
  return profileRecord(ids.identity, ids.objectId, recordSeconds(explicit, msg, warnings), profileData);
}

/**
 * alias → {identity: previousId, profileData: {identity: userId}}. Where the anonymousId is the CleverTap
 * objectId (segment mode, or objectIdMapping outside rudderstack mode) and previousId is that anonymousId, the
 * link is made from the objectId instead.
 */
export function mapAlias(msg: InboundMessage, ctx: MappingContext, warnings: Warning[]): ProfileRecord {
  const prev = idOf(msg.previousId);
  const user = idOf(msg.userId);
  const anonIsObjectId = ctx.mode === 'segment' || (ctx.mode === 'own' && ctx.objectIdMapping);
  const byObjectId = anonIsObjectId && prev !== undefined && prev === idOf(msg.anonymousId);
  const profileData: Obj = {};
  if (user) profileData[LINK_KEY] = user;
  const traits = obj(msg.traits);
  const explicit = traits?.ts ?? (ctx.mode === 'rudderstack' ? obj(obj(msg.context)?.traits)?.ts : undefined);
  return profileRecord(byObjectId ? undefined : prev, byObjectId ? prev : undefined, recordSeconds(explicit, msg, warnings), profileData);
}

function profileRecord(identity: string | undefined, objectId: string | undefined, ts: number | undefined, profileData: Obj): ProfileRecord {
  const r = { type: 'profile' } as ProfileRecord;
  if (identity !== undefined) r.identity = identity;
  if (objectId !== undefined) r.objectId = objectId;
  if (ts !== undefined) r.ts = ts;
  r.profileData = profileData as ProfileRecord['profileData'];
  return r;
}
