// Settings compiled once per destination into what the mapping reads per message: the mode's spec, the
// settings that adjust it, and the spec's paths split once.
import type { CleverTapSettings } from './settings.js';
import { modeSpec, type ModeSpec, type TraitSource } from './modes.js';
import { ruleOptions, type RuleOptions } from './options.js';
import { compilePath, type Path } from './paths.js';
import { isReservedProfileKey, keyFacts, LINK_KEY, msgKey, snakeCase } from './keys.js';
import { memoize, type Memo } from './memo.js';

export interface MappingContext {
  spec: ModeSpec;
  trackAnonymous: boolean;
  /** The anonymousId is the user's CleverTap objectId (the spec's rule applied to the objectIdMapping setting). */
  anonymousIdIsObjectId: boolean;
  deviceTokenType?: string;
  rules: RuleOptions;
  userIdPaths: readonly Path[];
  viewNamePaths: readonly Path[];
  /** Trait keys never copied as custom traits: the standard traits and the spec's notCustom. */
  notCustom: ReadonlySet<string>;
  /** The trait sources the spec reads (traits.from and the standard traits' own), each with its path. */
  traitSources: readonly [TraitSource, Path][];
  /** Where a trait key goes as a custom trait: the key it is written under, NOT_CUSTOM or RESERVED (remembered per key). */
  customTraitKey: Memo<string | typeof NOT_CUSTOM | typeof RESERVED>;
  /**
   * Where the spec reads custom traits from `traits` alone, writes the standard fields last (forced) and has no
   * overrideFields, a trait key's part in profile.ts mapIdentifyPlain: PLAIN_TRAIT (a custom key sent as it is,
   * clean, not reserved, no standard field's key), NOT_CUSTOM, or GENERAL_PATH (anything else). Otherwise undefined.
   */
  plainTraitKey?: Memo<typeof NOT_CUSTOM | typeof PLAIN_TRAIT | typeof GENERAL_PATH>;
  /** With plainTraitKey: what mapIdentifyPlain does with each trait key list, by first key (profile.ts learnPlan). */
  traitPlans?: Map<string, TraitPlan[]>;
}

/**
 * mapIdentifyPlain's reading of one trait key list (for-in order), learnt once per list: messages of one kind carry
 * the same traits in the same order, so per message the keys are compared with the list, where asking
 * plainTraitKey about each key costs a map lookup, and the standard traits' values are taken from the one pass
 * over the traits (`values`, by position) instead of a keyed read each.
 */
export interface TraitPlan {
  readonly keys: readonly string[];
  /** Per key: plainTraitKey's answer; NOT_CUSTOM for "__proto__". */
  readonly parts: Uint8Array;
  /** The values of the message being mapped, by key position (cleared once it is mapped). */
  readonly values: unknown[];
  /** Per standard trait of the spec: its key position, or -1. */
  readonly standardAt: Int16Array;
  /** Key positions of the spec's first-name and last-name traits present, in the spec's order. */
  readonly firstNameAt: readonly number[];
  readonly lastNameAt: readonly number[];
  /** Key position of `ts`, or -1. */
  readonly tsAt: number;
  /** The profile fields (profile-fields.ts, by index) the profileData can hold: the only ones it must fix. */
  readonly profileFields: readonly number[];
}

/** customTraitKey: a standard trait or one of the spec's notCustom. */
export const NOT_CUSTOM = 0;
/** customTraitKey: a CleverTap identity key (identity, objectId, FBID, GPID in any case). */
export const RESERVED = 1;
/** plainTraitKey: written as it is. */
export const PLAIN_TRAIT = 2;
/** plainTraitKey: the message needs the general path. */
export const GENERAL_PATH = 3;

export function compileContext(s: CleverTapSettings): MappingContext {
  const spec = modeSpec(s.compat);
  const objectIdMapping = s.objectIdMapping ?? false;
  const notCustom = new Set([...spec.traits.standard.map((t) => t.trait), ...spec.traits.notCustom]);
  const canonicalMsgKeys = spec.traits.canonicalMsgKeys;
  const snake = spec.keyStyle === 'snake_case';
  const customTraitKey = memoize((k: string) => {
    if (notCustom.has(k)) return NOT_CUSTOM;
    if (isReservedProfileKey(k)) return RESERVED;
    return (canonicalMsgKeys ? msgKey(k) : undefined) ?? (snake ? snakeCase(k) : k);
  });
  const t = spec.traits;
  // The keys the standard fields (and the link) are written under: a custom trait of that name meets them.
  const fieldKeys = new Set([...t.standard.map((s) => s.field), 'Name', LINK_KEY]);
  const plain =
    t.from.length === 1 &&
    t.from[0] === 'traits' &&
    t.keyClashWinner === 'standard' &&
    !t.overrideFields &&
    t.standard.every((s) => s.from === undefined && keyFacts(s.field).isClean && !keyFacts(s.field).reserved) &&
    keyFacts('Name').isClean;
  return {
    spec,
    trackAnonymous: s.trackAnonymous ?? spec.trackAnonymous,
    anonymousIdIsObjectId: spec.ids.anonymousIdAsObjectId === 'always' || objectIdMapping,
    deviceTokenType: s.deviceTokenType,
    rules: ruleOptions(s),
    userIdPaths: spec.ids.userIdFrom.map(compilePath),
    viewNamePaths: spec.views.nameFrom.map(compilePath),
    notCustom,
    traitSources: [...new Set([...spec.traits.from, ...spec.traits.standard.flatMap((t) => t.from ?? [])])].map((t) => [t, compilePath(t)]),
    customTraitKey,
    plainTraitKey: plain
      ? memoize((k: string) => {
          const key = customTraitKey(k);
          if (key === NOT_CUSTOM) return NOT_CUSTOM;
          return key === k && !fieldKeys.has(k) && keyFacts(k).isClean && !keyFacts(k).reserved ? PLAIN_TRAIT : GENERAL_PATH;
        })
      : undefined,
    // Per destination: plans follow this context's plainTraitKey, which follows its settings.
    traitPlans: plain ? new Map() : undefined,
  };
}
