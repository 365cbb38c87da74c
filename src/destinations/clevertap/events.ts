// track / page / screen → event record; Order Completed → Charged. Values are copied raw; rules.ts fixes them.
import type { InboundMessage } from '../../message/schema.js';
import type { Warning, TransformError } from '../types.js';
import type { EventRecord } from './records.js';
import type { MappingContext } from './context.js';
import { resolveIds } from './identity.js';
import { KeyWriter, snakeCase } from './keys.js';
import { recordSeconds } from './timestamps.js';
import { CHARGED_EVENT, CHARGED_ITEMS_KEY, CLEVERTAP_CODES } from './rules.js';

type Obj = Record<string, unknown>;

export const PAGE_EVENT = 'Web Page Viewed';
export const SCREEN_EVENT = 'App Screen Viewed';
/** RudderStack's names: "Web Page Viewed: <name>" / "Screen Viewed: <name>", bare when there is no name. */
export const RUDDER_PAGE_EVENT = 'Web Page Viewed';
export const RUDDER_SCREEN_EVENT = 'Screen Viewed';

const EMPTY: Obj = Object.freeze({}) as Obj;

function obj(v: unknown): Obj | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined;
}

function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

export function isOrderCompleted(event: unknown): boolean {
  if (typeof event !== 'string' || event.length < 15) return false;
  return event.trim().toLowerCase() === 'order completed';
}

/**
 * Properties minus ts (it becomes the record's ts) and nulls; keys snake_cased in segment mode, where keys that
 * meet under one name (firstName, first_name, "First Name") keep one value (`key_collision`, see KeyWriter).
 */
function copyProps(props: Obj, warnings: Warning[] | undefined, prefix = '', skip1?: string, skip2?: string, skip3?: string): Obj {
  const data: Obj = {};
  const w = warnings ? new KeyWriter(data, warnings, prefix) : undefined;
  for (const k in props) {
    const v = props[k];
    if (v === undefined || v === null || k === 'ts' || k === '__proto__' || k === skip1 || k === skip2 || k === skip3) continue;
    if (w) w.put(snakeCase(k), k, v);
    else data[k] = v;
  }
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

/**
 * Charged: Charged ID ← checkout_id (seed 002), else order_id; Amount ← revenue, else total (not in rudderstack
 * mode); Items ← products; other properties kept. products as one object is wrapped; not an object at all → reject.
 */
function charged(msg: InboundMessage, ctx: MappingContext, props: Obj, warnings: Warning[]): EventRecord | TransformError {
  const segment = ctx.mode === 'segment';
  const idKey = present(props.checkout_id) ? 'checkout_id' : present(props.order_id) ? 'order_id' : undefined;
  const amountKey = present(props.revenue) ? 'revenue' : ctx.mode !== 'rudderstack' && present(props.total) ? 'total' : undefined;
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
      data[CHARGED_ITEMS_KEY] = segment ? list.map((p, i) => (obj(p) ? copyProps(p as Obj, warnings, `${CHARGED_ITEMS_KEY}[${i}].`) : p)) : list;
    }
  }
  // The purchase structure wins over a property of the same name ("Amount", "Items"): it is what Charged means.
  const mapped: Record<string, string | undefined> = { 'Charged ID': idKey, Amount: amountKey, [CHARGED_ITEMS_KEY]: 'products' };
  const rest = copyProps(props, segment ? warnings : undefined, '', idKey, amountKey, 'products');
  for (const k in rest) {
    if (!Object.prototype.hasOwnProperty.call(data, k)) data[k] = rest[k];
    else collision(warnings, k, mapped[k] ?? k);
  }
  return eventRecord(msg, ctx, CHARGED_EVENT, data, props.ts, warnings);
}

export function mapTrack(msg: InboundMessage, ctx: MappingContext, warnings: Warning[]): EventRecord | TransformError {
  const props = obj(msg.properties) ?? EMPTY;
  if (isOrderCompleted(msg.event)) return charged(msg, ctx, props, warnings);
  return eventRecord(msg, ctx, msg.event as string, copyProps(props, ctx.mode === 'segment' ? warnings : undefined), props.ts, warnings);
}

function rudderName(msg: InboundMessage, props: Obj): unknown {
  for (const v of [msg.event, props.event, msg.name, props.name]) if (v) return v;
  return undefined;
}

/** page and screen. */
export function mapView(msg: InboundMessage, ctx: MappingContext, warnings: Warning[]): EventRecord | TransformError {
  const props = obj(msg.properties) ?? EMPTY;
  const page = msg.type === 'page';
  if (ctx.mode === 'rudderstack') {
    if (isOrderCompleted(msg.event)) return charged(msg, ctx, props, warnings);
    // The fixed template keeps its shape; rules.ts cleans the name inside (no HTML escaping, unlike RudderStack).
    const n = rudderName(msg, props);
    const base = page ? RUDDER_PAGE_EVENT : RUDDER_SCREEN_EVENT;
    const name = n === undefined ? base : `${base}: ${String(n).trim()}`;
    return eventRecord(msg, ctx, name, copyProps(props, undefined), props.ts, warnings);
  }
  const data = copyProps(props, ctx.mode === 'segment' ? warnings : undefined);
  // The page/screen name and category travel as properties (the event name is fixed).
  if (present(msg.name) && data.name === undefined) data.name = msg.name;
  if (present(msg.category) && data.category === undefined) data.category = msg.category;
  return eventRecord(msg, ctx, page ? PAGE_EVENT : SCREEN_EVENT, data, props.ts, warnings);
}
