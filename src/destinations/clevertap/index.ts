import { Type } from '@sinclair/typebox';
import { CLEVERTAP_PLATFORM } from '../../clevertap/platform.js';
import { withDefault } from '../settings.js';
import { defineDestination } from '../types.js';
import { createCleverTapDeliverer, deleteCleverTapProfiles } from './deliver.js';
import { DEFAULT_MAX_EVENT_PROPERTIES } from '../../clevertap/limits.js';
import { CleverTapSettingsSchema } from './settings.js';
import { transformMessage } from './transform.js';

const p = CleverTapSettingsSchema.properties;
/** CleverTap's settings with their defaults declared (trackAnonymous has none: it depends on compat). */
const settingsSchema = Type.Object(
  {
    ...p,
    region: withDefault(p.region, 'eu1'),
    objectIdMapping: withDefault(p.objectIdMapping, false),
    invalidValues: withDefault(p.invalidValues, 'drop'),
    maxEventProperties: withDefault(p.maxEventProperties, DEFAULT_MAX_EVENT_PROPERTIES),
    maxInFlight: withDefault(p.maxInFlight, 15),
    batchSize: withDefault(p.batchSize, 1000),
    requestTimeoutMs: withDefault(p.requestTimeoutMs, 30_000),
  },
  { additionalProperties: false },
);

export const cleverTapDestination = defineDestination({
  type: 'clevertap',
  platform: CLEVERTAP_PLATFORM,
  settingsSchema,
  create: (settings, ctx) => createCleverTapDeliverer(settings, ctx),
  transform: (message, settings) => transformMessage(message, settings),
  dryRunSettings: { accountId: 'dry-run', passcode: 'dry-run' },
  deviceMode: (settings) => ({ accountId: settings.accountId, region: settings.region }),
  deleteUsers: (settings, userIds) => deleteCleverTapProfiles(settings, userIds),
});
