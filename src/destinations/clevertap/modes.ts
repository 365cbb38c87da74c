// The three mapping modes as data: Taproute's own mapping (no `compat` setting), `segment` and `rudderstack`.
// Each spec says everything a mode decides; the mapping (identity.ts, profile.ts, events.ts, token.ts) reads the
// spec and never asks which mode it is in. A compat mode is the default spec with a few overrides: the peer's
// documented mapping, not its bugs (docs/clevertap-mapping.md lists every deliberate difference).
//   Segment:     https://segment.com/docs/connections/destinations/catalog/clevertap/
//   RudderStack: https://www.rudderstack.com/docs/destinations/streaming-destinations/clevertap/

export type CompatMode = 'segment' | 'rudderstack';
export type ModeName = 'own' | CompatMode;

/** A place a trait is read from (dotted path into the message). */
export type TraitSource = 'traits' | 'context.traits' | 'properties';

export interface StandardTrait {
  /** The Segment trait. */
  readonly trait: string;
  /** The CleverTap profile field it becomes. */
  readonly field: string;
  /** Where it is read from, the first present value winning; default: the spec's `traits.from`. */
  readonly from?: readonly TraitSource[];
}

export interface ModeSpec {
  /** How custom trait and property keys are written: as sent, or Segment's snake_case ("First Name" → first_name). */
  readonly keyStyle: 'as-sent' | 'snake_case';
  /** trackAnonymous when the setting is absent: send track/page/screen of users without a userId. */
  readonly trackAnonymous: boolean;
  readonly ids: {
    /** Where the userId is read from (dotted paths), the first non-blank one winning. */
    readonly userIdFrom: readonly string[];
    /** When the anonymousId is the user's CleverTap objectId: always, or only with the objectIdMapping setting. */
    readonly anonymousIdAsObjectId: 'always' | 'objectIdMapping';
    /**
     * How a record of a user with both ids is addressed while the anonymousId is the objectId:
     * 'both': identity = userId and objectId = anonymousId on every record;
     * 'link-then-identity': identify → objectId + profileData.identity (the link), events → identity;
     * 'link-then-objectId': identify → objectId + link, events → objectId.
     */
    readonly knownUser: 'both' | 'link-then-identity' | 'link-then-objectId';
    /** alias from the objectId when its previousId is the anonymousId serving as objectId. */
    readonly aliasByObjectId: boolean;
  };
  readonly traits: {
    /** Where custom traits (and the record's explicit ts) are read from; a later source wins for a custom key. */
    readonly from: readonly TraitSource[];
    readonly standard: readonly StandardTrait[];
    /** A custom trait named like a standard field's CleverTap key ("Email" beside email): which one is kept. */
    readonly keyClashWinner: 'standard' | 'custom';
    /** Name from first/last name traits (when no name): either part will do, or both are needed. */
    readonly nameFromParts: 'either' | 'both';
    readonly firstName: readonly string[];
    readonly lastName: readonly string[];
    /** Traits never copied as custom keys, besides the standard ones. */
    readonly notCustom: readonly string[];
    /** MSG-* in any casing is written under CleverTap's key ("msg-Email" → "MSG-email"). */
    readonly canonicalMsgKeys: boolean;
    /** traits.overrideFields (else context.traits.overrideFields) are written last, as they are. */
    readonly overrideFields: boolean;
  };
  readonly views: {
    readonly page: string;
    readonly screen: string;
    /**
     * 'property': the event name is fixed; the page/screen `name` and `category` are added as properties when
     * the properties lack them. 'suffix': "<event>: <name>" (bare without a name), the name read from `nameFrom`.
     */
    readonly name: 'property' | 'suffix';
    readonly nameFrom: readonly string[];
    /** A page/screen whose `event` is Order Completed is Charged. */
    readonly charged: boolean;
  };
  readonly charged: {
    /** How the event name is matched against "Order Completed": any case, spaces around trimmed or kept. */
    readonly match: 'trimmed' | 'exact-spacing';
    /** Properties read for Charged ID and Amount, the first present one winning. */
    readonly idFrom: readonly string[];
    readonly amountFrom: readonly string[];
  };
}

/** Segment's traits and the CleverTap profile fields they become. */
const STANDARD_TRAITS: readonly StandardTrait[] = [
  { trait: 'name', field: 'Name' },
  { trait: 'email', field: 'Email' },
  { trait: 'phone', field: 'Phone' },
  { trait: 'gender', field: 'Gender' },
  { trait: 'birthday', field: 'DOB' },
  { trait: 'avatar', field: 'Photo' },
  { trait: 'employed', field: 'Employed' },
  { trait: 'education', field: 'Education' },
  { trait: 'married', field: 'Married' },
  { trait: 'customerType', field: 'Customer Type' },
];
const FIRST_NAME = ['firstName', 'firstname', 'first_name'];
const LAST_NAME = ['lastName', 'lastname', 'last_name'];

/** Taproute's own mapping. */
const OWN: ModeSpec = {
  keyStyle: 'as-sent',
  trackAnonymous: true,
  ids: { userIdFrom: ['userId'], anonymousIdAsObjectId: 'objectIdMapping', knownUser: 'link-then-identity', aliasByObjectId: true },
  traits: {
    from: ['traits'],
    standard: STANDARD_TRAITS,
    keyClashWinner: 'standard',
    nameFromParts: 'either',
    firstName: FIRST_NAME,
    lastName: LAST_NAME,
    notCustom: ['ts'],
    canonicalMsgKeys: true,
    overrideFields: false,
  },
  views: { page: 'Web Page Viewed', screen: 'App Screen Viewed', name: 'property', nameFrom: [], charged: false },
  charged: { match: 'trimmed', idFrom: ['checkout_id', 'order_id'], amountFrom: ['revenue', 'total'] },
};

/** Segment's documented mapping: snake_case keys, the anonymousId is the CleverTap ID, six standard traits. */
const SEGMENT: ModeSpec = {
  ...OWN,
  keyStyle: 'snake_case',
  ids: { ...OWN.ids, anonymousIdAsObjectId: 'always', knownUser: 'both' },
  traits: { ...OWN.traits, standard: STANDARD_TRAITS.slice(0, 6) },
};

/** RudderStack's documented mapping: the userId chain, traits and context.traits, exclusions, overrideFields, view names. */
const RUDDERSTACK: ModeSpec = {
  ...OWN,
  trackAnonymous: false,
  ids: {
    ...OWN.ids,
    userIdFrom: ['userId', 'traits.userId', 'traits.id', 'context.traits.userId', 'context.traits.id'],
    knownUser: 'link-then-objectId',
    aliasByObjectId: false,
  },
  traits: {
    ...OWN.traits,
    from: ['traits', 'context.traits'],
    standard: STANDARD_TRAITS.map((t) => (t.trait === 'email' ? { ...t, from: ['traits', 'context.traits', 'properties'] } : t)),
    keyClashWinner: 'custom',
    nameFromParts: 'both',
    notCustom: [...FIRST_NAME, ...LAST_NAME, 'anonymousId', 'userId', 'id', 'ts', 'overrideFields', 'constructor', 'prototype'],
    canonicalMsgKeys: false,
    overrideFields: true,
  },
  views: { ...OWN.views, screen: 'Screen Viewed', name: 'suffix', nameFrom: ['event', 'properties.event', 'name', 'properties.name'], charged: true },
  charged: { match: 'exact-spacing', idFrom: ['checkout_id'], amountFrom: ['revenue'] },
};

export const MODES: Readonly<Record<ModeName, ModeSpec>> = { own: OWN, segment: SEGMENT, rudderstack: RUDDERSTACK };

export function modeSpec(compat: CompatMode | undefined): ModeSpec {
  return MODES[compat ?? 'own'];
}

/**
 * Event-name templates of the modes ("Web Page Viewed: ", "Screen Viewed: "): the prefix keeps its ':' when the
 * name is cleaned, whatever the mode (the name after it is cleaned as usual).
 */
export const EVENT_NAME_TEMPLATES: readonly string[] = [
  ...new Set(Object.values(MODES).flatMap((m) => (m.views.name === 'suffix' ? [`${m.views.page}: `, `${m.views.screen}: `] : []))),
];
