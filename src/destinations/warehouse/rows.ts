// Canonical message → warehouse rows (pure, no I/O), in Segment's warehouse layout.
//
// Decisions (the issue was silent on these):
// - Nested objects are flattened with `_` in context (`context_library_name`), properties and traits
//   (`address_street`), as Segment does; arrays are stored as JSON text. Flattening stops at depth 10 (deeper
//   objects are stored as JSON text). Empty objects and null/undefined values produce no column (Segment creates
//   a column only for a non-null value).
// - Types: boolean; bigint for safe integers; double for other finite numbers; timestamp for strings that are a
//   valid ISO-8601 date-time (date + time, optional fraction and zone; date-only strings stay text); text for
//   everything else (non-finite numbers as their string).
//   PostgreSQL stores timestamps as timestamptz; SQLite, which has no date type, keeps the original ISO string in
//   a column declared TIMESTAMP.
// - Fixed columns: `id` (messageId), `received_at`, `sent_at`, `timestamp`, `original_timestamp`, `uuid_ts`
//   (load time), `user_id`, `anonymous_id`, plus `event`/`event_text` (tracks and event tables), `name`/`category`
//   (pages, screens), `previous_id` (aliases), `group_id` (groups). A fixed timestamp column given a value that is
//   not a valid timestamp keeps it as text (it goes to the `<column>_text` sibling, see schema.ts).
// - `users`: one row per userId (skipped without userId) with id, received_at, uuid_ts, anonymous_id and the
//   traits of the identify; loaders upsert it (newer traits overwrite, absent traits are kept).
// - Traits of identify/group come from `traits`, falling back to `context.traits` when `traits` is absent.
import { assignDistinct, eventTableName, sanitize, userColumnName, type NamedKey } from './naming.js';
import type { Message } from '../../spec/message.js';

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
const ISO_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** True for a valid ISO-8601 date-time (calendar-checked, years 0001-9999). */
export function isTimestamp(s: string): boolean {
  if (s.length < 16 || s.length > 40) return false;
  const m = ISO_DATE_TIME.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, se] = [+m[1], +m[2], +m[3], +m[4], +m[5], m[6] === undefined ? 0 : +m[6]];
  if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59) return false;
  const dim = new Date(Date.UTC(2000, mo, 0)).getUTCDate(); // days in month (leap year 2000 → Feb 29 allowed)
  if (d > dim) return false;
  if (mo === 2 && d === 29 && !(y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0))) return false;
  return true;
}

/** The column type of one scalar value. */
export function inferType(v: Scalar): ColType {
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') return Number.isSafeInteger(v) ? 'bigint' : 'double';
  return isTimestamp(v) ? 'timestamp' : 'text';
}

interface Leaf {
  path: string[];
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
export function flatten(obj: Record<string, unknown>, prefix: string[] = [], out: Leaf[] = [], depth = 0): Leaf[] {
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    const path = [...prefix, key];
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date) && depth < MAX_DEPTH) {
      flatten(v as Record<string, unknown>, path, out, depth + 1);
      continue;
    }
    const s = v instanceof Date ? { value: v.toISOString(), type: 'timestamp' as ColType } : toScalar(v);
    if (s) out.push({ path, ...s });
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
    const keys: NamedKey[] = leaves.map((l) => ({
      raw: JSON.stringify(l.path),
      joined: `context_${l.path.join('_')}`,
      candidate: sanitize(`context_${l.path.join('_')}`),
    }));
    this.push(leaves, keys);
    return this;
  }

  /** Property/trait columns: flattened, kept off fixed/system/context names, collisions made distinct. */
  user(obj: unknown): this {
    if (!isObject(obj)) return this;
    const leaves = flatten(obj);
    const fixed = FIXED_SETS[this.kind];
    const keys: NamedKey[] = leaves.map((l) => {
      const joined = l.path.join('_');
      return { raw: JSON.stringify(l.path), joined, candidate: userColumnName(sanitize(joined), fixed) };
    });
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

function common(b: RowBuilder, m: Message, loadedAt: string): RowBuilder {
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

/** Converts one canonical message to the rows it loads (in order). `loadedAt` is the ISO load time (uuid_ts). */
export function messageToRows(m: Message, loadedAt: string): RowsResult {
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
