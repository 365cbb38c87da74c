// Segment message → CleverTap records, in three modes: Taproute's own (no `compat`), `segment` (seed 004) and
// `rudderstack` (rudderstack-clevertap-behaviour.md §4–§7). Every record then passes rules.ts (transform.ts).
// Compat modes reproduce a peer's mapping, not its bugs.
//
// Identity (root identity / objectId; "link" = profileData.identity; A = anonymousId, U = userId):
//   own:          U → identity=U. No U: objectIdMapping ? objectId=A : identity=A.
//                 identify with A+U and objectIdMapping → objectId=A + link U (merges the anonymous profile);
//                 events of known users then go by identity=U.
//   segment:      objectId=A and identity=U, each when present (the anonymousId is the CleverTap ID).
//   rudderstack:  §7 table as documented, U from the chain userId, traits.userId, traits.id, context.traits.userId,
//                 context.traits.id; events with A+U and objectIdMapping go by objectId=A (seed 002 documents it,
//                 the identify linked A to U). No id at all → rejected 523 (RudderStack sends an id-less profile).
// Ids: a blank userId / anonymousId / previousId ("", "  ") is no id (CleverTap answers 523 for it), in every mode.
// Reserved keys: identity / objectId / FBID / GPID (any case, also once cleaned: "iden.tity") are CleverTap's
//   identity keys: as profile properties they would merge this profile with another user's. Traits,
//   context.traits and overrideFields of those names are dropped (`reserved_key`) in every mode; only the link
//   above (anonymous → known user, and alias) sets profileData.identity. Event properties are not affected.
// trackAnonymous: default true in own/segment, false in rudderstack; a track/page/screen without a (chain) userId
//   is then filtered (`anonymous_not_tracked`): a user-set rule, not a failure. identify and alias are not gated.
// Names: page → "Web Page Viewed", screen → "App Screen Viewed" in own and segment modes, with the page/screen
//   `name` and `category` added as properties when the properties lack them; rudderstack → "Web Page Viewed: <n>"
//   / "Screen Viewed: <n>" (n = event, properties.event, name, properties.name), bare without a name, no HTML
//   escaping (a RudderStack bug).
// Traits: own keeps keys as sent; firstName/lastName stay custom traits besides making Name (first or last alone
//   will do). segment snake_cases every custom trait and property key, special traits included (firstName →
//   first_name, as seed 004 says "custom or special"), but the six traits seed 004 maps keep CleverTap's names and
//   employed/education/married/customerType are custom there (seed 004 does not map them); MSG-* pass through in
//   every mode (any casing → CleverTap's). rudderstack: §4.1/§5 (context.traits merged, exclusion list, Name needs
//   first AND last, overrideFields), except dotted keys are not expanded into nested objects (set-value quirk).
// Key collisions (`key_collision`, naming both keys; the loser is dropped): keys that meet under one name after
//   MSG-* casing, segment snake_case (firstName / first_name / "First Name") or rules.ts cleaning ("a.b", "a:b",
//   "ab"; two keys over 120 bytes with the same first 120) keep ONE value: the key already in its final form
//   wins, else the first in message order. A standard field against a custom trait holding its CleverTap key:
//   own/segment → the standard field wins (email over "Email"); rudderstack → the custom key wins, as §4.1 step 3
//   copies custom keys after the mapped ones ("Email", "Name", "Customer Type"; context.traits over traits for a
//   custom key, silently, as documented); the value still passes the rules. Charged: Charged ID / Amount / Items
//   from the e-commerce fields win over properties of those names in every mode (a stray "Items" must not
//   replace the products).
// Standard values (rules.ts): fixable ones are converted in every mode (male → M, yes/true → Y, dates → $D_, phone
//   → E.164; a number that already starts with the default country code and has over 10 digits only gets the +);
//   DOB accepts $D_<int>, ISO dates/date-times, YYYYMMDD (calendar-checked), epoch s/ms and Dates, all within
//   1800–2200, never a loose Date.parse ("1990", "May 5", "1990-02-30" cannot be fixed); one that cannot be fixed (Gender "other", Email "1234", Phone "12", Employed/Married "maybe",
//   Education "phd", Age "aa", DOB "birthday", MSG-* "sometimes") rejects the message with CleverTap's code
//   (514–520; DOB and MSG-* have none) in every mode, as CleverTap would reject the record; `invalidValues: drop`
//   drops the field with a warning instead. RudderStack silently drops a gender outside its M/F lists and sends
//   DOB, Married and Phone raw (§5): peer bugs, not reproduced: rudderstack mode rejects (or, with drop, warns)
//   like the others.
// ts: properties.ts / traits.ts (rudderstack: also context.traits.ts), else timestamp, else originalTimestamp, as
//   integer epoch seconds (ms, µs (≥ 1e14) and ISO accepted). A ts must be plausible, 1e9..4102444800
//   (2001–2100): an explicit one that is not → `invalid_ts` and the message time; a message time that is not →
//   `invalid_ts` and no ts. RudderStack sends no ts without properties.ts (so late events get
//   the ingest time), keeps ms and numeric strings as they are and leaves ts inside evtData: all fixed here in
//   every mode. Without any time the record has no ts (CleverTap uses its receive time).
// Charged: track "Order Completed" (any case; rudderstack: also page/screen, as RudderStack does). Charged ID ←
//   checkout_id, else order_id (RudderStack ignores order_id: fixed); Amount ← revenue, else total (own/segment);
//   Items ← products (empty list → no Items, RudderStack throws; one object → a one-item list). Items is always
//   checked (rules.ts): a string/number/boolean Items (e.g. a raw property) cannot be a product list → rejected
//   `invalid_products` (512), rather than renamed into a plain property (that would change the event's schema);
//   items are flat objects under the key rules, each within maxEventProperties (else 522).
// Profiles: at most 256 custom keys (standard fields do not count); more → rejected `too_many_profile_keys` (no
//   CleverTap code documented), in both invalidValues settings: dropping some would lose data arbitrarily.
// "$D_" strings: a value starting with "$D_" that is not $D_<int> (CleverTap rejects it, 512) is sent without the
//   prefix, with a `value_normalised` warning (DOB excepted: it is converted or rejected whole).
// Tokens: identify only (a token per event would repeat it on every call); see token.ts for when one is sent.
// alias: {identity: previousId, profileData: {identity: userId}}; from objectId=previousId when previousId is
//   the anonymousId and that is the objectId (segment mode; own with objectIdMapping).
// group: rejected `unsupported_type` (CleverTap has no groups); counted as a failure, not filtered.
import type { InboundMessage } from '../../message/schema.js';
import type { Warning, TransformError } from '../types.js';
import type { CleverTapRecord } from './records.js';
import type { MappingContext } from './context.js';
import { knownUserId } from './identity.js';
import { mapIdentify, mapAlias } from './profile.js';
import { mapTrack, mapView } from './events.js';
import { mapToken } from './token.js';

export { compileContext, type MappingContext, type Mode } from './context.js';

export interface Rejection {
  ok: false;
  error: TransformError;
  filtered?: boolean;
}

function reject(code: string, message: string, filtered?: boolean): Rejection {
  return filtered ? { ok: false, error: { code, message }, filtered } : { ok: false, error: { code, message } };
}

function isError(r: object): r is TransformError {
  return (r as { code?: unknown }).code !== undefined;
}

/** The records for one message before CleverTap's rules, or why there are none. */
export function mapMessage(msg: InboundMessage, ctx: MappingContext, warnings: Warning[]): CleverTapRecord[] | Rejection {
  switch (msg.type) {
    case 'track':
    case 'page':
    case 'screen': {
      if (!ctx.trackAnonymous && knownUserId(msg, ctx) === undefined) {
        return reject('anonymous_not_tracked', `${msg.type} without a userId: trackAnonymous is off`, true);
      }
      const r = msg.type === 'track' ? mapTrack(msg, ctx, warnings) : mapView(msg, ctx, warnings);
      return isError(r) ? { ok: false, error: r } : [r];
    }
    case 'identify': {
      const profile = mapIdentify(msg, ctx, warnings);
      const token = mapToken(msg, ctx, warnings);
      return token ? [profile, token] : [profile];
    }
    case 'alias':
      return [mapAlias(msg, ctx, warnings)];
    case 'group':
      return reject('unsupported_type', 'CleverTap has no groups: group messages are not sent');
    default:
      return reject('unsupported_type', `message type ${JSON.stringify((msg as { type?: unknown }).type)} is not supported`);
  }
}
