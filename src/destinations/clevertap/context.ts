// Settings compiled once per destination into what the mapping reads per message: the mode's spec, the
// settings that adjust it, and the spec's paths split once.
import type { CleverTapSettings } from './settings.js';
import { modeSpec, type ModeSpec, type TraitSource } from './modes.js';
import { ruleOptions, type RuleOptions } from './options.js';
import { compilePath, type Path } from './paths.js';

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
}

export function compileContext(s: CleverTapSettings): MappingContext {
  const spec = modeSpec(s.compat);
  const objectIdMapping = s.objectIdMapping ?? false;
  return {
    spec,
    trackAnonymous: s.trackAnonymous ?? spec.trackAnonymous,
    anonymousIdIsObjectId: spec.ids.anonymousIdAsObjectId === 'always' || objectIdMapping,
    deviceTokenType: s.deviceTokenType,
    rules: ruleOptions(s),
    userIdPaths: spec.ids.userIdFrom.map(compilePath),
    viewNamePaths: spec.views.nameFrom.map(compilePath),
    notCustom: new Set([...spec.traits.standard.map((t) => t.trait), ...spec.traits.notCustom]),
    traitSources: [...new Set([...spec.traits.from, ...spec.traits.standard.flatMap((t) => t.from ?? [])])].map((t) => [t, compilePath(t)]),
  };
}
