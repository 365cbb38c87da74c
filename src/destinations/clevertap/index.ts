import type { DestinationDefinition } from '../types.js';
import { createCleverTapDeliverer } from './deliver.js';
import { CleverTapSettingsSchema, parseCleverTapSettings } from './settings.js';

export const cleverTapDestination: DestinationDefinition<typeof CleverTapSettingsSchema> = {
  type: 'clevertap',
  settingsSchema: CleverTapSettingsSchema,
  create: (settings, ctx) => createCleverTapDeliverer(parseCleverTapSettings(settings), ctx),
};
