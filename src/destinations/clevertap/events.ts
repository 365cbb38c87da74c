// track / page / screen → event record; Order Completed → Charged, as the mode's spec says (modes.ts: keyStyle,
// views, charged). Values are copied raw; enforce.ts makes them acceptable to CleverTap.
import type { InboundMessage } from '../../message/schema.js';
import type { TransformError, Warning } from '../../core/job.js';
import { CLEVERTAP_CODES } from '../../clevertap/codes.js';
import { CHARGED_EVENT, CHARGED_ITEMS_KEY } from '../../clevertap/limits.js';
import type { EventRecord } from './records.js';
import type { MappingContext } from './context.js';
import type { ModeSpec } from './modes.js';
import { resolveIds } from './identity.js';
import { KeyWriter, snakeCase } from './keys.js';
import { obj, present, readPath } from './paths.js';
import { recordSeconds } from './timestamps.js';

type Obj = Record<string, unknown>;

const EMPTY: Obj = Object.freeze({}) as Obj;

export function isOrderCompleted(event: unknown, match: ModeSpec['charged']['match'] = 'trimmed'): boolean {
  if (typeof event !== 'string' || event.length < 15) return false;
  return (match === 'trimmed' ? event.trim() : event).toLowerCase() === 'order completed';
}

/**
 * True when copyProps (as sent) would keep every property of a plain object as it is, and `name` and `category`
 * are not to be added: then a spread copies it, V8 cloning the object's layout at once where adding the keys
 * one by one costs a lookup each. A key added to such a copy later (even in the same literal) gives every copy a
 * layout of its own once a value is replaced, which makes each later property access slow. For-in visits
 * inherited keys, a spread does not: only a plain object qualifies.
 */
function keptWhole(props: Obj, name: unknown, category: unknown): boolean {
  const proto = Object.getPrototypeOf(props);
  if (proto !== Object.prototype && proto !== null) return false;
  let has = 0;
  for (const k in props) {
    const v = props[k];
    if (v === undefined || v === null || k === 'ts' || k === '__proto__') return false;
    if (k === 'name') has |= 1;
    else if (k === 'category') has |= 2;
  }
  if ((name !== undefined && (has & 1) === 0) || (category !== undefined && (has & 2) === 0)) return false;
  return Object.getOwnPropertySymbols(props).length === 0;
}

/**
 * Properties minus ts, nulls and the `skip` keys, under the mode's key style. With snake_case, keys that meet
 * under one name (firstName, first_name, "First Name") keep one value (`key_collision`, see KeyWriter); keys as
 * sent cannot meet.
 */
function copyProps(props: Obj, keyStyle: ModeSpec['keyStyle'], warnings: Warning[], prefix = '', skip1?: string, skip2?: string, skip3?: string): Obj {
  const data: Obj = {};
  const w = keyStyle === 'snake_case' ? new KeyWriter(data, warnings, prefix) : undefined;
  for (const k in props) {
    const v = props[k];
    if (v === undefined || v === null || k === 'ts' || k === '__proto__' || k === skip1 || k === skip2 || k === skip3) continue;
    if (w) w.put(snakeCase(k), k, v);
    else data[k] = v;
  }
  return data;
}

/** copyProps of all properties, with name and category added (in that order) unless undefined or already there. */
function eventData(props: Obj, keyStyle: ModeSpec['keyStyle'], warnings: Warning[], name?: unknown, category?: unknown): Obj {
  if (keyStyle === 'as-sent' && keptWhole(props, name, category)) return { ...props };
  const data = copyProps(props, keyStyle, warnings);
  if (name !== undefined && data.name === undefined) data.name = name;
  if (category !== undefined && data.category === undefined) data.category = category;
  return data;
}

function collision(warnings: Warning[], key: string, from: string): void {
  warnings.push({
    code: 'key_collision',
    field: key,
    message: `property ${JSON.stringify(key)} and ${JSON.stringify(from)} are both sent as ${JSON.stringify(key)}: the value of ${JSON.stringify(from)} is kept, the property is dropped`,
  });
}

function eventRecord(msg: InboundMessage, ctx: MappingContext, evtName: string, evtData: Obj, explicitTs: unknown, warnings: Warning[]): EventRecord {
  const ids = resolveIds(msg, ctx, false);
  const r = { type: 'event' } as EventRecord;
  if (ids.identity !== undefined) r.identity = ids.identity;
  if (ids.objectId !== undefined) r.objectId = ids.objectId;
  const ts = recordSeconds(explicitTs, msg, warnings);
  if (ts !== undefined) r.ts = ts;
  r.evtName = evtName;
  r.evtData = evtData as EventRecord['evtData'];
  return r;
}

function firstPresent(props: Obj, keys: readonly string[]): string | undefined {
  for (const k of keys) if (present(props[k])) return k;
  return undefined;
}

/**
 * A property beside Charged's own keys: the purchase structure wins over a property of the same name ("Amount",
 * "Items"): it is what Charged means. (A module function: a closure per message costs its allocation.)
 */
function keep(data: Obj, k: string, v: unknown, warnings: Warning[], idKey: string | undefined, amountKey: string | undefined): void {
  if (!Object.prototype.hasOwnProperty.call(data, k)) data[k] = v;
  else collision(warnings, k, ({ 'Charged ID': idKey, Amount: amountKey, [CHARGED_ITEMS_KEY]: 'products' } as Record<string, string | undefined>)[k] ?? k);
}

/**
 * Charged: Charged ID and Amount from the spec's properties, Items ← products; other properties kept. products as
 * one object is wrapped; not an object at all → reject (512).
 */
function charged(msg: InboundMessage, ctx: MappingContext, props: Obj, warnings: Warning[]): EventRecord | TransformError {
  const keyStyle = ctx.spec.keyStyle;
  const idKey = firstPresent(props, ctx.spec.charged.idFrom);
  const amountKey = firstPresent(props, ctx.spec.charged.amountFrom);
  const data: Obj = {};
  if (idKey) data['Charged ID'] = props[idKey];
  if (amountKey) data.Amount = props[amountKey];
  let products = props.products;
  if (products !== undefined && products !== null) {
    if (!Array.isArray(products)) {
      if (!obj(products)) {
        return { code: 'invalid_products', message: 'products must be an array of objects', clevertapCode: CLEVERTAP_CODES.invalidEventStructure };
      }
      warnings.push({ code: 'value_normalised', field: 'products', message: 'products is one object: sent as a one-item Items list' });
      products = [products];
    }
    const list = products as unknown[];
    if (list.length > 0) {
      data[CHARGED_ITEMS_KEY] = keyStyle === 'as-sent' ? list : list.map((p, i) => (obj(p) ? copyProps(p as Obj, keyStyle, warnings, `${CHARGED_ITEMS_KEY}[${i}].`) : p));
    }
  }
  if (keyStyle === 'as-sent') {
    // copyProps without the intermediate object (keys as sent cannot meet).
    for (const k in props) {
      const v = props[k];
      if (v === undefined || v === null || k === 'ts' || k === '__proto__' || k === idKey || k === amountKey || k === 'products') continue;
      keep(data, k, v, warnings, idKey, amountKey);
    }
  } else {
    const rest = copyProps(props, keyStyle, warnings, '', idKey, amountKey, 'products');
    for (const k in rest) keep(data, k, rest[k], warnings, idKey, amountKey);
  }
  return eventRecord(msg, ctx, CHARGED_EVENT, data, props.ts, warnings);
}

export function mapTrack(msg: InboundMessage, ctx: MappingContext, warnings: Warning[]): EventRecord | TransformError {
  const props = obj(msg.properties) ?? EMPTY;
  if (isOrderCompleted(msg.event, ctx.spec.charged.match)) return charged(msg, ctx, props, warnings);
  return eventRecord(msg, ctx, msg.event as string, eventData(props, ctx.spec.keyStyle, warnings), props.ts, warnings);
}

/** page and screen. */
export function mapView(msg: InboundMessage, ctx: MappingContext, warnings: Warning[]): EventRecord | TransformError {
  const views = ctx.spec.views;
  const props = obj(msg.properties) ?? EMPTY;
  if (views.charged && isOrderCompleted(msg.event, ctx.spec.charged.match)) return charged(msg, ctx, props, warnings);
  const base = msg.type === 'page' ? views.page : views.screen;
  if (views.name === 'suffix') {
    // The template keeps its shape; enforce.ts cleans the name inside it (no HTML escaping).
    let n: unknown;
    for (const p of ctx.viewNamePaths) if ((n = readPath(msg, p))) break;
    return eventRecord(msg, ctx, n ? `${base}: ${String(n).trim()}` : base, eventData(props, ctx.spec.keyStyle, warnings), props.ts, warnings);
  }
  // The event name is fixed: the page/screen name and category travel as properties.
  const data = eventData(props, ctx.spec.keyStyle, warnings, present(msg.name) ? msg.name : undefined, present(msg.category) ? msg.category : undefined);
  return eventRecord(msg, ctx, base, data, props.ts, warnings);
}
