// identify → profile record, and alias → profile link, as the mode's spec says (modes.ts: traits, ids).
// Values are copied raw; enforce.ts makes them acceptable to CleverTap.
import type { InboundMessage } from '../../message/schema.js';
import type { Warning } from '../../core/job.js';
import type { ProfileRecord } from './records.js';
import { GENERAL_PATH, NOT_CUSTOM, PLAIN_TRAIT, RESERVED, type MappingContext, type TraitPlan } from './context.js';
import type { MappedFacts } from './records.js';
import { profileFieldIndices } from './profile-fields.js';
import type { ModeSpec, TraitSource } from './modes.js';
import { idOf } from './ids.js';
import { resolveIds } from './identity.js';
import { isReservedProfileKey, KeyWriter, LINK_KEY } from './keys.js';
import { obj, present, readPath } from './paths.js';
import { recordSeconds } from './timestamps.js';

type Obj = Record<string, unknown>;
type Sources = Partial<Record<TraitSource, Obj>>;

/** The objects the spec reads traits from (only those). */
function sourcesOf(msg: InboundMessage, ctx: MappingContext): Sources {
  // Every source key is present (most undefined), so every Sources object has one layout.
  const out: Sources = { traits: undefined, 'context.traits': undefined, properties: undefined };
  const reads = ctx.traitSources;
  for (let i = 0; i < reads.length; i++) out[reads[i][0]] = obj(readPath(msg, reads[i][1]));
  return out;
}

function firstOf(sources: Sources, from: readonly TraitSource[], keys: readonly string[]): unknown {
  for (const f of from) {
    const s = sources[f];
    if (!s) continue;
    for (const k of keys) if (present(s[k])) return s[k];
  }
  return undefined;
}

/** firstOf for one key. */
function firstOfKey(sources: Sources, from: readonly TraitSource[], key: string): unknown {
  for (const f of from) {
    const s = sources[f];
    if (s && present(s[key])) return s[key];
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

/** The standard fields, then Name from the name parts when there is no Name yet. */
function standardFields(w: KeyWriter, sources: Sources, ctx: MappingContext, force: boolean): void {
  const t = ctx.spec.traits;
  for (const s of t.standard) {
    const v = firstOfKey(sources, s.from ?? t.from, s.trait);
    if (v !== undefined) w.put(s.field, s.trait, v, force);
  }
  if (w.out.Name !== undefined) return;
  const first = firstOf(sources, t.from, t.firstName);
  const last = firstOf(sources, t.from, t.lastName);
  const enough = t.nameFromParts === 'both' ? first !== undefined && last !== undefined : first !== undefined || last !== undefined;
  if (enough) w.put('Name', 'firstName + lastName', [first, last].filter((x) => x !== undefined).join(' '));
}

/** Custom traits of every source in order (a later source wins for a key), under the mode's key style. */
function customTraits(w: KeyWriter, sources: Sources, ctx: MappingContext, warnings: Warning[]): void {
  for (const from of ctx.spec.traits.from) {
    const src = sources[from];
    if (!src) continue;
    for (const k in src) {
      const v = src[k];
      if (v === undefined || v === null || k === '__proto__') continue;
      const key = ctx.customTraitKey(k);
      if (key === NOT_CUSTOM) continue;
      if (key === RESERVED) reserved(warnings, k);
      else w.put(key, k, v);
    }
  }
}

/** overrideFields of the first source that has them, written last and as they are (null removes a key). */
function overrideFields(data: Obj, sources: Sources, ctx: MappingContext, warnings: Warning[]): void {
  let override: Obj | undefined;
  for (const from of ctx.spec.traits.from) if ((override = obj(sources[from]?.overrideFields))) break;
  if (!override) return;
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

/**
 * profileData from the traits. Keys that meet under one name: see KeyWriter (`key_collision`). Where a custom
 * trait holds a standard field's CleverTap key ("Email" beside email), the spec's keyClashWinner decides: the
 * standard fields are written last and forced ('standard'), or first, the custom keys then replacing them ('custom').
 */
function profileData(sources: Sources, ctx: MappingContext, warnings: Warning[]): Obj {
  const w = new KeyWriter({}, warnings);
  const standardWins = ctx.spec.traits.keyClashWinner === 'standard';
  if (!standardWins) standardFields(w, sources, ctx, false);
  customTraits(w, sources, ctx, warnings);
  if (standardWins) standardFields(w, sources, ctx, true);
  if (ctx.spec.traits.overrideFields) overrideFields(w.out, sources, ctx, warnings);
  return w.out;
}

/** The record's explicit ts: `ts` of the first trait source that has one. */
function explicitTs(sources: Sources, ctx: MappingContext): unknown {
  for (const from of ctx.spec.traits.from) {
    const ts = sources[from]?.ts;
    if (ts !== undefined && ts !== null) return ts;
  }
  return undefined;
}

export function mapIdentify(msg: InboundMessage, ctx: MappingContext, warnings: Warning[]): ProfileRecord {
  const sources = sourcesOf(msg, ctx);
  const data = profileData(sources, ctx, warnings);
  return identifyRecord(msg, ctx, explicitTs(sources, ctx), data, warnings);
}

/**
 * mapIdentify where every custom trait is written as it is (ctx.plainTraitKey: a clean key, not reserved, no
 * standard field's), in one pass over the traits without a KeyWriter: nothing can meet, so nothing is warned
 * about. Its profileData keys then need no cleaning either (enforce.ts, `keysChecked`). undefined, with nothing
 * written or warned, for a message that needs mapIdentify.
 */
export function mapIdentifyPlain(msg: InboundMessage, ctx: MappingContext, warnings: Warning[], facts?: MappedFacts): ProfileRecord | undefined {
  const plainTraitKey = ctx.plainTraitKey;
  if (!plainTraitKey) return undefined;
  const src = obj(readPath(msg, ctx.traitSources[0][1]));
  if (!src) return identifyRecord(msg, ctx, undefined, plainStandardFields({}, undefined, ctx), warnings);
  let first: string | undefined;
  for (const k in src) {
    first = k;
    break;
  }
  const plans = first === undefined ? undefined : ctx.traitPlans!.get(first);
  if (plans !== undefined) {
    for (let p = 0; p < plans.length; p++) {
      const plan = plans[p];
      const data = plannedTraits(src, plan);
      if (data === OTHER_KEYS) continue;
      if (data === undefined) return undefined;
      if (facts) facts.profileFields = plan.profileFields;
      const ts = plan.tsAt < 0 ? undefined : plan.values[plan.tsAt];
      plannedStandardFields(data, plan, ctx);
      // The plan outlives the message: it must not keep the message's values alive.
      plan.values.fill(undefined);
      return identifyRecord(msg, ctx, ts === null ? undefined : ts, data, warnings);
    }
  }
  learnPlan(src, ctx, plainTraitKey);
  const data: Obj = {};
  for (const k in src) {
    const v = src[k];
    if (v === undefined || v === null || k === '__proto__') continue;
    const part = plainTraitKey(k);
    if (part === PLAIN_TRAIT) data[k] = v;
    else if (part === GENERAL_PATH) return undefined;
  }
  const ts = src.ts;
  return identifyRecord(msg, ctx, ts === null ? undefined : ts, plainStandardFields(data, src, ctx), warnings);
}

/** plannedTraits: the traits' keys are not the plan's. */
const OTHER_KEYS = 0;

/** The custom traits by a plan (its `values` then hold the traits' values), undefined for the general path, OTHER_KEYS. */
function plannedTraits(src: Obj, plan: TraitPlan): Obj | undefined | typeof OTHER_KEYS {
  const keys = plan.keys;
  const parts = plan.parts;
  const values = plan.values;
  const data: Obj = {};
  let i = 0;
  for (const k in src) {
    if (i >= keys.length || keys[i] !== k) return OTHER_KEYS;
    const v = src[k];
    values[i] = v;
    if (v !== undefined && v !== null) {
      const part = parts[i];
      if (part === PLAIN_TRAIT) data[k] = v;
      else if (part === GENERAL_PATH) return undefined;
    }
    i++;
  }
  return i === keys.length ? data : OTHER_KEYS;
}

/**
 * At most MAX_PLANS first keys per destination (all forgotten at once when full, as memo.ts), each with the latest
 * PLANS_PER_FIRST_KEY key lists starting with it (optional traits make several), of at most MAX_PLAN_KEYS keys.
 */
const MAX_PLANS = 1000;
const PLANS_PER_FIRST_KEY = 4;
const MAX_PLAN_KEYS = 128;

function learnPlan(src: Obj, ctx: MappingContext, plainTraitKey: NonNullable<MappingContext['plainTraitKey']>): void {
  const plans = ctx.traitPlans!;
  const keys: string[] = [];
  for (const k in src) if (keys.push(k) > MAX_PLAN_KEYS) return;
  if (keys.length === 0) return;
  const t = ctx.spec.traits;
  const parts = new Uint8Array(keys.length);
  // The keys profileData can get: plain traits, the standard fields present, Name and the link.
  const written = new Set<string>(['Name', LINK_KEY]);
  for (let i = 0; i < keys.length; i++) {
    parts[i] = keys[i] === '__proto__' ? NOT_CUSTOM : plainTraitKey(keys[i]);
    if (parts[i] === PLAIN_TRAIT) written.add(keys[i]);
  }
  const standardAt = new Int16Array(t.standard.length);
  for (let s = 0; s < t.standard.length; s++) {
    standardAt[s] = keys.indexOf(t.standard[s].trait);
    if (standardAt[s] >= 0) written.add(t.standard[s].field);
  }
  const at = (names: readonly string[]) => names.map((n) => keys.indexOf(n)).filter((i) => i >= 0);
  let list = plans.get(keys[0]);
  if (list === undefined) {
    if (plans.size >= MAX_PLANS) plans.clear();
    plans.set(keys[0], (list = []));
  }
  if (list.length >= PLANS_PER_FIRST_KEY) list.shift();
  list.push({
    keys,
    parts,
    values: new Array<unknown>(keys.length).fill(undefined),
    standardAt,
    firstNameAt: at(t.firstName),
    lastNameAt: at(t.lastName),
    tsAt: keys.indexOf('ts'),
    profileFields: profileFieldIndices(written),
  });
}

/** plainStandardFields from a plan's values. */
function plannedStandardFields(data: Obj, plan: TraitPlan, ctx: MappingContext): Obj {
  const t = ctx.spec.traits;
  const standard = t.standard;
  const values = plan.values;
  const at = plan.standardAt;
  for (let i = 0; i < standard.length; i++) {
    if (at[i] < 0) continue;
    const v = values[at[i]];
    if (present(v)) data[standard[i].field] = v;
  }
  if (data.Name === undefined) nameFromParts(data, t.nameFromParts, presentAt(values, plan.firstNameAt), presentAt(values, plan.lastNameAt));
  return data;
}

/** Name from the first/last name parts found (as the spec's nameFromParts says), when there is no Name. */
function nameFromParts(data: Obj, parts: ModeSpec['traits']['nameFromParts'], first: unknown, last: unknown): void {
  const enough = parts === 'both' ? first !== undefined && last !== undefined : first !== undefined || last !== undefined;
  if (enough) data.Name = [first, last].filter((x) => x !== undefined).join(' ');
}

/** presentOf by key positions. */
function presentAt(values: readonly unknown[], at: readonly number[]): unknown {
  for (let i = 0; i < at.length; i++) if (present(values[at[i]])) return values[at[i]];
  return undefined;
}

/** standardFields (forced) where `traits` is the only source and no field's key is taken: plain stores. */
function plainStandardFields(data: Obj, src: Obj | undefined, ctx: MappingContext): Obj {
  if (!src) return data;
  const t = ctx.spec.traits;
  const standard = t.standard;
  for (let i = 0; i < standard.length; i++) {
    const v = src[standard[i].trait];
    if (present(v)) data[standard[i].field] = v;
  }
  if (data.Name === undefined) nameFromParts(data, t.nameFromParts, presentOf(src, t.firstName), presentOf(src, t.lastName));
  return data;
}

/** The first present value of `keys` in one source (firstOf). */
function presentOf(src: Obj, keys: readonly string[]): unknown {
  for (const k of keys) if (present(src[k])) return src[k];
  return undefined;
}

function identifyRecord(msg: InboundMessage, ctx: MappingContext, explicit: unknown, data: Obj, warnings: Warning[]): ProfileRecord {
  const ids = resolveIds(msg, ctx, true);
  // The only way into profileData.identity: traits of that name were dropped above.
  if (ids.link) data[LINK_KEY] = ids.link;
  return profileRecord(ids.identity, ids.objectId, recordSeconds(explicit, msg, warnings), data);
}

/**
 * alias → {identity: previousId, profileData: {identity: userId}}. Where the spec links aliases by objectId, the
 * anonymousId is the objectId and previousId is that anonymousId, the link is made from the objectId instead.
 */
export function mapAlias(msg: InboundMessage, ctx: MappingContext, warnings: Warning[]): ProfileRecord {
  const prev = idOf(msg.previousId);
  const user = idOf(msg.userId);
  const byObjectId = ctx.spec.ids.aliasByObjectId && ctx.anonymousIdIsObjectId && prev !== undefined && prev === idOf(msg.anonymousId);
  const data: Obj = {};
  if (user) data[LINK_KEY] = user;
  const ts = recordSeconds(explicitTs(sourcesOf(msg, ctx), ctx), msg, warnings);
  return profileRecord(byObjectId ? undefined : prev, byObjectId ? prev : undefined, ts, data);
}

function profileRecord(identity: string | undefined, objectId: string | undefined, ts: number | undefined, profileData: Obj): ProfileRecord {
  const r = { type: 'profile' } as ProfileRecord;
  if (identity !== undefined) r.identity = identity;
  if (objectId !== undefined) r.objectId = objectId;
  if (ts !== undefined) r.ts = ts;
  r.profileData = profileData as ProfileRecord['profileData'];
  return r;
}
