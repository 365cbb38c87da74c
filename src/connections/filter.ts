// A connection's declarative filter, compiled once at start. Rules look at the message as received, in this
// order: the message's own `integrations` object, `types`, `allowEvents`, `denyEvents`, `where`; the first rule
// that refuses the message names the reason it is counted as filtered. `dropFields` runs later, on the
// router side, just before the function and the destination's mapping.
import { compileWhere, ExpressionError } from './expr.js';

export interface FilterConfig {
  types?: string[];
  allowEvents?: string[];
  denyEvents?: string[];
  where?: string;
  dropFields?: string[];
}

export type FilterRule = 'integrations' | 'types' | 'allowEvents' | 'denyEvents' | 'where';

/** The destination a connection delivers to, as the integrations object names it. */
export interface FilterTarget {
  id: string;
  type: string;
}

export interface CompiledFilter {
  /** The rule that refuses this message, or null when it passes. */
  refuse(message: Record<string, unknown>): FilterRule | null;
  /** Removes the configured fields in place (no-op without dropFields). */
  dropFields(message: Record<string, unknown>): void;
}

/** Glob with `*` as the only wildcard, anchored, case-sensitive as event names are. */
function wildcard(patterns: string[]): (name: string) => boolean {
  const res = patterns.map((p) => new RegExp(`^${p.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 's'));
  return (name) => res.some((r) => r.test(name));
}

/** Segment and RudderStack match integration keys by display name ("CleverTap", "Clevertap"): compare loosely. */
const looseKey = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * Segment's rule (https://segment.com/docs/guides/filtering-data/#filtering-with-the-integrations-object):
 * `All: false` turns every destination off unless named with a truthy value; a destination named `false` is off.
 * RudderStack follows the same shape (https://www.rudderstack.com/docs/sources/event-streams/sdks/rudderstack-javascript-sdk/load-js-sdk/#loading-selective-destinations).
 */
export function integrationsAllow(integrations: unknown, target: FilterTarget): boolean {
  if (!integrations || typeof integrations !== 'object' || Array.isArray(integrations)) return true;
  const names = new Set([looseKey(target.type), looseKey(target.id)]);
  let all = true;
  let named: boolean | undefined;
  for (const [k, v] of Object.entries(integrations as Record<string, unknown>)) {
    if (k === 'All' || k === 'all') all = v !== false;
    else if (names.has(looseKey(k))) named = v !== false && v !== null && v !== undefined;
  }
  return named ?? all;
}

/** The name allowEvents/denyEvents match: a track's event, a page's or screen's name; other types have none. */
function eventName(m: Record<string, unknown>): string | undefined {
  if (m.type === 'track') return typeof m.event === 'string' ? m.event : '';
  if (m.type === 'page' || m.type === 'screen') return typeof m.name === 'string' ? m.name : '';
  return undefined;
}

function splitPath(p: string): string[] {
  return p.split('.');
}

function dropPath(m: Record<string, unknown>, path: string[]): void {
  let v: unknown = m;
  for (let i = 0; i < path.length - 1; i++) {
    if (v === null || typeof v !== 'object') return;
    v = (v as Record<string, unknown>)[path[i]];
  }
  if (v !== null && typeof v === 'object') delete (v as Record<string, unknown>)[path[path.length - 1]];
}

/** Compiles a filter; throws an Error naming the key and the problem (the config loader prefixes the place). */
export function compileFilter(f: FilterConfig | undefined, target: FilterTarget): CompiledFilter {
  const types = f?.types ? new Set(f.types) : null;
  const allow = f?.allowEvents ? wildcard(f.allowEvents) : null;
  const deny = f?.denyEvents?.length ? wildcard(f.denyEvents) : null;
  let where: ((m: unknown) => boolean) | null = null;
  if (f?.where !== undefined) {
    try {
      where = compileWhere(f.where);
    } catch (e) {
      if (e instanceof ExpressionError) throw new Error(`where: ${e.message} in "${f.where}"`);
      throw e;
    }
  }
  const drops = (f?.dropFields ?? []).map(splitPath);
  for (const [i, p] of drops.entries()) if (p.some((s) => s === '')) throw new Error(`dropFields[${i}]: "${f?.dropFields?.[i]}" is not a dotted path such as traits.email`);
  return {
    refuse(m) {
      if (!integrationsAllow(m.integrations, target)) return 'integrations';
      if (types && !types.has(m.type as string)) return 'types';
      const name = allow || deny ? eventName(m) : undefined;
      if (name !== undefined) {
        if (allow && !allow(name)) return 'allowEvents';
        if (deny && deny(name)) return 'denyEvents';
      }
      if (where && !where(m)) return 'where';
      return null;
    },
    dropFields(m) {
      for (const p of drops) dropPath(m, p);
    },
  };
}
