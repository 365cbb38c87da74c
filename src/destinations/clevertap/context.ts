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
  traitPaths: Readonly<Record<TraitSource, Path>>;
}

const TRAIT_SOURCES: readonly TraitSource[] = ['traits', 'context.traits', 'properties'];

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
    traitPaths: Object.fromEntries(TRAIT_SOURCES.map((t) => [t, compilePath(t)])) as Record<TraitSource, Path>,
  };
}
