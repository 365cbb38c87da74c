// CleverTap's system events and user attributes, as CleverTap exports them to other CDPs.
//
// Sources: mParticle's CleverTap feed documentation (event, mParticle type, attributes;
// https://docs.mparticle.com/integrations/clevertap/feed/) and Segment's CleverTap source documentation (event
// names as CleverTap's Segment export spells them; https://segment.com/docs/connections/sources/catalog/cloud-apps/clevertap/).
//
// Decisions:
// - Canonical spelling = CleverTap's own spelling, i.e. the one CleverTap uses in its Segment export (a source
//   CleverTap maintains) and in its system-events guide: "AB Experiment Stopped" (not "A/B ..."), "Geocluster
//   Entered" (not "GeoCluster ..."). mParticle's spellings are variants. "AB Experiment Rendered" (mParticle-only)
//   follows the same rule. "App Upgraded" is a variant of "App Version Changed" (CleverTap's guide lists them as
//   one event).
// - Matching is case-insensitive and whitespace-tolerant (trimmed, runs of whitespace collapsed), nothing more:
//   "A/B" and "AB" are matched because both are listed as variants, not by fuzzy matching.
// - The control-group events are NOT merged: mParticle's feed names four distinct events (Custom / System, campaign
//   / journey) with different attributes, Segment's export names one ("Control Group"). Merging would lose which
//   kind it was, so "Control Group" is its own (Segment-only) entry of mParticle type Other.
// - Attributes are listed as those documents show them (duplicates removed); names are never rewritten.
// - User attributes: mParticle's `ct_*` attributes map to Segment's reserved traits where one exists (name,
//   gender, birthday, avatar) and to camelCase `<channel>OptIn` booleans for the opt-in flags (emailOptIn,
//   pushOptIn, smsOptIn, whatsappOptIn). CleverTap's own profile keys (Name, Email, Phone, Gender, DOB, Photo,
//   MSG-email, MSG-push, MSG-sms, MSG-whatsapp), which appear in webhook profile data, map to the same
//   traits: this is the inverse of what a CleverTap destination does with Segment traits. Everything else passes
//   through unchanged. When both a mapped key and its target are present, the target (already Segment-named) wins.
// - Values: opt-in flags become booleans ("true"/"false", "1"/"0", "yes"/"no", "Y"/"N"); a CleverTap date
//   ("$D_<epoch seconds>") under ct_dob / DOB becomes an ISO 8601 date-time string. Other values are kept.
// - Untrusted keys: an own `__proto__` key (JSON.parse makes one) is dropped by mapUserAttributes; every other
//   name, including built-ins like `constructor` or `toString`, is an ordinary key (lookups are Maps / Object.hasOwn).

import { isoOrUndefined } from '../message/time.js';

export type MParticleEventType = 'Other' | 'Attribution' | 'Uninstall' | 'Navigation' | 'User_Content' | 'Location';

export interface CatalogueEntry {
  /** The canonical name every variant maps to. */
  name: string;
  /** Other spellings seen in the wild (the canonical name is not repeated here). */
  variants: string[];
  /** How CleverTap's mParticle feed classifies the event. */
  mparticleType: MParticleEventType;
  /** Attributes (event properties) the documents list for it, as spelled there. */
  attributes: string[];
  description: string;
  /** Which document(s) list it: mParticle's feed, Segment's source. */
  seenIn: ('mparticle' | 'segment')[];
}

const NOTIFICATION_ATTRS = [
  'wzrk_acts', 'wzrk_cts', 'wzrk_sound', 'wzrk_c2a', 'wzrk_pid', 'wzrk_acct_id', 'wzrk_pivot', 'wzrk_cid', 'wzrk_dl',
  'wzrk_bi', 'wzrk_bc', 'wzrk_rnv', 'wzrk_pn', 'wzrk_id', 'wzrk_ttl', 'wzrk_animated', 'wzrk_bp', 'User Agent',
  'browser', 'Campaign type', 'Campaign id', 'Campaign name', 'Client Name', 'CT Source', 'CT Session Id',
  'CT Latitude', 'CT Longitude', 'CT App Version',
];
const AB_ATTRS = ['Variant', 'Variant Id', 'CT Source', 'Version', 'Experiment Id', 'Stickiness', 'Mutually Exclusive'];
const CONTROL_GROUP_ATTRS = ['CT Source', 'wzrk_id', 'wzrk_pivot', 'Campaign id', 'Campaign name', 'Campaign type'];
const JOURNEY_CONTROL_ATTRS = ['Journey id', 'Journey name'];
const GEO_ATTRS = [
  'ct_source', 'network_carrier', 'longitude', 'latitude', 'os_version', 'application_version', 'ct_sdk_version',
  'geofence_id', 'cluster_name', 'cluster_id', 'ct_connected_to_wifi',
];

export const SYSTEM_EVENTS: readonly CatalogueEntry[] = [
  // --- mParticle type Other ---
  {
    name: 'App Launched',
    variants: [],
    mparticleType: 'Other',
    attributes: [
      'CT Network Carrier', 'CT Source', 'CT Bluetooth Version', 'Keyword', 'CT SDK Version', 'CT Bluetooth Enabled',
      'CT OS Version', 'CT Network Type', 'Model', 'CT Longitude', 'CT Latitude', 'CT Connected To WiFi',
      'CT Session Id', 'CT App Version',
    ],
    description: 'Raised every time a user launches the application.',
    seenIn: ['mparticle', 'segment'],
  },
  {
    name: 'Notification Sent',
    variants: [],
    mparticleType: 'Other',
    attributes: ['Campaign ID', 'Campaign name'],
    description: 'Raised when a campaign message is sent to a user.',
    seenIn: ['mparticle', 'segment'],
  },
  {
    name: 'App Version Changed',
    variants: ['App Upgraded'],
    mparticleType: 'Other',
    attributes: ['CT App Version', 'CT App Version Prev', 'CT Latitude', 'CT Longitude', 'CT Source'],
    description: 'Raised when a user upgrades to a new version of the application.',
    seenIn: ['mparticle', 'segment'],
  },
  {
    name: 'AB Experiment Stopped',
    variants: ['A/B Experiment Stopped'],
    mparticleType: 'Other',
    attributes: ['ct_source', 'stickiness', 'mutually_exclusive', 'variant', 'variant_id', 'version', 'experiment_id'],
    description: 'Raised when an A/B experiment is stopped.',
    seenIn: ['mparticle', 'segment'],
  },
  {
    name: 'AB Experiment Rolled Out',
    variants: ['A/B Experiment Rolled Out'],
    mparticleType: 'Other',
    attributes: AB_ATTRS,
    description: 'Raised when an experiment is sent to (started for) a user.',
    seenIn: ['mparticle', 'segment'],
  },
  {
    name: 'AB Experiment Disqualified',
    variants: ['A/B Experiment Disqualified'],
    mparticleType: 'Other',
    attributes: AB_ATTRS,
    description: 'Raised when a user (device) is disqualified from an experiment.',
    seenIn: ['mparticle', 'segment'],
  },
  {
    name: 'AB Experiment Rendered',
    variants: ['A/B Experiment Rendered'],
    mparticleType: 'Other',
    attributes: AB_ATTRS,
    description: 'Raised when an experiment is rendered to a user.',
    seenIn: ['mparticle'],
  },
  {
    name: 'Channel Unsubscribed',
    variants: [],
    mparticleType: 'Other',
    attributes: [
      'Variant', 'Resubscribed', 'Group', 'Type', 'Campaign id', 'Subscription Type', 'Identity', 'Reason',
      'Campaign type',
    ],
    description: 'Raised when a user unsubscribes from a channel (or from groups in email).',
    seenIn: ['mparticle', 'segment'],
  },
  {
    name: 'State Transitioned',
    variants: [],
    mparticleType: 'Other',
    attributes: ['Destination', 'Type', 'Model', 'Source'],
    description: 'Raised by the lifecycle optimizer when a user moves from one stage to another.',
    seenIn: ['mparticle'],
  },
  {
    name: 'Session Concluded',
    variants: [],
    mparticleType: 'Other',
    attributes: ['Session Length', 'Session Id'],
    description: 'Raised when a user session is completed.',
    seenIn: ['mparticle'],
  },
  {
    name: 'Custom Control Group',
    variants: [],
    mparticleType: 'Other',
    attributes: CONTROL_GROUP_ATTRS,
    description: 'Raised when a campaign is activated with a (custom) control group.',
    seenIn: ['mparticle'],
  },
  {
    name: 'System Control Group',
    variants: [],
    mparticleType: 'Other',
    attributes: CONTROL_GROUP_ATTRS,
    description: 'Raised when a campaign is activated with a (system) control group.',
    seenIn: ['mparticle'],
  },
  {
    name: 'Custom & Journey Control Group (Journeys)',
    variants: [],
    mparticleType: 'Other',
    attributes: JOURNEY_CONTROL_ATTRS,
    description: 'Raised when a Journey campaign is activated with a custom control group.',
    seenIn: ['mparticle'],
  },
  {
    name: 'System Control Group (Journeys)',
    variants: [],
    mparticleType: 'Other',
    attributes: JOURNEY_CONTROL_ATTRS,
    description: 'Raised when a Journey campaign is activated with a system control group.',
    seenIn: ['mparticle'],
  },
  {
    name: 'Control Group',
    variants: [],
    mparticleType: 'Other',
    attributes: ['CT Source', 'Campaign Id', 'Campaign name', 'Campaign type', 'wzrk_pivot', 'Journey Id', 'Campaign labels'],
    description: "Captured when a campaign is activated with a control group (Segment export's single control-group event).",
    seenIn: ['segment'],
  },
  // --- mParticle type Attribution ---
  {
    name: 'App Installed',
    variants: [],
    mparticleType: 'Attribution',
    attributes: ['ct_app_version', 'CT Source', 'ct_latitude', 'ct_longitude'],
    description: 'Tracked when a user installs (first launches) the application.',
    seenIn: ['mparticle', 'segment'],
  },
  {
    name: 'Notification Viewed',
    variants: [],
    mparticleType: 'Attribution',
    attributes: NOTIFICATION_ATTRS,
    description: 'Tracked when a user views an email, in-app notification or web notification sent via CleverTap.',
    seenIn: ['mparticle', 'segment'],
  },
  {
    name: 'Notification Clicked',
    variants: [],
    mparticleType: 'Attribution',
    attributes: [
      'wzrk_animated', 'wzrk_bc', 'wzrk_bi', 'wzrk_bp', 'wzrk_c2a', 'wzrk_cid', 'wzrk_acct_id', 'wzrk_ck', 'wzrk_cts',
      'wzrk_dl', 'wzrk_dt', 'wzrk_pid', 'wzrk_pivot', 'wzrk_pn', 'wzrk_push_amp', 'wzrk_rnv', 'wzrk_sound', 'wzrk_ttl',
      'wzrk_ttl_s', 'Install', 'Campaign id', 'Campaign type', 'CT Latitude', 'CT App Version', 'CT Longitude',
    ],
    description: 'Tracked when a user clicks on a marketing campaign sent via CleverTap.',
    seenIn: ['mparticle', 'segment'],
  },
  {
    name: 'Push Impressions',
    variants: [],
    mparticleType: 'Attribution',
    attributes: NOTIFICATION_ATTRS,
    description: "Tracked when a push notification sent from CleverTap is delivered to a user's device.",
    seenIn: ['mparticle', 'segment'],
  },
  {
    name: 'Webhook Delivered',
    variants: [],
    mparticleType: 'Attribution',
    attributes: [
      'ContentName', 'CT Source', 'ct_app_version', 'ct_latitude', 'all_identities', 'ct_longitude', 'session_props',
      'session_source', 'Campaign Id', 'mp_processing_time_ms', 'ts',
    ],
    description: 'Tracked when a webhook campaign is delivered successfully.',
    seenIn: ['mparticle', 'segment'],
  },
  // --- mParticle type Uninstall ---
  {
    name: 'App Uninstalled',
    variants: [],
    mparticleType: 'Uninstall',
    attributes: ['CT Source', 'clevertapId', 'token', 'source'],
    description: 'Recorded when a user uninstalls the application.',
    seenIn: ['mparticle', 'segment'],
  },
  // --- mParticle type Navigation ---
  {
    name: 'UTM Visited',
    variants: [],
    mparticleType: 'Navigation',
    attributes: [
      'session_props', 'session_source', 'utm_campaign', 'utm_medium', 'utm_source', 'Campaign id', 'CT Latitude',
      'CT Longitude', 'CT App Version',
    ],
    description: 'Tracked when a user clicks on a link from a marketing campaign with a UTM parameter.',
    seenIn: ['mparticle', 'segment'],
  },
  // --- mParticle type User_Content ---
  {
    name: 'Notification Replied',
    variants: [],
    mparticleType: 'User_Content',
    attributes: ['CT Source', 'wzrk_id', 'Campaign id', 'Campaign type', 'Campaign Name'],
    description: 'Raised when the user replies to a message (WhatsApp).',
    seenIn: ['mparticle', 'segment'],
  },
  {
    name: 'Reply Sent',
    variants: [],
    mparticleType: 'User_Content',
    attributes: ['CT Source', 'Campaign id', 'Campaign type'],
    description: 'Raised when an agent (CleverTap user) replies to a message from the end user.',
    seenIn: ['mparticle', 'segment'],
  },
  // --- mParticle type Location ---
  {
    name: 'Geocluster Entered',
    variants: ['GeoCluster Entered'],
    mparticleType: 'Location',
    attributes: GEO_ATTRS,
    description: 'Raised when the user (device) enters a geo cluster (geofence).',
    seenIn: ['mparticle', 'segment'],
  },
  {
    name: 'Geocluster Exited',
    variants: ['GeoCluster Exited'],
    mparticleType: 'Location',
    attributes: GEO_ATTRS,
    description: 'Raised when the user (device) exits a geo cluster (geofence).',
    seenIn: ['mparticle', 'segment'],
  },
];

/** Case-insensitive, whitespace-tolerant matching key. */
export function eventKey(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

const BY_KEY = new Map<string, CatalogueEntry>();
for (const entry of SYSTEM_EVENTS) {
  for (const n of [entry.name, ...entry.variants]) {
    const k = eventKey(n);
    const prev = BY_KEY.get(k);
    if (prev && prev !== entry) throw new Error(`catalogue: ${n} is listed under ${prev.name} and ${entry.name}`);
    BY_KEY.set(k, entry);
  }
}

export function lookupSystemEvent(name: string): CatalogueEntry | undefined {
  if (typeof name !== 'string') return undefined;
  return BY_KEY.get(eventKey(name));
}

/** The canonical name for a known spelling; any other name is returned unchanged. */
export function canonicalEventName(name: string): string {
  return lookupSystemEvent(name)?.name ?? name;
}

/** CleverTap's mParticle type for a system event; undefined for events not in the catalogue. */
export function classify(name: string): MParticleEventType | undefined {
  return lookupSystemEvent(name)?.mparticleType;
}

// ---------------------------------------------------------------------------------------------------------------
// User attributes

export interface UserAttributeEntry {
  /** The attribute as CleverTap sends it. */
  attribute: string;
  /** The Segment trait it becomes. */
  trait: string;
  kind: 'string' | 'date' | 'boolean';
  description: string;
}

/** The `ct_*` user attributes of CleverTap's mParticle feed. */
export const USER_ATTRIBUTES: readonly UserAttributeEntry[] = [
  { attribute: 'ct_name', trait: 'name', kind: 'string', description: 'Name of user' },
  { attribute: 'ct_gender', trait: 'gender', kind: 'string', description: 'Gender' },
  { attribute: 'ct_dob', trait: 'birthday', kind: 'date', description: 'Date of Birth' },
  { attribute: 'ct_photo', trait: 'avatar', kind: 'string', description: 'Photo URL [if provided by user]' },
  { attribute: 'ct_email_opt_in', trait: 'emailOptIn', kind: 'boolean', description: 'Whether Email may be sent to the user' },
  { attribute: 'ct_push_opt_in', trait: 'pushOptIn', kind: 'boolean', description: 'Whether Push may be sent to the user' },
  { attribute: 'ct_sms_opt_in', trait: 'smsOptIn', kind: 'boolean', description: 'Whether SMS may be sent to the user' },
  {
    attribute: 'ct_whatsapp_opt_in',
    trait: 'whatsappOptIn',
    kind: 'boolean',
    description: 'Whether WhatsApp may be sent to the user',
  },
];

/** CleverTap's own standard profile keys (upload API / webhook profile data), mapped to the same traits. */
export const PROFILE_KEYS: readonly UserAttributeEntry[] = [
  { attribute: 'Name', trait: 'name', kind: 'string', description: 'CleverTap profile Name' },
  { attribute: 'Email', trait: 'email', kind: 'string', description: 'CleverTap profile Email' },
  { attribute: 'Phone', trait: 'phone', kind: 'string', description: 'CleverTap profile Phone (E.164)' },
  { attribute: 'Gender', trait: 'gender', kind: 'string', description: 'CleverTap profile Gender' },
  { attribute: 'DOB', trait: 'birthday', kind: 'date', description: 'CleverTap profile date of birth' },
  { attribute: 'Photo', trait: 'avatar', kind: 'string', description: 'CleverTap profile photo URL' },
  { attribute: 'MSG-email', trait: 'emailOptIn', kind: 'boolean', description: 'CleverTap email subscription flag' },
  { attribute: 'MSG-push', trait: 'pushOptIn', kind: 'boolean', description: 'CleverTap push subscription flag' },
  { attribute: 'MSG-sms', trait: 'smsOptIn', kind: 'boolean', description: 'CleverTap SMS subscription flag' },
  { attribute: 'MSG-whatsapp', trait: 'whatsappOptIn', kind: 'boolean', description: 'CleverTap WhatsApp subscription flag' },
];

const ATTR_MAP = new Map<string, UserAttributeEntry>();
for (const e of USER_ATTRIBUTES) ATTR_MAP.set(e.attribute.toLowerCase(), e); // ct_* keys: case-insensitive
const PROFILE_MAP = new Map<string, UserAttributeEntry>();
for (const e of PROFILE_KEYS) PROFILE_MAP.set(e.attribute, e); // CleverTap profile keys: exact spelling only

function attributeEntry(key: string): UserAttributeEntry | undefined {
  return ATTR_MAP.get(key.toLowerCase()) ?? PROFILE_MAP.get(key);
}

const TRUE_STRINGS = new Set(['true', '1', 'yes', 'y', 'on', 'subscribed', 'opted in', 'optin']);
const FALSE_STRINGS = new Set(['false', '0', 'no', 'n', 'off', 'unsubscribed', 'opted out', 'optout']);

/** Coerces an opt-in flag to a boolean when it clearly is one; otherwise the value is kept. */
export function toBooleanFlag(v: unknown): unknown {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v === 1 ? true : v === 0 ? false : v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (TRUE_STRINGS.has(s)) return true;
    if (FALSE_STRINGS.has(s)) return false;
  }
  return v;
}

/** Converts CleverTap's date form `$D_<epoch seconds>` to an ISO 8601 string; other values are kept. */
export function fromCleverTapDate(v: unknown): unknown {
  if (typeof v === 'string') {
    const m = /^\$D_(-?\d+)$/.exec(v.trim());
    if (m) {
      const iso = isoOrUndefined(Number(m[1]) * 1000);
      if (iso !== undefined) return iso;
    }
  }
  return v;
}

function convertValue(kind: UserAttributeEntry['kind'], v: unknown): unknown {
  if (kind === 'boolean') return toBooleanFlag(v);
  if (kind === 'date') return fromCleverTapDate(v);
  return v;
}

/** True when `key` is a CleverTap user attribute or profile key that mapUserAttributes renames. */
export function isMappedUserAttribute(key: string): boolean {
  return attributeEntry(key) !== undefined;
}

/**
 * Renames CleverTap user attributes to Segment traits (see the tables above); other keys pass through unchanged.
 * Never mutates its input. Idempotent: mapping an already mapped object returns an equal object.
 */
export function mapUserAttributes(attrs: Record<string, unknown> | undefined | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!attrs || typeof attrs !== 'object') return out;
  // `__proto__` is skipped (assigning it would replace out's prototype, and `Email` etc. would then be read from the
  // attacker's object); other built-in names (constructor, toString ...) are ordinary keys: every check is own-only.
  const entries = Object.entries(attrs).filter(([k]) => k !== '__proto__');
  // Pass 1: keys that are not CleverTap attributes (including already-Segment-named traits) win.
  for (const [k, v] of entries) {
    if (!attributeEntry(k)) out[k] = v;
  }
  // Pass 2: renamed attributes fill what is still missing (ct_* before CleverTap profile keys, in input order).
  const mapped = entries.filter(([k]) => attributeEntry(k));
  mapped.sort(([a], [b]) => Number(!ATTR_MAP.has(a.toLowerCase())) - Number(!ATTR_MAP.has(b.toLowerCase())));
  for (const [k, v] of mapped) {
    const e = attributeEntry(k)!;
    if (!Object.hasOwn(out, e.trait)) out[e.trait] = convertValue(e.kind, v);
  }
  // Already-named boolean / date traits get the same value normalisation, so every route agrees.
  for (const e of USER_ATTRIBUTES) {
    if (Object.hasOwn(out, e.trait)) out[e.trait] = convertValue(e.kind, out[e.trait]);
  }
  return out;
}
