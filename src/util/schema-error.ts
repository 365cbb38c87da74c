// One readable line for the first way a value fails a TypeBox schema: the key path, the bad value and what is
// allowed, e.g. `destinations[0].settings.region: "xx" is not one of eu1, in1, ...`.
//
// TypeBox reports any failing union as "Expected union value". Here a union is opened instead: a union of
// literals lists its values; a union of objects tagged by a literal property (`type`) is narrowed to the member
// its tag names and that member's error is reported; untagged object unions are told apart by the keys only some
// members require (warehouse: `sqlite` or `postgres`). Members are checked with their defaults applied, as the
// config loader applies them, so a defaulted key never shows up as missing.
import { KindGuard, type TLiteral, type TObject, type TSchema, type TUnion } from '@sinclair/typebox';
import { ValueErrorType, type ValueError } from '@sinclair/typebox/errors';
import { Value } from '@sinclair/typebox/value';

/** The first problem of `value` against `schema` as one line, or undefined when the value conforms. */
export function explainValue(schema: TSchema, value: unknown): string | undefined {
  const first = Value.Errors(schema, value).First();
  return first && explain(first, '');
}

/** `/destinations/0/settings/region` → `destinations[0].settings.region`. */
export function displayPath(pointer: string): string {
  if (pointer === '') return '(top level)';
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(seg) ? `[${seg}]` : out === '' ? seg : `.${seg}`;
  }
  return out;
}

/** `path: text`, or just the text for the value itself. */
function line(pointer: string, text: string): string {
  return pointer === '' ? text : `${displayPath(pointer)}: ${text}`;
}

/** A URL's password never reaches an error line. */
function withoutPassword(s: string): string {
  return s.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)[^@/?#\s]*@/gi, '$1***@');
}

function show(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  s = withoutPassword(s);
  return s.length > 60 ? `${s.slice(0, 60)}…` : s;
}

function literals(schema: TSchema): TLiteral[] | undefined {
  if (!KindGuard.IsUnion(schema)) return undefined;
  const members = schema.anyOf.filter((m): m is TLiteral => KindGuard.IsLiteral(m));
  return members.length === schema.anyOf.length ? members : undefined;
}

function oneOf(values: readonly unknown[]): string {
  return `one of ${values.map(String).join(', ')}`;
}

function explain(e: ValueError, base: string): string {
  const pointer = base + e.path;
  switch (e.type) {
    case ValueErrorType.Union:
      if (KindGuard.IsUnion(e.schema)) return explainUnion(e.schema, e.value, pointer);
      break;
    case ValueErrorType.ObjectRequiredProperty: {
      const allowed = literals(e.schema);
      return line(pointer, `missing${allowed ? ` (${oneOf(allowed.map((l) => l.const))})` : ''}`);
    }
    case ValueErrorType.ObjectAdditionalProperties:
      if (KindGuard.IsObject(e.schema)) return line(pointer, `unknown key (known: ${Object.keys(e.schema.properties).join(', ')})`);
      break;
    case ValueErrorType.StringPattern:
      if (e.schema.description) return line(pointer, `${show(e.value)} is not ${e.schema.description}`);
      break;
    case ValueErrorType.StringMinLength:
      if (e.value === '') return line(pointer, `is empty${e.schema.description ? `; expected ${e.schema.description}` : ''}`);
      break;
    case ValueErrorType.Literal:
      if (KindGuard.IsLiteral(e.schema)) return line(pointer, `${show(e.value)} is not ${show(e.schema.const)}`);
      break;
  }
  return line(pointer, `${show(e.value)}: ${e.message.charAt(0).toLowerCase()}${e.message.slice(1)}`);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The property every member declares as a literal (the union's tag), if any. */
function tagOf(members: TObject[]): string | undefined {
  return Object.keys(members[0].properties).find((k) => members.every((m) => m.properties[k] !== undefined && KindGuard.IsLiteral(m.properties[k])));
}

function required(m: TObject): string[] {
  return m.required ?? [];
}

/** The member's own first error, with its defaults applied first. */
function explainMember(member: TSchema, value: unknown, pointer: string): string {
  const defaulted = Value.Default(member, Value.Clone(value));
  const first = Value.Errors(member, defaulted).First();
  return first ? explain(first, pointer) : line(pointer, `${show(value)} is not valid`);
}

function explainUnion(schema: TUnion, value: unknown, pointer: string): string {
  const allowed = literals(schema);
  if (allowed) return line(pointer, `${show(value)} is not ${oneOf(allowed.map((l) => l.const))}`);
  const members = schema.anyOf;
  const objects = members.filter((m): m is TObject => KindGuard.IsObject(m));
  if (isRecord(value) && objects.length === members.length) {
    const tag = tagOf(objects);
    if (tag) {
      const tags = objects.map((m) => m.properties[tag].const);
      const i = tags.findIndex((t) => t === value[tag]);
      if (value[tag] === undefined) return line(`${pointer}/${tag}`, `missing (${oneOf(tags)})`);
      if (i < 0) return line(`${pointer}/${tag}`, `${show(value[tag])} is not ${oneOf(tags)}`);
      return explainMember(objects[i], value, pointer);
    }
    // Untagged: the keys some members require and others do not say which member is meant.
    const telling = [...new Set(objects.flatMap(required))].filter((k) => !objects.every((m) => required(m).includes(k)));
    if (telling.length > 0) {
      const named = objects.filter((m) => telling.some((k) => k in value && required(m).includes(k)));
      if (named.length === 1 && telling.filter((k) => k in value).every((k) => required(named[0]).includes(k))) return explainMember(named[0], value, pointer);
      return line(pointer, `set exactly one of ${telling.join(', ')}`);
    }
  }
  if (schema.description) return line(pointer, `${show(value)} is not valid: ${schema.description}`);
  // No better guide: the member that comes closest (fewest errors) speaks.
  let best: TSchema = members[0];
  let fewest = Infinity;
  for (const m of members) {
    const n = [...Value.Errors(m, Value.Default(m, Value.Clone(value)))].length;
    if (n < fewest) [best, fewest] = [m, n];
  }
  return explainMember(best, value, pointer);
}
