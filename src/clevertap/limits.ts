// CleverTap's documented limits and reserved names, as its Upload API applies them. Platform facts, shared by the
// CleverTap destination (which must stay within them) and the CleverTap sources.
// https://developer.clevertap.com/docs/upload-events-api · https://developer.clevertap.com/docs/upload-user-profiles-api
// https://developer.clevertap.com/docs/api-request-limit

/** Records per POST /1/upload. */
export const MAX_RECORDS_PER_UPLOAD = 1000;
/** Device-token records per POST /1/upload. */
export const MAX_TOKENS_PER_UPLOAD = 100;
/** Identities per POST /1/delete/profiles.json. */
export const MAX_IDS_PER_DELETE = 100;
/** Concurrent delete calls per account (the API request limit page lists it per API). */
export const MAX_DELETES_IN_FLIGHT = 3;
/** Concurrent API requests per account (more are answered 429). */
export const MAX_IN_FLIGHT = 15;

/** Keys (profile keys are documented in bytes, event keys in characters: bytes is the stricter). */
export const MAX_KEY_BYTES = 120;
/** String values. */
export const MAX_VALUE_BYTES = 512;
export const MAX_EVENT_NAME_BYTES = 512;
/** Properties per event for a default account; CleverTap raises it on request (the destination's
 *  maxEventProperties setting). https://developer.clevertap.com/docs/upload-events-api */
export const DEFAULT_MAX_EVENT_PROPERTIES = 100;
/** Custom profile keys; standard fields do not count. */
export const MAX_CUSTOM_PROFILE_KEYS = 256;

/** Never in keys or event names: the SDKs' list (. : $ ' " \) and & % > < !, which the API refuses too. */
export const PROHIBITED_CHARS: readonly string[] = ['.', ':', '$', "'", '"', '\\', '&', '%', '>', '<', '!'];

/**
 * CleverTap's identity keys: `profileData.identity` ADDS an identity to a profile, so a profile property of one
 * of these names (any case) merges that profile with another user's.
 */
export const RESERVED_PROFILE_KEYS: readonly string[] = ['identity', 'objectId', 'FBID', 'GPID'];

/**
 * Never raised as custom events (case-insensitive): the SDK's restricted list (code 513), then the other system
 * events CleverTap raises itself; raising them from outside would fake CleverTap's own data.
 */
export const RESTRICTED_EVENT_NAMES: readonly string[] = [
  'Stayed', 'Notification Clicked', 'Notification Viewed', 'UTM Visited', 'Notification Sent', 'App Launched',
  'wzrk_d', 'App Uninstalled', 'Notification Bounced', 'Geocluster Entered', 'Geocluster Exited',
  'SCOutgoing', 'SCIncoming', 'SCEnd', 'SCCampaignOptOut',
  'App Installed', 'App Version Changed', 'App Upgraded', 'Web Session Started', 'Session Concluded',
  'Notification Failed', 'Notification Delivered', 'Notification Replied', 'Push Impressions', 'Reply Sent',
  'Webhook Delivered', 'Channel Unsubscribed', 'Channel Subscribed', 'State Transitioned', 'Partner Sync',
  'AB Test Enter', 'AB Test Exit', 'AB Experiment Rendered', 'AB Experiment Rolled Out', 'AB Experiment Stopped',
  'AB Experiment Disqualified', 'A/B Experiment Rendered', 'A/B Experiment Rolled Out', 'A/B Experiment Stopped',
  'A/B Experiment Disqualified', 'Control Group', 'Custom Control Group', 'System Control Group',
  'Identity Set', 'Identity Reset', 'Identity Error', 'Reachable By', 'Push Unregistered',
  'CT Coupon Rewarded', 'CT Coupon Redeemed', 'CT Coupon Reverted', 'CT Points Credited', 'CT Points Debited',
  'CT Partner Voucher Rewarded',
];

/** The purchase event and its product list. */
export const CHARGED_EVENT = 'Charged';
export const CHARGED_ITEMS_KEY = 'Items';
/** Subscription flags: booleans that set the user's Do-Not-Disturb status per channel. */
export const MSG_KEYS: readonly string[] = ['MSG-email', 'MSG-push', 'MSG-sms', 'MSG-whatsapp'];
/** Subscription-group objects ({channel: [group, ...]}). */
export const SUBSCRIPTION_KEYS: readonly string[] = ['category-unsubscribe', 'category-resubscribe'];
export const EDUCATION_VALUES: readonly string[] = ['School', 'College', 'Graduate'];
/** https://developer.clevertap.com/docs/upload-device-tokens-api */
export const TOKEN_TYPES: readonly string[] = ['fcm', 'apns', 'gcm', 'wns', 'mpns', 'chrome'];

/** A date value: "$D_<epoch seconds>" (anything else starting with "$D_" is refused, 512). */
export const CLEVERTAP_DATE = /^\$D_-?\d+$/;
export const CLEVERTAP_DATE_PREFIX = '$D_';
