// CleverTap webhook campaign payload → canonical messages (pure; its HTTP routes are in routes.ts beside it).
//
// Payload (clevertap-api.md §4.1): { targetId, key_values?, profiles: [ {...} ] | {...} }; each profile carries
// identity, objectId, email, phone, name, all_identities, profileData, systemProfileData, event_properties,
// key_values, session_props, push_token. Old payloads use PascalCase (Email, Identity, ObjectId, ProfileData,
// Event_properties, Push_token ...). Keys are matched ignoring case, `_`, `-` and spaces, so every casing works.
//
// Decisions:
// - Each profile → identify: userId = identity (else the first of all_identities); anonymousId = objectId. A
//   profile with neither is skipped with an error.
//   traits = profileData (through mapUserAttributes, so CleverTap keys like "MSG-email" become Segment traits)
//   + email, phone, name (the top-level fields win over profileData) + allIdentities (the all_identities list)
//   + systemProfileData: webPushSubscription, mobilePushSubscription, emailSubscription, smsSubscription,
//   whatsappSubscription and timezone kept under their names; city / region / country → address.{city, state,
//   country} (the value "Unknown" is dropped); age → profileAge (CleverTap's "2 years 1 months" is the
//   profile's age, not the user's); latitude / longitude → context.location; any other key kept as it is.
//   push_token → context.device.token.
// - Where the profile has event_properties, or the payload / profile has key_values, a track follows the
//   identify: event "Webhook Received"; properties = event_properties, then key_values (payload-level, then
//   profile-level) on top, then `targetId` on top of everything; non-empty session_props go in `sessionProps`.
//   Flat (not nested) so a CleverTap destination can use them as event properties. Names kept as they are.
// - No event time is in the payload: timestamp = receivedAt for both messages.
// - messageId = `wh-` + sha256(targetId, identity, objectId, canonical JSON of the profile and payload key_values,
//   floor(receivedAt / 60 s)) + `-identify` / `-track`. The payload has nothing delivery-specific, so without the
//   time bucket a recurring campaign (or two live triggers) sending the same payload again later would be dropped
//   as a duplicate for the whole dedupe window. With it, CleverTap's one retry (sent within seconds) dedupes when it
//   lands in the same minute; a retry that crosses a minute boundary is stored twice (accepted trade-off: a rare
//   duplicate identify/track beats losing later deliveries), and an identical delivery in the same minute dedupes.
// - Untrusted input: a profile that cannot be converted (absurd nesting → RangeError, ...) is skipped and listed in
//   `errors`, like any unusable profile; payload-level key_values that cannot be converted fail the whole payload
//   (the HTTP side answers 400 when no message is usable). Own `__proto__` keys in profileData, systemProfileData,
//   event_properties and key_values are dropped with an error note (see ../util.ts); other key names are data.
// - context.clevertap.webhook = { targetId } (transport context); normaliseCleverTapMessage is applied to every
//   message (webhooks are CleverTap origin by definition).
import { createHash } from 'node:crypto';
import type { InboundMessage } from '../../message/schema.js';
import { isoOrUndefined } from '../../message/time.js';
import { canonicalJson, conversionFailure, copyOwn, hasProtoKey, isObj, PROTO_KEY } from '../util.js';
import { mapUserAttributes } from '../../clevertap/catalogue.js';
import { normaliseCleverTapMessage } from '../clevertap-export/normalise.js';

export interface WebhookOptions {
  /** Epoch ms the request arrived. */
  receivedAt: number;
}

export interface WebhookResult {
  messages: InboundMessage[];
  errors: string[];
}

export const WEBHOOK_EVENT = 'Webhook Received';

/** messageIds change every DEDUPE_BUCKET_MS of receivedAt (see above). */
export const DEDUPE_BUCKET_MS = 60_000;

function keyOf(k: string): string {
  return k.toLowerCase().replace(/[\s_-]/g, '');
}

/**
 * A reader for `obj`'s fields whatever their casing: the exact name first, else the first key equal to it ignoring
 * case, `_`, `-` and spaces. The normalised key map is built once per object, on the first miss.
 */
function fieldsOf(obj: Record<string, unknown>): (name: string) => unknown {
  let byKey: Map<string, unknown> | undefined;
  return (name) => {
    if (Object.hasOwn(obj, name)) return obj[name];
    if (!byKey) {
      byKey = new Map();
      for (const k of Object.keys(obj)) {
        const nk = keyOf(k);
        if (!byKey.has(nk)) byKey.set(nk, obj[k]);
      }
    }
    return byKey.get(keyOf(name));
  };
}

/** Reads a field whatever its casing (identity / Identity, event_properties / Event_properties / eventProperties). */
export function field(obj: Record<string, unknown>, name: string): unknown {
  return fieldsOf(obj)(name);
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v.trim() !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

const SUBSCRIPTION_KEYS = new Set(['webPushSubscription', 'mobilePushSubscription', 'emailSubscription', 'smsSubscription', 'whatsappSubscription', 'timezone']);
const SUBSCRIPTION_BY_LOWER = new Map([...SUBSCRIPTION_KEYS].map((k) => [k.toLowerCase(), k]));
const ADDRESS_KEYS = new Map([
  ['city', 'city'],
  ['region', 'state'],
  ['country', 'country'],
]);

function systemProfileToTraits(sp: Record<string, unknown>, traits: Record<string, unknown>, context: Record<string, unknown>): void {
  const address: Record<string, unknown> = isObj(traits.address) ? copyOwn(traits.address) : {};
  const location: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(sp)) {
    if (k === PROTO_KEY) continue; // reported by the caller
    const lk = k.toLowerCase();
    const addressKey = ADDRESS_KEYS.get(lk);
    if (addressKey !== undefined) {
      if (v !== null && v !== undefined && !(typeof v === 'string' && (v.trim() === '' || v.trim().toLowerCase() === 'unknown'))) {
        address[addressKey] = v;
      }
    } else if (lk === 'latitude' || lk === 'longitude') {
      location[lk] = v;
    } else if (lk === 'age') {
      traits.profileAge = v;
    } else {
      traits[SUBSCRIPTION_KEYS.has(k) ? k : (SUBSCRIPTION_BY_LOWER.get(lk) ?? k)] = v;
    }
  }
  if (Object.keys(address).length) traits.address = address;
  if (Object.keys(location).length) context.location = location;
}

export function webhookToMessages(body: unknown, opts: WebhookOptions): WebhookResult {
  const errors: string[] = [];
  if (!isObj(body)) return { messages: [], errors: ['body must be a JSON object'] };
  const bodyField = fieldsOf(body);
  const rawProfiles = bodyField('profiles');
  if (rawProfiles === undefined || rawProfiles === null) return { messages: [], errors: ['payload has no profiles'] };
  const profiles = Array.isArray(rawProfiles) ? rawProfiles : [rawProfiles];
  const targetId = bodyField('targetId');
  const topKv = bodyField('key_values');
  const payloadKv = isObj(topKv) ? copyOwn(topKv, () => errors.push(`key_values: key "${PROTO_KEY}" ignored`)) : {};
  // Once per request, not per profile.
  let payloadKvJson: string;
  try {
    payloadKvJson = canonicalJson(payloadKv);
  } catch (err) {
    return { messages: [], errors: [`key_values could not be converted (${conversionFailure(err)})`] };
  }
  const timestamp = isoOrUndefined(opts.receivedAt) ?? new Date().toISOString();
  const bucket = String(Math.floor(opts.receivedAt / DEDUPE_BUCKET_MS));
  const targetIdStr = str(targetId) ?? '';
  const messages: InboundMessage[] = [];

  profiles.forEach((p, i) => {
    if (!isObj(p)) {
      errors.push(`profiles[${i}]: not an object (skipped)`);
      return;
    }
    const notes: string[] = [];
    try {
      const out = profileToMessages(p, (where) => notes.push(`profiles[${i}]: ${where} key "${PROTO_KEY}" ignored`));
      if (typeof out === 'string') {
        errors.push(`profiles[${i}]: ${out} (skipped)`);
        return;
      }
      messages.push(...out);
      errors.push(...notes);
    } catch (err) {
      errors.push(`profiles[${i}]: could not be converted (${conversionFailure(err)}; skipped)`);
    }
  });
  return { messages, errors };

  /** One profile → its normalised messages, or the reason it is unusable. Throws on unconvertible input. */
  function profileToMessages(p: Record<string, unknown>, dropped: (where: string) => void): InboundMessage[] | string {
    const f = fieldsOf(p);
    const allIds = f('all_identities');
    const allIdentities = Array.isArray(allIds) ? allIds : undefined;
    const identity = str(f('identity')) ?? (allIdentities ? allIdentities.map(str).find(Boolean) : undefined);
    const objectId = str(f('objectId'));
    if (!identity && !objectId) return 'needs identity, all_identities or objectId';
    const who: Record<string, string> = {};
    if (identity) who.userId = identity;
    if (objectId) who.anonymousId = objectId;

    const hash = createHash('sha256')
      .update([targetIdStr, identity ?? '', objectId ?? '', canonicalJson(p), payloadKvJson, bucket].join('\u0000'))
      .digest('hex')
      .slice(0, 40);
    const transport = { webhook: pruneUndefined({ targetId }) };
    const out: InboundMessage[] = [];

    // identify
    const pd = f('profileData');
    if (hasProtoKey(pd)) dropped('profileData');
    const traits: Record<string, unknown> = isObj(pd) ? mapUserAttributes(pd) : {};
    for (const k of ['email', 'phone', 'name'] as const) {
      const v = f(k);
      if (v !== undefined && v !== null && v !== '') traits[k] = v;
    }
    if (allIdentities) traits.allIdentities = allIdentities;
    const idContext: Record<string, unknown> = { clevertap: transport };
    const sp = f('systemProfileData');
    if (isObj(sp)) {
      if (hasProtoKey(sp)) dropped('systemProfileData');
      systemProfileToTraits(sp, traits, idContext);
    }
    const token = str(f('push_token'));
    if (token) idContext.device = { token };
    out.push({ type: 'identify', ...who, messageId: `wh-${hash}-identify`, timestamp, traits, context: idContext });

    // track
    const ep = f('event_properties');
    const kv = f('key_values');
    const eventProps = isObj(ep) ? copyOwn(ep, () => dropped('event_properties')) : {};
    const profileKv = isObj(kv) ? copyOwn(kv, () => dropped('key_values')) : {};
    if (Object.keys(eventProps).length || Object.keys(payloadKv).length || Object.keys(profileKv).length) {
      const properties: Record<string, unknown> = { ...eventProps, ...payloadKv, ...profileKv };
      const sess = f('session_props');
      if (isObj(sess) && Object.keys(sess).length) properties.sessionProps = sess;
      if (targetId !== undefined) properties.targetId = targetId;
      out.push({
        type: 'track',
        ...who,
        messageId: `wh-${hash}-track`,
        timestamp,
        event: WEBHOOK_EVENT,
        properties,
        context: { clevertap: transport },
      });
    }
    return out.map(normaliseCleverTapMessage);
  }
}

function pruneUndefined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
