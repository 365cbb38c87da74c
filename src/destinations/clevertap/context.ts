// Settings compiled once per destination into what the mapping reads per message.
import type { CleverTapSettings } from './settings.js';
import { ruleOptions, type RuleOptions } from './rules.js';

export type Mode = 'own' | 'segment' | 'rudderstack';

export interface MappingContext {
  mode: Mode;
  trackAnonymous: boolean;
  objectIdMapping: boolean;
  deviceTokenType?: string;
  rules: RuleOptions;
}

export function compileContext(s: CleverTapSettings): MappingContext {
  const mode: Mode = s.compat ?? 'own';
  return {
    mode,
    // RudderStack's default is off; Taproute's own and Segment's send anonymous users' events.
    trackAnonymous: s.trackAnonymous ?? mode !== 'rudderstack',
    objectIdMapping: s.objectIdMapping ?? false,
    deviceTokenType: s.deviceTokenType,
    rules: ruleOptions(s),
  };
}
