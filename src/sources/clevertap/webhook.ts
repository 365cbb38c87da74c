// CleverTap webhook campaign payload → canonical messages (pure; the HTTP side is src/ingest/webhooks.ts).
//
// Payload (clevertap-api.md §4.1): { targetId, key_values?, profiles: [ {...} ] | {...} }; each profile carries
// identity, objectId, email, phone, name, all_identities, profileData, systemProfileData, event_properties,
// key_values, session_props, push_token. Old payloads use PascalCase (Email, Identity, ObjectId, ProfileData,
// Event_properties, Push_token ...). Keys are matched ignoring case, `_`, `-` and spaces, so every casing works.
//
// Decisions (the issue was silent on these):
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
// - messageId = `wh-` + sha256(targetId, identity, objectId, canonical JSON of the profile and payload key_values)
//   + `-identify` / `-track`: CleverTap's one retry of the same payload gets the same ids and is deduped.
// - context.clevertap.webhook = { targetId } (transport context); normaliseCleverTapMessage is applied to every
//   message (webhooks are CleverTap origin by definition).
import { createHash } from 'node:crypto';
import type { InboundMessage } from '../../spec/message.js';
import { mapUserAttributes } from './catalogue.js';
import { normaliseCleverTapMessage } from './normalise.js';

export interface WebhookOptions {
  /** Epoch ms the request arrived. */
  receivedAt: number;
}

export interface WebhookResult {
  messages: InboundMessage[];
  errors: string[];
}

export const WEBHOOK_EVENT = 'Webhook Received';

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function keyOf(k: string): string {
  return k.toLowerCase().replace(/[\s_-]/g, '');
}

/** Reads a field whatever its casing (identity / Identity, event_properties / Event_properties / eventProperties). */
export function field(obj: Record<string, unknown>, name: string): unknown {
  if (name in obj) return obj[name];
  const want = keyOf(name);
  for (const [k, v] of Object.entries(obj)) if (keyOf(k) === want) return v;
  return undefined;
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v.trim() !== '') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** JSON with sorted keys, so the hash does not depend on key order. */
function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (isObj(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}

const SUBSCRIPTION_KEYS = new Set(['webPushSubscription', 'mobilePushSubscription', 'emailSubscription', 'smsSubscription', 'whatsappSubscription', 'timezone']);
const ADDRESS_KEYS: Record<string, string> = { city: 'city', region: 'state', country: 'country' };

function systemProfileToTraits(sp: Record<string, unknown>, traits: Record<string, unknown>, context: Record<string, unknown>): void {
  const address: Record<string, unknown> = isObj(traits.address) ? { ...traits.address } : {};
  const location: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(sp)) {
    const lk = k.toLowerCase();
    if (ADDRESS_KEYS[lk]) {
      if (v !== null && v !== undefined && !(typeof v === 'string' && (v.trim() === '' || v.trim().toLowerCase() === 'unknown'))) {
        address[ADDRESS_KEYS[lk]] = v;
      }
    } else if (lk === 'latitude' || lk === 'longitude') {
      location[lk] = v;
    } else if (lk === 'age') {
      traits.profileAge = v;
    } else if (SUBSCRIPTION_KEYS.has(k)) {
      traits[k] = v;
    } else {
      const known = [...SUBSCRIPTION_KEYS].find((s) => s.toLowerCase() === lk);
      traits[known ?? k] = v;
    }
  }
  if (Object.keys(address).length) traits.address = address;
  if (Object.keys(location).length) context.location = location;
}

export function webhookToMessages(body: unknown, opts: WebhookOptions): WebhookResult {
  const errors: string[] = [];
  if (!isObj(body)) return { messages: [], errors: ['body must be a JSON object'] };
  const rawProfiles = field(body, 'profiles');
  if (rawProfiles === undefined || rawProfiles === null) return { messages: [], errors: ['payload has no profiles'] };
  const profiles = Array.isArray(rawProfiles) ? rawProfiles : [rawProfiles];
  const targetId = field(body, 'targetId');
  const topKv = field(body, 'key_values');
  const payloadKv = isObj(topKv) ? topKv : {};
  const timestamp = new Date(opts.receivedAt).toISOString();
  const messages: InboundMessage[] = [];

  profiles.forEach((p, i) => {
    if (!isObj(p)) {
      errors.push(`profiles[${i}]: not an object (skipped)`);
      return;
    }
    const allIds = field(p, 'all_identities');
    const allIdentities = Array.isArray(allIds) ? allIds : undefined;
    const identity = str(field(p, 'identity')) ?? (allIdentities ? allIdentities.map(str).find(Boolean) : undefined);
    const objectId = str(field(p, 'objectId'));
    if (!identity && !objectId) {
      errors.push(`profiles[${i}]: needs identity, all_identities or objectId (skipped)`);
      return;
    }
    const who: Record<string, string> = {};
    if (identity) who.userId = identity;
    if (objectId) who.anonymousId = objectId;

    const hash = createHash('sha256')
      .update([str(targetId) ?? '', identity ?? '', objectId ?? '', canonicalJson(p), canonicalJson(payloadKv)].join('\u0000'))
      .digest('hex')
      .slice(0, 40);
    const transport = { webhook: pruneUndefined({ targetId }) };

    // identify
    const pd = field(p, 'profileData');
    const traits: Record<string, unknown> = isObj(pd) ? mapUserAttributes(pd) : {};
    for (const k of ['email', 'phone', 'name'] as const) {
      const v = field(p, k);
      if (v !== undefined && v !== null && v !== '') traits[k] = v;
    }
    if (allIdentities) traits.allIdentities = allIdentities;
    const idContext: Record<string, unknown> = { clevertap: transport };
    const sp = field(p, 'systemProfileData');
    if (isObj(sp)) systemProfileToTraits(sp, traits, idContext);
    const token = str(field(p, 'push_token'));
    if (token) idContext.device = { token };
    messages.push({ type: 'identify', ...who, messageId: `wh-${hash}-identify`, timestamp, traits, context: idContext });

    // track
    const ep = field(p, 'event_properties');
    const kv = field(p, 'key_values');
    const eventProps = isObj(ep) ? ep : {};
    const profileKv = isObj(kv) ? kv : {};
    if (Object.keys(eventProps).length || Object.keys(payloadKv).length || Object.keys(profileKv).length) {
      const properties: Record<string, unknown> = { ...eventProps, ...payloadKv, ...profileKv };
      const sess = field(p, 'session_props');
      if (isObj(sess) && Object.keys(sess).length) properties.sessionProps = sess;
      if (targetId !== undefined) properties.targetId = targetId;
      messages.push({
        type: 'track',
        ...who,
        messageId: `wh-${hash}-track`,
        timestamp,
        event: WEBHOOK_EVENT,
        properties,
        context: { clevertap: transport },
      });
    }
  });

  return { messages: messages.map(normaliseCleverTapMessage), errors };
}

function pruneUndefined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}
