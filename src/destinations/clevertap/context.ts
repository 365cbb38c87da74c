// Settings compiled once per destination into what the mapping reads per message: the mode's spec, the
// settings that adjust it, and the spec's paths split once.
import type { CleverTapSettings } from './settings.js';
import { modeSpec, type ModeSpec, type TraitSource } from './modes.js';
import { ruleOptions, type RuleOptions } from './options.js';
import { compilePath, type Path } from './paths.js';
import { isReservedProfileKey, msgKey, snakeCase } from './keys.js';
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
}

/** customTraitKey: a standard trait or one of the spec's notCustom. */
export const NOT_CUSTOM = 0;
/** customTraitKey: a CleverTap identity key (identity, objectId, FBID, GPID in any case). */
export const RESERVED = 1;

export function compileContext(s: CleverTapSettings): MappingContext {
  const spec = modeSpec(s.compat);
  const objectIdMapping = s.objectIdMapping ?? false;
  const notCustom = new Set([...spec.traits.standard.map((t) => t.trait), ...spec.traits.notCustom]);
  const canonicalMsgKeys = spec.traits.canonicalMsgKeys;
  const snake = spec.keyStyle === 'snake_case';
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
    customTraitKey: memoize((k) => {
      if (notCustom.has(k)) return NOT_CUSTOM;
      if (isReservedProfileKey(k)) return RESERVED;
      return (canonicalMsgKeys ? msgKey(k) : undefined) ?? (snake ? snakeCase(k) : k);
    }),
  };
}
