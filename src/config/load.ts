// Loads a YAML or JSON config file: ${ENV_VAR} substitution, then the defaults declared in the schemas are applied
// and the whole config is checked once against the schema built from the source and destination registries.
// Every error is one line naming the key path, the bad value and what is allowed (src/util/schema-error.ts).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { CLEVERTAP_PLATFORM } from '../clevertap/platform.js';
import { platformOf, resolveEntryPaths, type DestinationEntry } from '../destinations/registry.js';
import { sourceProblem } from '../sources/registry.js';
import { compileFilter } from '../connections/filter.js';
import { functionPath } from '../connections/stage.js';
import { durationMs } from '../util/duration.js';
import { displayPath, explainValue } from '../util/schema-error.js';
import { ConfigSchema, type Config } from './schema.js';

const check = TypeCompiler.Compile(ConfigSchema);

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function substitute(v: unknown, env: NodeJS.ProcessEnv, pointer: string, missing: Map<string, string[]>): unknown {
  if (typeof v === 'string')
    return v.replace(ENV_REF, (ref, name: string, def?: string) => {
      const val = env[name] ?? def;
      if (val !== undefined) return val;
      missing.set(name, [...(missing.get(name) ?? []), displayPath(pointer)]);
      return ref;
    });
  if (Array.isArray(v)) return v.map((x, i) => substitute(x, env, `${pointer}/${i}`, missing));
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substitute(x, env, `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`, missing)]));
  return v;
}

/** Replaces ${NAME} (and ${NAME:-default}) in every string value; all missing variables are named in one error. */
export function substituteEnv(v: unknown, env: NodeJS.ProcessEnv = process.env): unknown {
  const missing = new Map<string, string[]>();
  const out = substitute(v, env, '', missing);
  if (missing.size === 0) return out;
  const names = [...missing.keys()];
  const at = [...new Set([...missing.values()].flat())];
  const plural = names.length > 1;
  throw new Error(`invalid config: environment variable${plural ? 's' : ''} ${names.join(', ')} ${plural ? 'are' : 'is'} not set (used at ${at.join(', ')})`);
}

/** Device mode hands the app's own CleverTap SDK kits their settings: only CleverTap destinations have them. */
const deviceModeCapable = (d: DestinationEntry | undefined) => d !== undefined && platformOf(d.type) === CLEVERTAP_PLATFORM;

export function parseConfig(raw: unknown, baseDir = process.cwd(), env: NodeJS.ProcessEnv = process.env): Config {
  const cfg = Value.Default(ConfigSchema, Value.Clone(substituteEnv(raw ?? {}, env)));
  if (!check.Check(cfg)) throw new Error(`invalid config: ${explainValue(ConfigSchema, cfg)}`);
  const ids = new Set<string>();
  const credentials = new Map<string, string>();
  cfg.sources.forEach((s, i) => {
    if (ids.has(s.id)) throw new Error(`invalid config: sources[${i}]: duplicate source id "${s.id}"`);
    ids.add(s.id);
    // A request is matched to its source by its write key (or mParticle key): two sources with one key would
    // receive each other's events.
    for (const k of ['writeKey', 'key'] as const) {
      const v = k in s ? (s as Record<string, unknown>)[k] : undefined;
      if (typeof v !== 'string') continue;
      const other = credentials.get(`${k}\u0000${v}`);
      if (other !== undefined) throw new Error(`invalid config: sources[${i}].${k}: the same ${k} as source "${other}" (each source needs its own)`);
      credentials.set(`${k}\u0000${v}`, s.id);
    }
    const problem = sourceProblem(s);
    if (problem) throw new Error(`invalid config: sources[${i}]: a ${s.type} source ${problem}`);
  });
  const dests = new Set<string>();
  cfg.destinations.forEach((d, i) => {
    if (dests.has(d.id)) throw new Error(`invalid config: destinations[${i}]: duplicate destination id "${d.id}"`);
    dests.add(d.id);
  });
  cfg.destinations = cfg.destinations.map((d) => resolveEntryPaths(d, baseDir));
  const pairs = new Set<string>();
  cfg.connections.forEach((c, i) => {
    const key = `${c.source}\u0000${c.destination}`;
    if (pairs.has(key)) throw new Error(`invalid config: connections[${i}]: duplicate connection ${c.source} → ${c.destination} (every event would be sent twice)`);
    pairs.add(key);
    if (!ids.has(c.source)) throw new Error(`invalid config: connections[${i}].source: names unknown source "${c.source}"`);
    if (!dests.has(c.destination)) throw new Error(`invalid config: connections[${i}].destination: names unknown destination "${c.destination}"`);
    const dest = cfg.destinations.find((d) => d.id === c.destination)!;
    try {
      compileFilter(c.filter, { id: dest.id, type: dest.type });
    } catch (e) {
      throw new Error(`invalid config: connections[${i}].filter.${(e as Error).message}`);
    }
    if (c.function) {
      c.function = functionPath(c.function, baseDir);
      if (!existsSync(c.function)) throw new Error(`invalid config: connections[${i}].function: no such file ${c.function}`);
    }
    if (c.functionTimeout !== undefined && durationMs(c.functionTimeout, 0) <= 0)
      throw new Error(`invalid config: connections[${i}].functionTimeout: must be above 0`);
    if (c.deviceMode && !deviceModeCapable(cfg.destinations.find((d) => d.id === c.destination)))
      throw new Error(`invalid config: connections[${i}].deviceMode: ${c.source} → ${c.destination} deviceMode needs a clevertap destination (one whose SDK kits run in the app)`);
  });
  const many = processesProblem(cfg);
  if (many) throw new Error(`invalid config: server.processes: ${many}`);
  if (cfg.storage?.sqlite && !isAbsolute(cfg.storage.sqlite)) cfg.storage.sqlite = resolve(baseDir, cfg.storage.sqlite);
  return cfg;
}

/** Why `server.processes` cannot be what it is, if so: processes sharing the store need PostgreSQL, since a
 *  SQLite file has one writer. "auto" is refused too, whatever the core count, so a config means the same
 *  everywhere. */
export function processesProblem(cfg: Config): string | undefined {
  const p = cfg.server?.processes;
  if (p === undefined || p === 1 || cfg.storage?.postgres) return undefined;
  return `${p === 'auto' ? '"auto" (one process per core) needs' : `${p} processes need`} storage.postgres; SQLite has one writer, so run one process`;
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  const text = readFileSync(file, 'utf8');
  const raw = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  return parseConfig(raw, dirname(resolve(file)), env);
}
