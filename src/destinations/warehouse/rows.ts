// Canonical message → warehouse rows (pure, no I/O), in Segment's warehouse layout.
//
// Decisions:
// - Nested objects are flattened with `_` in context (`context_library_name`), properties and traits
//   (`address_street`), as Segment does; arrays are stored as JSON text. Flattening stops at depth 10 (deeper
//   objects are stored as JSON text). Empty objects and null/undefined values produce no column (Segment creates
//   a column only for a non-null value).
// - Types: boolean; bigint for safe integers; double for other finite numbers; timestamp for strings that are a
//   valid ISO-8601 date-time (date + time, optional fraction and zone; date-only strings stay text); text for
//   everything else (non-finite numbers as their string).
//   PostgreSQL stores timestamps as timestamptz (microsecond precision); SQLite, which has no date type, keeps the
//   original ISO string in a column declared TIMESTAMP. Only strings PostgreSQL accepts are typed timestamp
//   (calendar-checked, years 0001-9999, zone offsets within ±15:59).
// - Fixed columns: `id` (messageId), `received_at`, `sent_at`, `timestamp`, `original_timestamp`, `uuid_ts`
//   (load time), `user_id`, `anonymous_id`, plus `event`/`event_text` (tracks and event tables), `name`/`category`
//   (pages, screens), `previous_id` (aliases), `group_id` (groups). A fixed timestamp column given a value that is
//   not a valid timestamp keeps it as text (it goes to the `<column>__text` sibling, see schema.ts).
// - `users`: one row per userId (skipped without userId) with id, received_at, uuid_ts, anonymous_id and the
//   traits of the identify; loaders upsert it (newer traits overwrite, absent traits are kept).
// - Traits of identify/group come from `traits`, falling back to `context.traits` when `traits` is absent.
import { assignDistinct, eventTableName, sanitize, userColumnName, type NamedKey } from './naming.js';
import type { InboundMessage } from '../../message/schema.js';

export type ColType = 'boolean' | 'bigint' | 'double' | 'timestamp' | 'text';
export type Scalar = string | number | boolean;

export interface Cell {
  name: string;
  type: ColType;
  value: Scalar;
}

export type TableKind = 'identifies' | 'users' | 'tracks' | 'event' | 'pages' | 'screens' | 'aliases' | 'groups';

export interface LogicalRow {
  table: string;
  kind: TableKind;
  cells: Cell[];
}

const COMMON: [string, ColType][] = [
  ['id', 'text'],
  ['received_at', 'timestamp'],
  ['sent_at', 'timestamp'],
  ['timestamp', 'timestamp'],
  ['original_timestamp', 'timestamp'],
  ['uuid_ts', 'timestamp'],
  ['user_id', 'text'],
  ['anonymous_id', 'text'],
];

/** Columns every table of a kind is created with (in order); `id` is the primary key. */
export const FIXED_COLUMNS: Record<TableKind, [string, ColType][]> = {
  identifies: COMMON,
  users: [
    ['id', 'text'],
    ['received_at', 'timestamp'],
    ['uuid_ts', 'timestamp'],
    ['anonymous_id', 'text'],
  ],
  tracks: [...COMMON, ['event', 'text'], ['event_text', 'text']],
  event: [...COMMON, ['event', 'text'], ['event_text', 'text']],
  pages: [...COMMON, ['name', 'text'], ['category', 'text']],
  screens: [...COMMON, ['name', 'text'], ['category', 'text']],
  aliases: [...COMMON, ['previous_id', 'text']],
  groups: [...COMMON, ['group_id', 'text']],
};
const FIXED_SETS = Object.fromEntries(
  Object.entries(FIXED_COLUMNS).map(([k, cols]) => [k, new Set([...cols.map((c) => c[0]), ...COMMON.map((c) => c[0])])]),
) as unknown as Record<TableKind, ReadonlySet<string>>;

const MAX_DEPTH = 10;
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function digits(s: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (!(c >= 0 && c <= 9)) return -1; // also catches NaN past the end
    v = v * 10 + c;
  }
  return v;
}

/**
 * True for a valid ISO-8601 date-time: `YYYY-MM-DD[T ]HH:MM[:SS[.fraction(1-9)]][Z|±HH[[:]MM]]`, calendar-checked,
 * years 0001-9999. (Hand-written rather than a regex: it runs for every string value loaded.)
 */
export function isTimestamp(s: string): boolean {
  const len = s.length;
  if (len < 16 || len > 40 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(13) !== 58) return false;
  const sep = s.charCodeAt(10);
  if (sep !== 84 && sep !== 116 && sep !== 32) return false; // T t space
  const y = digits(s, 0, 4);
  const mo = digits(s, 5, 2);
  const d = digits(s, 8, 2);
  const h = digits(s, 11, 2);
  const mi = digits(s, 14, 2);
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || h < 0 || h > 23 || mi < 0 || mi > 59) return false;
  if (d > DAYS_IN_MONTH[mo - 1]) return false;
  if (mo === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) return false;
  let i = 16;
  if (i < len && s.charCodeAt(i) === 58) {
    const se = digits(s, i + 1, 2);
    if (i + 3 > len || se < 0 || se > 59) return false;
    i += 3;
    if (i < len && s.charCodeAt(i) === 46) {
      let n = 0;
      i++;
      while (i < len && digits(s, i, 1) >= 0) {
        i++;
        n++;
      }
      if (n < 1 || n > 9) return false;
    }
  }
  if (i === len) return true;
  const z = s.charCodeAt(i);
  if (z === 90 || z === 122) return i + 1 === len; // Z z
  if (z !== 43 && z !== 45) return false; // + -
  const rest = len - i - 1;
  const oh = digits(s, i + 1, 2); // zone offset within ±15:59 (what PostgreSQL accepts)
  if (oh < 0 || oh > 15) return false;
  if (rest === 2) return true;
  const om = rest === 4 ? digits(s, i + 3, 2) : rest === 5 && s.charCodeAt(i + 3) === 58 ? digits(s, i + 4, 2) : -1;
  return om >= 0 && om <= 59;
}

/** The column type of one scalar value. */
export function inferType(v: Scalar): ColType {
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isSafeInteger(v) ? 'bigint' : 'double';
  return isTimestamp(v) ? 'timestamp' : 'text';
}

interface Leaf {
  /** Keys from the root joined by `_` (what gets sanitised). */
  joined: string;
  /** Keys from the root joined by NUL: the identity of the raw key (tie-breaks and hashes in naming.ts). */
  raw: string;
  value: Scalar;
  type: ColType;
}

function toScalar(v: unknown): { value: Scalar; type: ColType } | null {
  if (v === null || v === undefined) return null;
  switch (typeof v) {
    case 'boolean':
      return { value: v, type: 'boolean' };
    case 'number':
      return Number.isFinite(v) ? { value: v, type: inferType(v) } : { value: String(v), type: 'text' };
    case 'string':
      return { value: v, type: inferType(v) };
    case 'bigint':
      return { value: v.toString(), type: 'text' };
    case 'object':
      return { value: JSON.stringify(v), type: 'text' };
    default:
      return null; // functions, symbols: not data
  }
}

/** Flattens nested objects into leaves; arrays (and objects past MAX_DEPTH) become JSON text. */
export function flatten(obj: Record<string, unknown>, joined = '', raw = '', out: Leaf[] = [], depth = 0): Leaf[] {
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    const j = depth === 0 ? key : `${joined}_${key}`;
    const r = depth === 0 ? key : `${raw}\u0000${key}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && depth < MAX_DEPTH) {
      flatten(v as Record<string, unknown>, j, r, out, depth + 1);
      continue;
    }
    const s = v instanceof Date ? { value: v.toISOString(), type: 'timestamp' as ColType } : toScalar(v);
    if (s) out.push({ joined: j, raw: r, value: s.value, type: s.type });
  }
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

class RowBuilder {
  readonly cells: Cell[] = [];
  private readonly taken = new Set<string>();
  constructor(readonly table: string, readonly kind: TableKind) {}

  fixed(name: string, value: unknown, type: ColType): this {
    if (value === null || value === undefined || value === '') return this;
    let v: Scalar;
    let t = type;
    if (type === 'timestamp') {
      v = String(value);
      if (!isTimestamp(v)) t = 'text';
    } else v = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
    this.cells.push({ name, type: t, value: v });
    this.taken.add(name);
    return this;
  }

  /** Context columns: `context_` + flattened path, collisions made distinct. */
  context(ctx: unknown): this {
    if (!isObject(ctx)) return this;
    const leaves = flatten(ctx);
    const keys: NamedKey[] = leaves.map((l) => {
      const joined = `context_${l.joined}`;
      return { raw: l.raw, joined, candidate: sanitize(joined) };
    });
    this.push(leaves, keys);
    return this;
  }

  /** Property/trait columns: flattened, kept off fixed/system/context names, collisions made distinct. */
  user(obj: unknown): this {
    if (!isObject(obj)) return this;
    const leaves = flatten(obj);
    const fixed = FIXED_SETS[this.kind];
    const keys: NamedKey[] = leaves.map((l) => ({ raw: l.raw, joined: l.joined, candidate: userColumnName(sanitize(l.joined), fixed) }));
    this.push(leaves, keys);
    return this;
  }

  private push(leaves: Leaf[], keys: NamedKey[]): void {
    const names = assignDistinct(keys, this.taken);
    leaves.forEach((l, i) => this.cells.push({ name: names[i], type: l.type, value: l.value }));
  }

  build(): LogicalRow {
    return { table: this.table, kind: this.kind, cells: this.cells };
  }
}

export type RowsResult = { ok: true; rows: LogicalRow[] } | { ok: false; reason: string };

function common(b: RowBuilder, m: InboundMessage, loadedAt: string): RowBuilder {
  return b
    .fixed('id', m.messageId, 'text')
    .fixed('received_at', m.receivedAt, 'timestamp')
    .fixed('sent_at', m.sentAt, 'timestamp')
    .fixed('timestamp', m.timestamp, 'timestamp')
    .fixed('original_timestamp', m.originalTimestamp, 'timestamp')
    .fixed('uuid_ts', loadedAt, 'timestamp')
    .fixed('user_id', m.userId, 'text')
    .fixed('anonymous_id', m.anonymousId, 'text');
}

/** Converts one canonical message to the rows it loads (in order). `loadedAt` is the ISO load time (uuid_ts).
 *  Also takes a message not yet stamped by ingest (a dry run): one without messageId is refused. */
export function messageToRows(m: InboundMessage, loadedAt: string): RowsResult {
  if (typeof m.messageId !== 'string' || m.messageId === '') return { ok: false, reason: 'message has no messageId' };
  const ctx = m.context;
  const traitsOf = () => (isObject(m.traits) ? m.traits : isObject(ctx) && isObject(ctx.traits) ? ctx.traits : undefined);
  switch (m.type) {
    case 'identify': {
      const traits = traitsOf();
      const rows = [common(new RowBuilder('identifies', 'identifies'), m, loadedAt).context(ctx).user(traits).build()];
      if (m.userId !== null && m.userId !== undefined && m.userId !== '') {
        rows.push(
          new RowBuilder('users', 'users')
            .fixed('id', m.userId, 'text')
            .fixed('received_at', m.receivedAt, 'timestamp')
            .fixed('uuid_ts', loadedAt, 'timestamp')
            .fixed('anonymous_id', m.anonymousId, 'text')
            .user(traits)
            .build(),
        );
      }
      return { ok: true, rows };
    }
    case 'track': {
      if (typeof m.event !== 'string' || m.event === '') return { ok: false, reason: 'track has no event name' };
      const table = eventTableName(m.event);
      const tracks = common(new RowBuilder('tracks', 'tracks'), m, loadedAt).fixed('event', table, 'text').fixed('event_text', m.event, 'text');
      const ev = common(new RowBuilder(table, 'event'), m, loadedAt).fixed('event', table, 'text').fixed('event_text', m.event, 'text');
      return { ok: true, rows: [tracks.context(ctx).build(), ev.context(ctx).user(m.properties).build()] };
    }
    case 'page':
    case 'screen': {
      const kind = m.type === 'page' ? 'pages' : 'screens';
      const b = common(new RowBuilder(kind, kind), m, loadedAt).fixed('name', m.name, 'text').fixed('category', m.category, 'text');
      return { ok: true, rows: [b.context(ctx).user(m.properties).build()] };
    }
    case 'alias': {
      const b = common(new RowBuilder('aliases', 'aliases'), m, loadedAt).fixed('previous_id', m.previousId, 'text');
      return { ok: true, rows: [b.context(ctx).build()] };
    }
    case 'group': {
      const b = common(new RowBuilder('groups', 'groups'), m, loadedAt).fixed('group_id', m.groupId, 'text');
      return { ok: true, rows: [b.context(ctx).user(traitsOf()).build()] };
    }
    default:
      return { ok: false, reason: `unsupported message type ${JSON.stringify((m as { type?: unknown }).type)}` };
  }
}
