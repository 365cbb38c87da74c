// What each destination makes of a message (its dry run), for the debugger, the failures page and the
// transform playground. Pure: nothing is sent.
import type { Config } from '../config/schema.js';
import { DESTINATIONS, dryRun, type DestinationType } from '../destinations/registry.js';
import type { InboundMessage } from '../message/schema.js';

export interface RecordsView {
  destinationId: string;
  type: string;
  mode?: string;
  ok: boolean;
  records?: unknown[];
  warnings?: unknown[];
  error?: unknown;
  filtered?: boolean;
}

/** The compat modes a destination type's settings accept (read from its settings schema), '' = its own. */
export function compatModes(type: string): string[] {
  const def = (DESTINATIONS as Record<string, { settingsSchema: { properties?: Record<string, { anyOf?: { const?: unknown }[] }> } }>)[type];
  const variants = def?.settingsSchema.properties?.compat?.anyOf ?? [];
  const modes = variants.map((v) => v.const).filter((c): c is string => typeof c === 'string');
  return modes.length ? ['', ...modes] : [];
}

export function hasDryRun(type: string): boolean {
  return Boolean((DESTINATIONS as Record<string, { transform?: unknown }>)[type]?.transform);
}

/** The records of one configured destination, with its settings, optionally in another compat mode. */
export function recordsOf(config: Config, destinationId: string, message: unknown, mode?: string): RecordsView | undefined {
  const d = config.destinations.find((x) => x.id === destinationId);
  if (!d || !hasDryRun(d.type)) return undefined;
  const view: RecordsView = { destinationId: d.id, type: d.type, ok: false };
  try {
    const settings: Record<string, unknown> = { ...(d.settings as Record<string, unknown>) };
    if (mode !== undefined) {
      view.mode = mode;
      if (mode === '') delete settings.compat;
      else settings.compat = mode;
    }
    const r = dryRun(d.type as DestinationType, settings)(message as InboundMessage);
    if (r.ok) return { ...view, ok: true, records: r.records, warnings: r.warnings };
    return { ...view, error: r.error, filtered: r.filtered };
  } catch (err) {
    return { ...view, error: { code: 'invalid', message: (err as Error).message } };
  }
}
