// Segment-style identifier sanitising for the warehouse destination.
//
// Decisions:
// - snake_case like Segment's go-snakecase: camelCase/PascalCase boundaries get `_`, accents are folded (NFKD),
//   everything outside [a-z0-9] becomes `_`, runs of `_` collapse to one, trailing `_` are dropped, leading `_`
//   too unless the raw name starts with `_` (then one is kept: `_id` stays `_id`, `"; DROP` gives `drop`).
//   Collapsing `__` makes `__` a safe separator (SQLite `<schema>__<table>`).
// - A name that is empty after sanitising (e.g. only CJK or punctuation) becomes `_` + 8 hex chars of sha1(raw).
// - A name starting with a digit gets a `_` prefix.
// - Maximum 63 characters (PostgreSQL's NAMEDATALEN-1), used for both databases so names are identical on
//   SQLite and PostgreSQL. Longer names keep their first 54 characters + `_` + 8 hex chars of sha1(full name),
//   so two long names differing only at the end stay distinct.
// - SQL reserved words are NOT renamed: every identifier is always double-quoted by the dialects (`order`,
//   `select`, `user` stay as they are, which is what analysts expect from Segment).
// - Event tables whose name equals one of Segment's fixed tables (`tracks`, `identifies`, `users`, ...) get a
//   `_` prefix (`_tracks`), so an event can never write into a fixed table.
// - Property/trait columns that equal a fixed column of their table (`id`, `received_at`, `event`, `name` on
//   pages...), a PostgreSQL system column (`xmin`, `ctid`, ...), SQLite's `rowid`/`oid`/`_rowid_`, or that start
//   with `context_` get a `_` prefix (`_id`, `_context_ip`), so user data never lands in Taproute's columns.
// - Two keys of one message that sanitise to the same column (e.g. `firstName` and `first_name`): the key whose
//   raw form already equals the column (else the smallest raw key) keeps the name; the others get
//   `_` + 8 hex chars of sha1(raw key) appended (stable: the same clash always lands in the same columns). A
//   spelling alone in its message takes the plain name, so spellings spread over messages merge into one column
//   (Segment's behaviour).
// - Event names that sanitise to the same table (`Order Completed`, `order_completed`) share that table, as in
//   Segment; the original name is kept in the `event_text` column.
// - Schema per source: sanitise(schemaPrefix + sourceId) (`ct-export` → `ct_export`); names starting with `pg_` or
//   `sqlite_`, and `information_schema`, get a `_` prefix (both prefixes are reserved by the databases).
//   Distinct configured source ids always get distinct schemas, else two sources would share tables and
//   `ON CONFLICT (id) DO NOTHING` would drop one source's rows when messageIds collide. Configured ids whose names
//   collide share them out as columns do (assignDistinct): the id already spelled as the name (else the smallest
//   id) keeps it, the others get `_` + 8 hex chars of sha1(schemaPrefix + sourceId) (`MySource`, `my-source`,
//   `my_source` → `my_source_<h1>`, `my_source_<h2>`, `my_source`). The names depend only on the set of
//   configured source ids (stable across restarts; adding a source only renames the ids it collides with). A
//   source missing from that set (jobs left by a removed source) keeps its plain name unless a configured source
//   has it, then it takes the suffix.
// - Type-conflict overflow columns are `<name>__text` (schema.ts). Sanitised names never contain `__`, so no
//   property can ever be named like an overflow column (a property `x_text` stays apart from `x`'s overflow).
import { createHash } from 'node:crypto';

export const MAX_IDENTIFIER = 63;
const HASH_LEN = 8;

export function shortHash(s: string): string {
  return createHash('sha1').update(s).digest('hex').slice(0, HASH_LEN);
}

/** Segment-like snake_case restricted to [a-z0-9_], underscores collapsed, no trailing `_`. May return ''. */
export function snakeCase(raw: string): string {
  let s = raw.normalize('NFKD').replace(/\p{M}+/gu, '');
  s = s.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2');
  s = s.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/_+/g, '_').replace(/_+$/, '');
  return raw.startsWith('_') ? s : s.replace(/^_+/, '');
}

/** Enforces the length limit, keeping distinct long names distinct (prefix + hash of the full name). */
export function limitLength(name: string, max = MAX_IDENTIFIER): string {
  if (name.length <= max) return name;
  const head = name.slice(0, max - HASH_LEN - 1).replace(/_+$/, '');
  return `${head}_${shortHash(name)}`;
}

const memo = new Map<string, string>();
const MEMO_MAX = 20_000;

/** A safe identifier for any raw name: [a-z0-9_], not starting with a digit, at most 63 chars, never empty. */
export function sanitize(raw: string): string {
  const hit = memo.get(raw);
  if (hit !== undefined) return hit;
  let s = snakeCase(raw);
  if (s === '' || s === '_') s = `_${shortHash(raw)}`;
  if (/^[0-9]/.test(s)) s = `_${s}`;
  s = limitLength(s);
  if (memo.size >= MEMO_MAX) memo.clear(); // bounded: property names are few in practice
  memo.set(raw, s);
  return s;
}

/** Segment's fixed tables: an event may never be stored in one of these. */
export const FIXED_TABLES: ReadonlySet<string> = new Set(['identifies', 'users', 'tracks', 'pages', 'screens', 'aliases', 'groups', 'accounts']);

/** Table name for a track event (e.g. `Order Completed` → `order_completed`, `tracks` → `_tracks`). */
export function eventTableName(event: string): string {
  const s = sanitize(event);
  return FIXED_TABLES.has(s) ? limitLength(`_${s}`) : s;
}

/** A source's schema name before collisions are settled: sanitised, database-reserved prefixes escaped. */
function schemaCandidate(raw: string): NamedKey {
  let s = sanitize(raw);
  if (/^(pg_|sqlite_)/.test(s) || s === 'information_schema') s = limitLength(`_${s}`);
  return { raw, joined: raw, candidate: s };
}

/** The schema of each source (PostgreSQL schema, or SQLite table prefix), given every configured source id. */
export class SchemaNamer {
  private readonly configured = new Map<string, string>();
  private readonly taken: ReadonlySet<string>;
  /** Names of sources missing from the configured set, each settled against the configured names only. */
  private readonly others = new Map<string, string>();

  constructor(sourceIds: Iterable<string>, private readonly prefix = '') {
    const ids = [...new Set(sourceIds)];
    const names = assignDistinct(ids.map((id) => schemaCandidate(prefix + id)), new Set());
    ids.forEach((id, i) => this.configured.set(id, names[i]));
    this.taken = new Set(names);
  }

  of(sourceId: string): string {
    let name = this.configured.get(sourceId) ?? this.others.get(sourceId);
    if (name === undefined) {
      name = assignDistinct([schemaCandidate(this.prefix + sourceId)], new Set(this.taken))[0];
      if (this.others.size >= MEMO_MAX) this.others.clear();
      this.others.set(sourceId, name);
    }
    return name;
  }
}

/** The schema of one source among the configured source ids (see SchemaNamer). */
export function schemaName(sourceId: string, prefix = '', sourceIds: Iterable<string> = []): string {
  return new SchemaNamer(sourceIds, prefix).of(sourceId);
}

/** Column names a property or trait must never take, whatever the table. */
export const SYSTEM_COLUMNS: ReadonlySet<string> = new Set([
  // PostgreSQL system columns (CREATE/ALTER fail with them) and SQLite rowid aliases.
  'ctid', 'xmin', 'xmax', 'cmin', 'cmax', 'tableoid', 'oid', 'rowid', '_rowid_',
]);

/** Column name for user data (property/trait) given the fixed columns of its table. */
export function userColumnName(base: string, fixed: ReadonlySet<string>): string {
  if (fixed.has(base) || SYSTEM_COLUMNS.has(base) || base.startsWith('context_')) return limitLength(`_${base}`);
  return base;
}

export const CONFLICT_SUFFIX = '__text';

/**
 * The sibling column that takes values whose type does not fit `name` (see schema.ts): `<name>__text`. The base is
 * shortened first (prefix + hash) so the suffix always survives the 63-character limit: the result always contains
 * `__`, which no sanitised property/trait name does, so it never collides with user data.
 */
export function conflictColumnName(name: string): string {
  return `${limitLength(name, MAX_IDENTIFIER - CONFLICT_SUFFIX.length)}${CONFLICT_SUFFIX}`;
}

/** Double-quotes an identifier (names are already sanitised; quotes are escaped anyway, as defence in depth). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export interface NamedKey {
  /** Identity of the raw key (its path, keys joined by NUL), used for tie-breaking and hashing. */
  raw: string;
  /** Path joined with `_` before sanitising: equal to the candidate means "already in canonical form". */
  joined: string;
  candidate: string;
}

/**
 * Assigns distinct column names to keys whose candidates may collide (see the header). Returns names in input order.
 * `taken` holds names already used in the row (they are never reassigned).
 */
export function assignDistinct(keys: NamedKey[], taken: Set<string>): string[] {
  const out = new Array<string>(keys.length);
  // Fast path: no collision at all (the common case).
  let clash = false;
  for (let i = 0; i < keys.length; i++) {
    const c = keys[i].candidate;
    if (taken.has(c)) {
      clash = true;
      for (let j = 0; j < i; j++) taken.delete(out[j]);
      break;
    }
    taken.add(c);
    out[i] = c;
  }
  if (!clash) return out;
  const raws = keys.map((k) => k.raw);
  const groups = new Map<string, number[]>();
  keys.forEach((k, i) => {
    const g = groups.get(k.candidate);
    if (g) g.push(i);
    else groups.set(k.candidate, [i]);
  });
  const losers: number[] = [];
  for (const [cand, idx] of groups) {
    if (idx.length === 1 && !taken.has(cand)) {
      out[idx[0]] = cand;
      taken.add(cand);
      continue;
    }
    idx.sort((a, b) => {
      const ea = keys[a].joined === cand ? 0 : 1;
      const eb = keys[b].joined === cand ? 0 : 1;
      if (ea !== eb) return ea - eb;
      return raws[a] < raws[b] ? -1 : raws[a] > raws[b] ? 1 : 0;
    });
    let start = 0;
    if (!taken.has(cand)) {
      out[idx[0]] = cand;
      taken.add(cand);
      start = 1;
    }
    for (let j = start; j < idx.length; j++) losers.push(idx[j]);
  }
  for (const i of losers) {
    let salt = '';
    let name: string;
    for (let n = 0; ; n++) {
      name = limitLength(`${keys[i].candidate}_${shortHash(raws[i] + salt)}`);
      if (!taken.has(name)) break;
      salt = `#${n}`;
    }
    out[i] = name;
    taken.add(name);
  }
  return out;
}
