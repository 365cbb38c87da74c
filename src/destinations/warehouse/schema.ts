// Schema evolution: a cache of the known tables/columns of each schema, and the planner that maps a logical row
// onto physical columns, collecting the DDL (create table, add column, widen) the row needs first.
//
// Decisions:
// - Tables are created with `id text primary key` and the fixed columns of their kind (rows.ts FIXED_COLUMNS);
//   other columns are added (ALTER TABLE ADD COLUMN) the first time a non-null value appears.
// - Type conflicts never lose the value and never rewrite existing data into another representation:
//   * an integer arriving in a double column fits; any value fits a text column (stored as its text:
//     booleans `true`/`false`, numbers as JS prints them, timestamps as the original string);
//   * a non-integer number arriving in a bigint column widens the column to double (PostgreSQL:
//     ALTER COLUMN TYPE double precision; SQLite: nothing to do, an INTEGER-affinity column stores REALs as is);
//   * every other mismatch (text into bigint/double/boolean/timestamp, boolean into a number, a number into a
//     timestamp...) stores the value, as text, in the sibling column `<name>__text` (created as text). Sanitised
//     property names never contain `__`, so that column holds only `<name>`'s overflow: a property literally
//     named `<name>_text` has its own column. If the sibling is taken by a column that is not text (created by
//     hand), or already used in the same row, the next sibling is `<name>__text__text`.
// - Columns are never dropped or narrowed, so a stale cache (another process or deliver() call evolved the schema)
//   is safe: the DDL step re-reads the catalog under a lock, skips what already exists and re-plans.
import { conflictColumnName } from './naming.js';
import { FIXED_COLUMNS, type ColType, type LogicalRow, type Scalar, type TableKind } from './rows.js';

export type TableColumns = Map<string, ColType>;
/** table → column → type, for one schema. */
export type SchemaCatalog = Map<string, TableColumns>;

export type Change =
  | { op: 'createTable'; table: string; kind: TableKind; columns: [string, ColType][] }
  | { op: 'addColumn'; table: string; column: string; type: ColType }
  | { op: 'widen'; table: string; column: string; type: 'double' };

export interface PhysicalRow {
  table: string;
  kind: TableKind;
  columns: string[];
  values: Scalar[];
}

export interface Capabilities {
  /** SQLite: a BIGINT (INTEGER affinity) column stores non-integer numbers losslessly. */
  integerHoldsDouble: boolean;
}

const MAX_SIBLINGS = 8;

/** A value that cannot be placed in any column: the job is dead. */
export class PlanError extends Error {
  override readonly name = 'PlanError';
}

/** How a value of type `val` goes into a column of type `col`. */
export function fit(col: ColType, val: ColType, caps: Capabilities): 'yes' | 'widen' | 'no' {
  if (col === val || col === 'text') return 'yes';
  if (col === 'double' && val === 'bigint') return 'yes';
  if (col === 'bigint' && val === 'double') return caps.integerHoldsDouble ? 'yes' : 'widen';
  return 'no';
}

export function toText(v: Scalar): string {
  return typeof v === 'string' ? v : String(v);
}

/** Maps a catalog type name (information_schema data_type or SQLite declared type) to a ColType. */
export function colTypeOf(dbType: string): ColType {
  const t = dbType.toLowerCase();
  if (t === 'boolean' || t === 'bool') return 'boolean';
  if (t.startsWith('timestamp') || t === 'date') return 'timestamp';
  if (t.includes('int')) return 'bigint';
  if (t.startsWith('double') || t === 'real' || t === 'float' || t.startsWith('numeric') || t.startsWith('decimal')) return 'double';
  return 'text';
}

/** Plans rows against a (copy-on-write) view of the catalog of one schema, recording the DDL they need. */
export class Planner {
  readonly changes: Change[] = [];
  private readonly local = new Map<string, TableColumns>();

  constructor(private readonly catalog: SchemaCatalog, private readonly caps: Capabilities) {}

  private table(name: string, kind: TableKind): TableColumns {
    let t = this.local.get(name);
    if (t) return t;
    const base = this.catalog.get(name);
    if (base) t = new Map(base);
    else {
      const columns = FIXED_COLUMNS[kind];
      t = new Map(columns);
      this.changes.push({ op: 'createTable', table: name, kind, columns: [...columns] });
    }
    this.local.set(name, t);
    return t;
  }

  /** Physical columns and values of one row; throws only if a value cannot be placed at all (job is dead). */
  planRow(row: LogicalRow): PhysicalRow {
    const t = this.table(row.table, row.kind);
    const columns: string[] = [];
    const values: Scalar[] = [];
    const used = new Set<string>();
    for (const cell of row.cells) {
      let name = cell.name;
      let type = cell.type;
      let value = cell.value;
      for (let n = 0; ; n++) {
        if (n > MAX_SIBLINGS) throw new PlanError(`no column can take ${JSON.stringify(cell.name)} (too many type conflicts)`);
        const existing = t.get(name);
        if (existing === undefined) {
          t.set(name, type);
          this.changes.push({ op: 'addColumn', table: row.table, column: name, type });
          break;
        }
        if (!used.has(name)) {
          const f = fit(existing, type, this.caps);
          if (f === 'yes') {
            if (existing === 'text') value = toText(value);
            break;
          }
          if (f === 'widen') {
            t.set(name, 'double');
            this.changes.push({ op: 'widen', table: row.table, column: name, type: 'double' });
            break;
          }
        }
        name = conflictColumnName(name);
        type = 'text';
        value = toText(value);
      }
      used.add(name);
      columns.push(name);
      values.push(value);
    }
    return { table: row.table, kind: row.kind, columns, values };
  }
}

/** Known catalogs per schema (filled lazily from the database, replaced after each DDL step). */
export class SchemaCache {
  private readonly schemas = new Map<string, SchemaCatalog>();
  get(schema: string): SchemaCatalog | undefined {
    return this.schemas.get(schema);
  }
  set(schema: string, catalog: SchemaCatalog): void {
    this.schemas.set(schema, catalog);
  }
  invalidate(schema?: string): void {
    if (schema === undefined) this.schemas.clear();
    else this.schemas.delete(schema);
  }
}
