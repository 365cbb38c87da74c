// The settings that CleverTap's rules read (enforce.ts), compiled once per destination.
import { DEFAULT_MAX_EVENT_PROPERTIES } from '../../clevertap/limits.js';

export type InvalidValues = 'reject' | 'drop';

export interface RuleOptions {
  maxEventProperties: number;
  /** Country calling code without '+', e.g. "91". */
  defaultCountryCode?: string;
  /** A standard profile value that cannot be fixed: reject the message (default) or drop the field. */
  invalidValues: InvalidValues;
}

export function ruleOptions(s: { maxEventProperties?: number; defaultCountryCode?: string; invalidValues?: InvalidValues }): RuleOptions {
  const cc = s.defaultCountryCode?.replace(/^\+/, '');
  return {
    maxEventProperties: s.maxEventProperties ?? DEFAULT_MAX_EVENT_PROPERTIES,
    defaultCountryCode: cc || undefined,
    invalidValues: s.invalidValues ?? 'reject',
  };
}
