// The CleverTap destination's settings: one schema for validation, types and the README reference.
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

export const CLEVERTAP_REGIONS = ['eu1', 'in1', 'sg1', 'us1', 'aps3', 'mec1', 'sk1'] as const;
export type CleverTapRegion = (typeof CLEVERTAP_REGIONS)[number];

export const CleverTapSettingsSchema = Type.Object(
  {
    accountId: Type.String({ minLength: 1, description: 'CleverTap Account (Project) ID' }),
    passcode: Type.String({ minLength: 1, description: 'Account passcode (secret: use ${ENV_VAR})' }),
    region: Type.Optional(Type.Union(CLEVERTAP_REGIONS.map((r) => Type.Literal(r)), { description: 'eu1 (default) = api.clevertap.com' })),
    endpoint: Type.Optional(Type.String({ description: 'Base URL override, e.g. http://127.0.0.1:9000 (emulator)' })),
    compat: Type.Optional(Type.Union([Type.Literal('segment'), Type.Literal('rudderstack')])),
    trackAnonymous: Type.Optional(Type.Boolean({ description: 'Send track/page/screen of users without userId (default true; rudderstack default false)' })),
    objectIdMapping: Type.Optional(Type.Boolean({ description: 'Use anonymousId as CleverTap objectId (default false)' })),
    defaultCountryCode: Type.Optional(Type.String({ pattern: '^\\+?[0-9]{1,4}$', description: 'Prefix for phone numbers without one, e.g. +91' })),
    invalidValues: Type.Optional(Type.Union([Type.Literal('reject'), Type.Literal('drop')], { description: 'What to do with a standard profile value that cannot be fixed: drop the field with a warning (default) or reject the message with CleverTap\'s code' })),
    dateOrder: Type.Optional(Type.Union([Type.Literal('mdy'), Type.Literal('dmy')], { description: 'How slash dates such as 02/03/1985 are read (absent: dropped with a warning)' })),
    maxEventProperties: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Per-event property limit (default 100); more are left out with a warning' })),
    deviceTokenType: Type.Optional(Type.Union(['fcm', 'apns', 'gcm', 'wns', 'mpns', 'chrome'].map((t) => Type.Literal(t)))),
    maxInFlight: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: 'Concurrent upload requests per account (default 15)' })),
    batchSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: 'Records per upload request (default 1000)' })),
    requestTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, description: 'Upload timeout (default 30000)' })),
  },
  { additionalProperties: false },
);
export type CleverTapSettings = Static<typeof CleverTapSettingsSchema>;
export const cleverTapSettingsCheck = TypeCompiler.Compile(CleverTapSettingsSchema);

/** Base URL of the account's API (no trailing slash, without the /1 prefix). */
export function cleverTapBaseUrl(s: Pick<CleverTapSettings, 'region' | 'endpoint'>): string {
  if (s.endpoint) return s.endpoint.replace(/\/+$/, '');
  if (!s.region || s.region === 'eu1') return 'https://api.clevertap.com';
  return `https://${s.region}.api.clevertap.com`;
}

export function parseCleverTapSettings(raw: unknown): CleverTapSettings {
  if (!cleverTapSettingsCheck.Check(raw)) {
    const e = cleverTapSettingsCheck.Errors(raw).First();
    throw new Error(`invalid clevertap settings: ${e?.path || '/'} ${e?.message ?? ''}`.trim());
  }
  return raw;
}
