// Loads a YAML or JSON config file, substitutes ${ENV_VAR} references, and validates it against
// the config schema and every destination's own settings schema.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { checkDestinationSettings } from '../destinations/registry.js';
import { ConfigSchema, type Config } from './schema.js';

const check = TypeCompiler.Compile(ConfigSchema);

/** Replaces ${NAME} (and ${NAME:-default}) in every string value; a missing variable is an error. */
export function substituteEnv(v: unknown, env: NodeJS.ProcessEnv = process.env, path = ''): unknown {
  if (typeof v === 'string')
    return v.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_, name: string, def?: string) => {
      const val = env[name] ?? def;
      if (val === undefined) throw new Error(`config ${path || '/'}: environment variable ${name} is not set`);
      return val;
    });
  if (Array.isArray(v)) return v.map((x, i) => substituteEnv(x, env, `${path}/${i}`));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, substituteEnv(x, env, `${path}/${k}`)]));
  return v;
}

export function parseConfig(raw: unknown, baseDir = process.cwd(), env: NodeJS.ProcessEnv = process.env): Config {
  const withEnv = substituteEnv(raw ?? {}, env);
  const cfg = Value.Default(ConfigSchema, Value.Clone(withEnv)) as Config;
  if (!check.Check(cfg)) {
    const e = check.Errors(cfg).First();
    throw new Error(`invalid config at ${e?.path || '/'}: ${e?.message}`);
  }
  const ids = new Set<string>();
  for (const s of cfg.sources) {
    if (ids.has(s.id)) throw new Error(`duplicate source id "${s.id}"`);
    ids.add(s.id);
    if (s.type === 'segment' && !s.writeKey) throw new Error(`source "${s.id}" (segment) needs a writeKey`);
    if (s.type === 'mparticle' && (!s.key || !s.secret)) throw new Error(`source "${s.id}" (mparticle) needs key and secret`);
    if (s.type === 'clevertap' && !s.writeKey && !s.secret) throw new Error(`source "${s.id}" (clevertap) needs a writeKey and/or a webhook secret`);
  }
  const dests = new Set<string>();
  for (const d of cfg.destinations) {
    if (dests.has(d.id)) throw new Error(`duplicate destination id "${d.id}"`);
    dests.add(d.id);
    if (d.type === 'warehouse' && typeof d.settings.sqlite === 'string' && !isAbsolute(d.settings.sqlite))
      d.settings.sqlite = resolve(baseDir, d.settings.sqlite);
    const err = checkDestinationSettings(d.type, d.settings);
    if (err) throw new Error(`destination "${d.id}" settings: ${err}`);
  }
  const pairs = new Set<string>();
  for (const c of cfg.connections) {
    const key = `${c.source}\u0000${c.destination}`;
    if (pairs.has(key)) throw new Error(`duplicate connection ${c.source} → ${c.destination} (every event would be sent twice)`);
    pairs.add(key);
    if (!ids.has(c.source)) throw new Error(`connection names unknown source "${c.source}"`);
    if (!dests.has(c.destination)) throw new Error(`connection names unknown destination "${c.destination}"`);
    if (c.deviceMode && cfg.destinations.find((d) => d.id === c.destination)?.type !== 'clevertap')
      throw new Error(`connection ${c.source} → ${c.destination}: deviceMode needs a clevertap destination`);
  }
  if (cfg.storage?.sqlite && !isAbsolute(cfg.storage.sqlite)) cfg.storage.sqlite = resolve(baseDir, cfg.storage.sqlite);
  return cfg;
}

export function loadConfig(file: string, env: NodeJS.ProcessEnv = process.env): Config {
  const text = readFileSync(file, 'utf8');
  const raw = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  return parseConfig(raw, dirname(resolve(file)), env);
}
