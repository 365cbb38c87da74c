// Every destination type Taproute can deliver to; a new destination is one folder plus one line here
// (docs/adding-a-destination.md). The config schema, `taproute transform`, the admin API and the loop guard all
// read the definitions through this module, so nothing else names a destination type.
//
// Types stay exact without casts: SettingsMap and DefinitionMap are mapped over the registered types, so for a
// type K the definition's capabilities take exactly SettingsMap[K] (TypeScript's correlated-union pattern,
// https://github.com/microsoft/TypeScript/pull/47109).
import type { Static } from '@sinclair/typebox';
import type { CleverTapDeviceSettings } from '../clevertap/platform.js';
import type { InboundMessage } from '../message/schema.js';
import type { Deliverer, DeliveryContext, DestinationCapabilities, TransformResult } from './types.js';
import { cleverTapDestination } from './clevertap/index.js';
import { warehouseDestination } from './warehouse/index.js';
import { webhookDestination } from './webhook/index.js';

export const DESTINATIONS = {
  clevertap: cleverTapDestination,
  warehouse: warehouseDestination,
  webhook: webhookDestination,
};

type Registered = (typeof DESTINATIONS)[keyof typeof DESTINATIONS];
export type DestinationType = Registered['type'];
type SchemaMap = { [D in Registered as D['type']]: D['settingsSchema'] };
/** The complete settings of each destination type, as create() and the other capabilities receive them. */
export type SettingsMap = { [K in DestinationType]: Static<SchemaMap[K]> };
type DefinitionMap = { [K in DestinationType]: DestinationCapabilities<K, SettingsMap[K]> & { readonly checkSettings: (raw: unknown) => SettingsMap[K] } };
/** A destination's config entry, settings defaulted and checked. */
export type DestinationEntry<K extends DestinationType = DestinationType> = { [P in K]: { id: string; type: P; settings: SettingsMap[P] } }[K];

// Also checks at compile time that every key names its own definition.
const BY_TYPE: DefinitionMap = DESTINATIONS;

export const DESTINATION_TYPES = Object.values(DESTINATIONS).map((d) => d.type);

/** The registered definitions, in registry order (the config schema's union). */
export const DESTINATION_DEFINITIONS = Object.values(DESTINATIONS);

export function isDestinationType(type: string): type is DestinationType {
  return Object.hasOwn(BY_TYPE, type);
}

export function platformOf(type: DestinationType): string | undefined {
  return BY_TYPE[type].platform;
}

export function createDeliverer<K extends DestinationType>(d: DestinationEntry<K>, ctx: DeliveryContext): Deliverer {
  return BY_TYPE[d.type].create(d.settings, ctx);
}

/** The entry with file paths in its settings resolved against `baseDir` (the config file's folder). */
export function resolveEntryPaths<K extends DestinationType>(d: DestinationEntry<K>, baseDir: string): DestinationEntry<K> {
  const resolvePaths = BY_TYPE[d.type].resolvePaths;
  return resolvePaths ? { ...d, settings: resolvePaths(d.settings, baseDir) } : d;
}

/** Deletes users in this destination, or undefined when its type cannot. */
export function userDeletion<K extends DestinationType>(d: DestinationEntry<K>): ((userIds: string[]) => Promise<{ deleted: number }>) | undefined {
  const deleteUsers = BY_TYPE[d.type].deleteUsers;
  return deleteUsers && ((userIds) => deleteUsers(d.settings, userIds));
}

/** The public settings each device-mode connection of a source hands the app's SDK kits (see sources/segment/sdk-settings.ts). */
export function deviceModeSettings(
  config: { connections: readonly { source: string; destination: string; deviceMode?: boolean | { accountToken?: string } }[]; destinations: readonly DestinationEntry[] },
  sourceId: string,
): CleverTapDeviceSettings[] {
  const out: CleverTapDeviceSettings[] = [];
  for (const c of config.connections) {
    if (c.source !== sourceId || !c.deviceMode) continue;
    const d = config.destinations.find((x) => x.id === c.destination);
    const kit = d && (BY_TYPE[d.type].deviceMode as ((s: SettingsMap[DestinationType]) => CleverTapDeviceSettings) | undefined);
    if (!d || !kit) continue;
    const token = typeof c.deviceMode === 'object' ? c.deviceMode.accountToken : undefined;
    out.push({ ...kit(d.settings), ...(token ? { accountToken: token } : {}) });
  }
  return out;
}

/** Types with a dry run (`taproute transform`). */
export const TRANSFORM_TYPES = DESTINATION_TYPES.filter((t) => BY_TYPE[t].transform !== undefined);

/**
 * The dry run of a destination type over raw settings (a settings file): defaults applied, the type's stand-ins
 * for settings a dry run does not need, checked. Throws one line naming the bad key, or when the type has none.
 */
export function dryRun<K extends DestinationType>(type: K, raw: unknown): (message: InboundMessage) => TransformResult<unknown> {
  const def = BY_TYPE[type];
  const transform = def.transform;
  if (!transform) throw new Error(`destination type "${type}" has no dry run`);
  const given = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? { ...def.dryRunSettings, ...raw } : raw;
  const settings = def.checkSettings(given);
  return (message) => transform(message, settings);
}
