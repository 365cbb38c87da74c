// Every destination type Taproute can deliver to; a new destination is one folder plus one line here.
import type { DestinationDefinition } from './types.js';
import { cleverTapDestination } from './clevertap/index.js';
import { warehouseDestination } from './warehouse/index.js';
import { webhookDestination } from './webhook/index.js';
import { TypeCompiler } from '@sinclair/typebox/compiler';

export const DESTINATIONS: Record<string, DestinationDefinition> = {
  clevertap: cleverTapDestination as unknown as DestinationDefinition,
  warehouse: warehouseDestination as unknown as DestinationDefinition,
  webhook: webhookDestination as unknown as DestinationDefinition,
};

/** Validates a destination's settings against its own schema; returns a readable reason or null. */
export function checkDestinationSettings(type: string, settings: unknown): string | null {
  const def = DESTINATIONS[type];
  if (!def) return `unknown destination type "${type}"`;
  const c = TypeCompiler.Compile(def.settingsSchema);
  if (c.Check(settings)) return null;
  const e = c.Errors(settings).First();
  return `${e?.path || '/'} ${e?.message ?? 'invalid'}`;
}
