// The settings that CleverTap's rules read (enforce.ts), compiled once per destination.
import { DEFAULT_MAX_EVENT_PROPERTIES } from '../../clevertap/limits.js';

export type InvalidValues = 'reject' | 'drop';

export interface RuleOptions {
  maxEventProperties: number;
  /** Country calling code without '+', e.g. "91". */
  defaultCountryCode?: string;
  /** A standard profile value that cannot be fixed: drop the field (default) or reject the message. */
  invalidValues: InvalidValues;
  /** How an ambiguous slash date (02/03/1985) is read; absent: not read at all (dropped with a warning). */
  dateOrder?: DateOrder;
}

export type DateOrder = 'mdy' | 'dmy';

export function ruleOptions(s: { maxEventProperties?: number; defaultCountryCode?: string; invalidValues?: InvalidValues; dateOrder?: DateOrder }): RuleOptions {
  const cc = s.defaultCountryCode?.replace(/^\+/, '');
  return {
    maxEventProperties: s.maxEventProperties ?? DEFAULT_MAX_EVENT_PROPERTIES,
    defaultCountryCode: cc || undefined,
    invalidValues: s.invalidValues ?? 'drop',
    dateOrder: s.dateOrder,
  };
}
