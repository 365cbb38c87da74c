// context.device.token on an identify → a `type: token` record (CleverTap's device-token upload, same /1/upload).
// A token record can only address an objectId, so it needs the anonymousId to BE the user's CleverTap objectId
// (modes.ts: anonymousIdAsObjectId). Otherwise it would land on a profile of its own, so it is skipped with a warning.
// https://developer.clevertap.com/docs/upload-device-tokens-api
import type { InboundMessage } from '../../message/schema.js';
import type { Warning } from '../../core/job.js';
import { TOKEN_TYPES } from '../../clevertap/limits.js';
import type { TokenRecord } from './records.js';
import type { MappingContext } from './context.js';
import { idOf } from './ids.js';
import { obj } from './paths.js';

type Obj = Record<string, unknown>;

const APPLE = new Set(['ios', 'ipados', 'watchos', 'tvos', 'macos', 'mac os', 'mac os x', 'osx', 'iphone os', 'visionos']);

/** integrations.CleverTap (any casing of the destination's name). */
export function cleverTapIntegration(msg: InboundMessage): Obj | undefined {
  const all = obj(msg.integrations);
  if (!all) return undefined;
  for (const k in all) if (k.length === 9 && k.toLowerCase() === 'clevertap') return obj(all[k]);
  return undefined;
}

function osType(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const s = v.trim().toLowerCase();
  if (s === 'android') return 'fcm';
  if (APPLE.has(s)) return 'apns';
  return undefined;
}

function skip(warnings: Warning[], message: string): undefined {
  warnings.push({ code: 'token_skipped', field: 'context.device.token', message });
  return undefined;
}

export function mapToken(msg: InboundMessage, ctx: MappingContext, warnings: Warning[]): TokenRecord | undefined {
  const context = obj(msg.context);
  const device = obj(context?.device);
  const token = idOf(device?.token);
  if (!token) return undefined;
  if (!ctx.anonymousIdIsObjectId) {
    return skip(warnings, 'device tokens need objectIdMapping: a token record addresses the anonymousId as CleverTap objectId');
  }
  const objectId = idOf(msg.anonymousId);
  if (!objectId) return skip(warnings, 'device token needs an anonymousId (the CleverTap objectId)');

  const integ = cleverTapIntegration(msg);
  let type: string | undefined;
  const override = integ?.deviceTokenType;
  if (override !== undefined) {
    const t = typeof override === 'string' ? override.trim().toLowerCase() : '';
    if (TOKEN_TYPES.includes(t)) type = t;
    else warnings.push({ code: 'invalid_token_type', field: 'integrations.CleverTap.deviceTokenType', message: `${JSON.stringify(override)} is not one of ${TOKEN_TYPES.join(', ')}: ignored` });
  }
  type ??= ctx.deviceTokenType ?? osType(obj(context?.os)?.name) ?? osType(device?.type);
  if (!type) return skip(warnings, 'cannot tell the device token type: set context.os.name, integrations.CleverTap.deviceTokenType or the deviceTokenType setting');

  const tokenData: TokenRecord['tokenData'] = { id: token, type };
  if (type === 'chrome') {
    // A web push subscription is unusable without both keys, and CleverTap refuses it.
    const keys = obj(integ?.chromeKeys);
    if (!keys || !idOf(keys.p256dh) || !idOf(keys.auth)) return skip(warnings, 'chrome tokens need integrations.CleverTap.chromeKeys with both p256dh and auth');
    tokenData.keys = keys;
  }
  return { type: 'token', objectId, tokenData };
}
