// mParticle Events API batch → canonical Segment-spec messages (pure; its HTTP routes are in routes.ts beside it).
//
// A batch is one user with N events; it fans out into messages that share the batch's user:
//   1. an identify first, when the batch says something about the user (user_attributes, deleted_user_attributes,
//      or identities beyond the one used as userId: email, mobile_number);
//   2. then one message per event, in order.
//
// Decisions:
// - userId = user_identities.customer_id, else `customerid` (mParticle's SDKs), stringified. Without one,
//   anonymousId = `mpid`, else a device id (device_info: ios_idfv, android_uuid, ios_advertising_id,
//   android_advertising_id, device_application_stamp). With none of those either, userId = the email identity
//   (CleverTap's feed supports only Customer ID and Email, and CleverTap commonly uses the email as Identity).
//   A batch with no usable identity is an error (no messages). Note: mpid is an int64 that JSON.parse may round;
//   it is used as given.
// - messageId = data.source_message_id (hashed to `mp-<hex>` when over 100 chars); else, with a batch
//   source_request_id, `mp-` + sha256(source_request_id, event index) (the identify uses the index "identify"),
//   so a re-sent request gets the same ids. Else, when the event has a valid timestamp_unixtime_ms,
//   `mp-` + sha256(canonical JSON of the batch's user (userId / anonymousId + user_identities), canonical JSON of
//   the event (timestamp included, so distinct events stay distinct), event index): a client retry of the same
//   request dedupes. An event without a usable time gets a random UUID: nothing in it tells a retry from a genuine
//   repeat, and a rare duplicate is better than silently dropping a real event for the dedupe window. The
//   identify's fallback is the same idea: sha256(user, canonical traits, earliest event time) when the batch has a
//   timed event (a source_message_id of the batch first), else a random UUID.
// - timestamp = data.timestamp_unixtime_ms as ISO 8601; absent → receivedAt (mParticle uses server time). An
//   invalid one (not a time, or beyond JavaScript's ±8.64e15 ms) is treated as absent, with an error note (the
//   event is kept). The identify takes the earliest valid event timestamp of the batch (receivedAt when none).
// - Untrusted input: a batch that cannot be converted (absurd nesting → RangeError, a value that cannot be
//   cloned ...) yields no messages and one error, never an exception (the HTTP side skips it on bulk requests and
//   answers 400 on /v2/events). Lookup tables are Maps, so names like `constructor` / `toString` are just
//   unsupported actions or ordinary attribute names. An own `__proto__` key in user_attributes,
//   deleted_user_attributes or custom_attributes is dropped with an error note (../util.ts explains why);
//   inside product custom_attributes it is dropped silently.
// - custom_event → track `event_name`, properties = custom_attributes; the wire's custom_event_type is kept in
//   context.mparticle.customEventType (the catalogue classification goes in context.clevertap, see normalise.ts).
// - uninstall → track "App Uninstalled"; screen_view → screen named `screen_name`;
//   session_start / session_end → track "Session Started" / "Session Ended" (session_uuid and
//   session_duration_ms kept as properties). Every other event_type (crash_report, opt_out, push_registration,
//   application_state_transition, push_message, network_performance, breadcrumb, media) is skipped with an error.
// - commerce_event → a Segment e-commerce spec track:
//     product_action.action purchase → "Order Completed", refund → "Order Refunded", checkout → "Checkout Started",
//     checkout_option → "Checkout Step Completed", add_to_cart → "Product Added", remove_from_cart →
//     "Product Removed", add_to_wishlist → "Product Added to Wishlist", remove_from_wishlist →
//     "Product Removed from Wishlist", view_detail → "Product Viewed", click → "Product Clicked";
//     promotion_action view / click → "Promotion Viewed" / "Promotion Clicked";
//     product_impressions only → "Product List Viewed".
//   Properties: order_id ← transaction_id, affiliation, revenue and total ← total_amount, tax ← tax_amount,
//   shipping ← shipping_amount, coupon ← coupon_code, currency ← currency_code, checkout_step, checkout_options,
//   products ← [{ product_id ← id, name, brand, category, variant, price, quantity, coupon ← coupon_code,
//   position, ...product custom_attributes }]. For single-product events (Product Added / Removed / Viewed /
//   Clicked / wishlist) with exactly one product, the product's fields are at the top level instead (Segment
//   spec). Promotions: promotion_id, name, creative, position of a single promotion, else `promotions`.
//   Impressions: list_id ← the first product_impression_list, products ← all impressed products. The event's
//   custom_attributes are merged in underneath (the mapped keys win).
// - user_attributes → identify traits: $firstname → firstName, $lastname → lastName, $age → age, $gender → gender,
//   $mobile → phone, $address / $city / $state / $zip / $country → address.{street, city, state, postalCode,
//   country}; other attributes as they are (ct_* are mapped by normaliseCleverTapMessage).
//   deleted_user_attributes → the trait set to null. user_identities.email → traits.email,
//   mobile_number → traits.phone (if not already set); other identities → context.externalIds
//   ({ id, type, collection: 'users', encoding: 'none' }).
// - Transport context: context.mparticle { sourceRequestId, mpid, environment, eventType, customEventType,
//   sessionUuid, customFlags, historical }, context.ip, context.app, context.device, context.os, context.location.
// - Origin: mparticle-type sources exist here to receive CleverTap's feed, so by default (opts.clevertap !== false)
//   every message goes through normaliseCleverTapMessage and the HTTP handler accepts with origin 'clevertap'.
// - Historical (/v2/bulkevents/historical): every event needs timestamp_unixtime_ms more than 72 h before
//   receivedAt, else the whole batch is not processed (an error, no messages), as mParticle does.
import { createHash, randomUUID } from 'node:crypto';
import type { InboundMessage } from '../../message/schema.js';
import { isoOrUndefined, toEpochMs } from '../../message/time.js';
import { normaliseCleverTapMessage } from '../clevertap-export/normalise.js';
import { canonicalJson, conversionFailure, copyOwn, hasProtoKey, isObj, PROTO_KEY } from '../util.js';

export interface MParticleEventData {
  event_name?: string;
  custom_event_type?: string;
  screen_name?: string;
  timestamp_unixtime_ms?: number | string;
  source_message_id?: string;
  session_uuid?: string;
  session_duration_ms?: number;
  custom_attributes?: Record<string, unknown>;
  custom_flags?: Record<string, unknown>;
  location?: Record<string, unknown>;
  product_action?: Record<string, unknown>;
  promotion_action?: Record<string, unknown>;
  product_impressions?: Record<string, unknown>[];
  currency_code?: string;
  [k: string]: unknown;
}

export interface MParticleEvent {
  event_type?: string;
  data?: MParticleEventData;
}

export interface MParticleBatch {
  events?: MParticleEvent[];
  user_identities?: Record<string, unknown>;
  user_attributes?: Record<string, unknown>;
  deleted_user_attributes?: string[];
  device_info?: Record<string, unknown>;
  application_info?: Record<string, unknown>;
  environment?: string;
  mpid?: number | string;
  ip?: string;
  source_request_id?: string;
  [k: string]: unknown;
}

export interface ConvertOptions {
  /** Epoch ms the request arrived. */
  receivedAt: number;
  /** Treat the batch as CleverTap's feed (apply normaliseCleverTapMessage). Default true. */
  clevertap?: boolean;
  /** /v2/bulkevents/historical rules. */
  historical?: boolean;
}

export interface ConvertResult {
  messages: InboundMessage[];
  errors: string[];
  /** Set when the batch could not be converted at all (it threw): nothing of it was usable. */
  failed?: true;
}

const HISTORICAL_MIN_AGE_MS = 72 * 3600 * 1000;

function nonEmptyString(v: unknown): string | undefined {
  if (typeof v === 'string' && v.trim() !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return v.toString();
  return undefined;
}

function hashId(...parts: string[]): string {
  return 'mp-' + createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 40);
}

function pruneUndefined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

const RESERVED_ATTRS = new Map([
  ['$firstname', 'firstName'],
  ['$lastname', 'lastName'],
  ['$age', 'age'],
  ['$gender', 'gender'],
  ['$mobile', 'phone'],
]);
const ADDRESS_ATTRS = new Map([
  ['$address', 'street'],
  ['$city', 'city'],
  ['$state', 'state'],
  ['$zip', 'postalCode'],
  ['$country', 'country'],
]);

function traitName(attr: string): { trait: string; address?: string } {
  const k = attr.toLowerCase();
  const reserved = RESERVED_ATTRS.get(k);
  if (reserved !== undefined) return { trait: reserved };
  const address = ADDRESS_ATTRS.get(k);
  if (address !== undefined) return { trait: 'address', address };
  return { trait: attr };
}

/**
 * mParticle user attributes → Segment traits ($-reserved names only; ct_* are CleverTap's, see normalise).
 * `__proto__` attributes are skipped (see ../util.ts); `notes` receives one line when that happened.
 */
export function userAttributesToTraits(attrs: Record<string, unknown> | undefined, deleted?: unknown, notes?: string[]): Record<string, unknown> {
  const traits: Record<string, unknown> = {};
  const address: Record<string, unknown> = {};
  let dropped = false;
  const put = (attr: string, v: unknown) => {
    if (attr === PROTO_KEY) {
      dropped = true;
      return;
    }
    const t = traitName(attr);
    if (t.address) address[t.address] = v;
    else traits[t.trait] = t.trait === 'age' && typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  };
  if (isObj(attrs)) for (const [k, v] of Object.entries(attrs)) put(k, v);
  if (Array.isArray(deleted)) for (const k of deleted) if (typeof k === 'string' && k !== '') put(k, null);
  if (dropped) notes?.push(`user_attributes: attribute "${PROTO_KEY}" ignored`);
  if (Object.keys(address).length > 0) traits.address = address;
  return traits;
}

const DEVICE_ID_KEYS = ['ios_idfv', 'android_uuid', 'ios_advertising_id', 'android_advertising_id', 'device_application_stamp'];
const OTHER_IDENTITY_SKIP = new Set(['customer_id', 'customerid', 'email', 'mobile_number']);

const PRODUCT_ACTIONS = new Map<string, { event: string; single: boolean }>([
  ['purchase', { event: 'Order Completed', single: false }],
  ['refund', { event: 'Order Refunded', single: false }],
  ['checkout', { event: 'Checkout Started', single: false }],
  ['checkout_option', { event: 'Checkout Step Completed', single: false }],
  ['add_to_cart', { event: 'Product Added', single: true }],
  ['remove_from_cart', { event: 'Product Removed', single: true }],
  ['add_to_wishlist', { event: 'Product Added to Wishlist', single: true }],
  ['remove_from_wishlist', { event: 'Product Removed from Wishlist', single: true }],
  ['view_detail', { event: 'Product Viewed', single: true }],
  ['click', { event: 'Product Clicked', single: true }],
]);
const PROMOTION_ACTIONS = new Map([
  ['view', 'Promotion Viewed'],
  ['click', 'Promotion Clicked'],
]);

function mapProduct(p: unknown): Record<string, unknown> {
  if (!isObj(p)) return {};
  const custom = isObj(p.custom_attributes) ? copyOwn(p.custom_attributes) : {};
  return pruneUndefined({
    ...custom,
    product_id: p.id,
    name: p.name,
    brand: p.brand,
    category: p.category,
    variant: p.variant,
    price: p.price,
    quantity: p.quantity,
    coupon: p.coupon_code,
    position: p.position,
  });
}

/** commerce_event data → [event name, properties] or an error string. */
export function commerceToTrack(data: MParticleEventData): { event: string; properties: Record<string, unknown> } | string {
  const custom = isObj(data.custom_attributes) ? copyOwn(data.custom_attributes) : {};
  const pa = isObj(data.product_action) ? data.product_action : undefined;
  const action = pa && typeof pa.action === 'string' ? pa.action.toLowerCase() : undefined;
  if (pa && action) {
    const spec = PRODUCT_ACTIONS.get(action);
    if (!spec) return `unsupported product_action ${String(pa.action)}`;
    const products = Array.isArray(pa.products) ? pa.products.map(mapProduct) : [];
    const base = pruneUndefined({
      order_id: pa.transaction_id,
      affiliation: pa.affiliation,
      revenue: pa.total_amount,
      total: pa.total_amount,
      tax: pa.tax_amount,
      shipping: pa.shipping_amount,
      coupon: pa.coupon_code,
      currency: data.currency_code,
      checkout_step: pa.checkout_step,
      checkout_options: pa.checkout_options,
    });
    const props = spec.single && products.length === 1 ? { ...base, ...products[0] } : { ...base, products };
    return { event: spec.event, properties: { ...custom, ...props } };
  }
  const pr = isObj(data.promotion_action) ? data.promotion_action : undefined;
  const paction = pr && typeof pr.action === 'string' ? pr.action.toLowerCase() : undefined;
  if (pr && paction) {
    const event = PROMOTION_ACTIONS.get(paction);
    if (!event) return `unsupported promotion_action ${String(pr.action)}`;
    const promos = (Array.isArray(pr.promotions) ? pr.promotions : []).filter(isObj).map((p) =>
      pruneUndefined({ promotion_id: p.id, name: p.name, creative: p.creative, position: p.position }),
    );
    const props = promos.length === 1 ? promos[0] : { promotions: promos };
    return { event, properties: { ...custom, ...pruneUndefined({ ...props, currency: data.currency_code }) } };
  }
  if (Array.isArray(data.product_impressions) && data.product_impressions.length > 0) {
    const lists = data.product_impressions.filter(isObj);
    const products = lists.flatMap((l) => (Array.isArray(l.products) ? l.products.map(mapProduct) : []));
    return {
      event: 'Product List Viewed',
      properties: { ...custom, ...pruneUndefined({ list_id: lists[0]?.product_impression_list, products, currency: data.currency_code }) },
    };
  }
  return 'commerce_event without product_action, promotion_action or product_impressions';
}

function batchContext(batch: MParticleBatch, historical: boolean): Record<string, unknown> {
  const ctx: Record<string, unknown> = {};
  ctx.mparticle = pruneUndefined({
    sourceRequestId: nonEmptyString(batch.source_request_id),
    mpid: nonEmptyString(batch.mpid),
    environment: typeof batch.environment === 'string' ? batch.environment : undefined,
    historical: historical || undefined,
  });
  if (typeof batch.ip === 'string' && batch.ip) ctx.ip = batch.ip;
  const ai = isObj(batch.application_info) ? batch.application_info : undefined;
  if (ai) {
    const app = pruneUndefined({
      name: ai.application_name,
      version: ai.application_version,
      build: ai.application_build_number,
      namespace: ai.package,
    });
    if (Object.keys(app).length) ctx.app = app;
  }
  const di = isObj(batch.device_info) ? batch.device_info : undefined;
  if (di) {
    const platform = typeof di.platform === 'string' ? di.platform.toLowerCase() : undefined;
    const device = pruneUndefined({
      id: di.ios_idfv ?? di.android_uuid,
      advertisingId: di.ios_advertising_id ?? di.android_advertising_id,
      manufacturer: di.device_manufacturer,
      model: di.device_model,
      name: di.device_name,
      type: platform,
      token: di.push_token,
    });
    if (Object.keys(device).length) ctx.device = device;
    const os = pruneUndefined({ name: platform, version: di.os_version });
    if (Object.keys(os).length) ctx.os = os;
    if (typeof di.locale_language === 'string' && typeof di.locale_country === 'string') {
      ctx.locale = `${di.locale_language}-${di.locale_country}`;
    }
  }
  const ui = isObj(batch.user_identities) ? batch.user_identities : {};
  const ext = Object.entries(ui)
    .filter(([k, v]) => !OTHER_IDENTITY_SKIP.has(k) && nonEmptyString(v))
    .map(([k, v]) => ({ id: nonEmptyString(v)!, type: k, collection: 'users', encoding: 'none' }));
  if (ext.length) ctx.externalIds = ext;
  return ctx;
}

/** Never throws: a batch that cannot be converted is one error and no messages (`failed`). */
export function mparticleBatchToMessages(batch: unknown, opts: ConvertOptions): ConvertResult {
  try {
    return convertBatch(batch, opts);
  } catch (err) {
    return { messages: [], errors: [`batch could not be converted (${conversionFailure(err)}; skipped)`], failed: true };
  }
}

function convertBatch(batch: unknown, opts: ConvertOptions): ConvertResult {
  const errors: string[] = [];
  if (!isObj(batch)) return { messages: [], errors: ['batch must be a JSON object'] };
  const b = batch as MParticleBatch;
  if (b.events !== undefined && !Array.isArray(b.events)) return { messages: [], errors: ['events must be an array'] };
  const events = (b.events ?? []) as unknown[];
  const historical = opts.historical === true;
  const srid = nonEmptyString(b.source_request_id);

  // --- the user
  const ui = isObj(b.user_identities) ? b.user_identities : {};
  const email = nonEmptyString(ui.email);
  let userId = nonEmptyString(ui.customer_id) ?? nonEmptyString(ui.customerid);
  let anonymousId: string | undefined;
  if (!userId) {
    const di = isObj(b.device_info) ? b.device_info : {};
    anonymousId = nonEmptyString(b.mpid) ?? DEVICE_ID_KEYS.map((k) => nonEmptyString(di[k])).find(Boolean);
    if (!anonymousId && email) userId = email;
  }
  if (!userId && !anonymousId) {
    return { messages: [], errors: ['batch has no user: needs user_identities.customer_id, email, mpid or a device id'] };
  }
  const who: Record<string, string> = userId ? { userId } : { anonymousId: anonymousId! };

  // --- historical rule: whole batch or nothing
  if (historical) {
    for (let i = 0; i < events.length; i++) {
      const ev = events[i];
      const ts = isObj(ev) && isObj(ev.data) ? toEpochMs(ev.data.timestamp_unixtime_ms) : NaN;
      if (!Number.isFinite(ts)) return { messages: [], errors: [`events[${i}]: historical data needs timestamp_unixtime_ms`] };
      if (opts.receivedAt - ts <= HISTORICAL_MIN_AGE_MS) {
        return { messages: [], errors: [`events[${i}]: historical data must be more than 72 hours old`] };
      }
    }
  }

  const baseCtx = batchContext(b, historical);
  const receivedIso = isoOrUndefined(opts.receivedAt) ?? new Date().toISOString();
  let userJson: string | undefined; // canonical JSON of the user, for replay-stable ids (built on first use)
  const userKey = () => (userJson ??= canonicalJson({ who, user_identities: ui }));
  const messageIdFor = (index: number, ev: Record<string, unknown>, data: Record<string, unknown>, timed: boolean): string => {
    const smid = nonEmptyString(data.source_message_id);
    if (smid) return smid.length <= 100 ? smid : hashId('smid', smid);
    if (srid) return hashId(srid, String(index));
    return timed ? hashId('replay', userKey(), canonicalJson(ev), String(index)) : randomUUID();
  };
  // normaliseCleverTapMessage deep-copies every message, so then a shallow copy of the shared parts is enough;
  // without it (clevertap: false) this is the one deep copy, so messages share nothing with each other.
  const deepCopy = opts.clevertap === false;
  const ctxFor = (extra: Record<string, unknown>, data?: Record<string, unknown>): Record<string, unknown> => {
    const ctx = deepCopy ? structuredClone(baseCtx) : { ...baseCtx };
    ctx.mparticle = pruneUndefined({ ...(ctx.mparticle as Record<string, unknown>), ...extra });
    if (data && isObj(data.location)) {
      const loc = pruneUndefined({
        latitude: data.location.latitude,
        longitude: data.location.longitude,
        accuracy: data.location.accuracy,
      });
      if (Object.keys(loc).length) ctx.location = loc;
    }
    return ctx;
  };

  // --- events
  const out: InboundMessage[] = [];
  let earliest = Infinity;
  for (let i = 0; i < events.length; i++) {
    const ev = events[i];
    if (!isObj(ev)) {
      errors.push(`events[${i}]: not an object (skipped)`);
      continue;
    }
    const type = typeof ev.event_type === 'string' ? ev.event_type : '';
    const data = (isObj(ev.data) ? ev.data : {}) as MParticleEventData;
    let tsMs = toEpochMs(data.timestamp_unixtime_ms);
    let timestamp = isoOrUndefined(tsMs);
    if (timestamp === undefined) {
      if (data.timestamp_unixtime_ms != null) errors.push(`events[${i}]: invalid timestamp_unixtime_ms (receivedAt used)`);
      tsMs = NaN;
      timestamp = receivedIso;
    }
    const timed = Number.isFinite(tsMs);
    if (hasProtoKey(data.custom_attributes)) errors.push(`events[${i}]: custom_attributes key "${PROTO_KEY}" ignored`);
    const props = isObj(data.custom_attributes) ? copyOwn(data.custom_attributes) : {};
    const mpExtra: Record<string, unknown> = {
      eventType: type,
      sessionUuid: nonEmptyString(data.session_uuid),
      customFlags: isObj(data.custom_flags) ? data.custom_flags : undefined,
    };
    const common = { ...who, messageId: messageIdFor(i, ev, data, timed), timestamp };
    let msg: InboundMessage | undefined;
    switch (type) {
      case 'custom_event': {
        const name = nonEmptyString(data.event_name);
        if (!name) {
          errors.push(`events[${i}]: custom_event needs event_name (skipped)`);
          continue;
        }
        mpExtra.customEventType = typeof data.custom_event_type === 'string' ? data.custom_event_type : undefined;
        msg = { type: 'track', ...common, event: name, properties: props, context: ctxFor(mpExtra, data) };
        break;
      }
      case 'uninstall':
        msg = { type: 'track', ...common, event: 'App Uninstalled', properties: props, context: ctxFor(mpExtra, data) };
        break;
      case 'screen_view': {
        const name = nonEmptyString(data.screen_name);
        if (!name) {
          errors.push(`events[${i}]: screen_view needs screen_name (skipped)`);
          continue;
        }
        msg = { type: 'screen', ...common, name, properties: props, context: ctxFor(mpExtra, data) };
        break;
      }
      case 'commerce_event': {
        const r = commerceToTrack(data);
        if (typeof r === 'string') {
          errors.push(`events[${i}]: ${r} (skipped)`);
          continue;
        }
        msg = { type: 'track', ...common, event: r.event, properties: r.properties, context: ctxFor(mpExtra, data) };
        break;
      }
      case 'session_start':
      case 'session_end': {
        const extra = pruneUndefined({
          session_uuid: nonEmptyString(data.session_uuid),
          session_duration_ms: type === 'session_end' ? data.session_duration_ms : undefined,
        });
        msg = {
          type: 'track',
          ...common,
          event: type === 'session_start' ? 'Session Started' : 'Session Ended',
          properties: { ...props, ...extra },
          context: ctxFor(mpExtra, data),
        };
        break;
      }
      default:
        errors.push(`events[${i}]: unsupported event_type ${type || '(missing)'} (skipped)`);
        continue;
    }
    if (timed) earliest = Math.min(earliest, tsMs);
    out.push(msg);
  }

  // --- identify first
  const traits = userAttributesToTraits(isObj(b.user_attributes) ? b.user_attributes : undefined, b.deleted_user_attributes, errors);
  if (email) traits.email = email;
  const mobile = nonEmptyString(ui.mobile_number);
  if (mobile && traits.phone == null) traits.phone = mobile;
  if (Object.keys(traits).length > 0) {
    const firstSmid = events.map((e) => (isObj(e) && isObj(e.data) ? nonEmptyString(e.data.source_message_id) : undefined)).find(Boolean);
    const timed = Number.isFinite(earliest);
    const messageId = srid
      ? hashId(srid, 'identify')
      : firstSmid
        ? hashId(firstSmid, 'identify')
        : timed
          ? hashId('replay', userKey(), canonicalJson(traits), String(earliest), 'identify')
          : randomUUID();
    const timestamp = (timed ? isoOrUndefined(earliest) : undefined) ?? receivedIso;
    out.unshift({ type: 'identify', ...who, messageId, timestamp, traits, context: ctxFor({}) });
  }

  const messages = opts.clevertap === false ? out : out.map(normaliseCleverTapMessage);
  return { messages, errors };
}
