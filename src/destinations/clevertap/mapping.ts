// Segment message → CleverTap records, before CleverTap's rules (enforce.ts). What each mode does is data
// (modes.ts); the specification in prose, with every deliberate difference from Segment and RudderStack, is
// docs/clevertap-mapping.md.
import type { InboundMessage } from '../../message/schema.js';
import type { Warning, TransformError } from '../../core/job.js';
import type { CleverTapRecord, MappedFacts } from './records.js';
import type { MappingContext } from './context.js';
import { knownUserId } from './identity.js';
import { mapIdentify, mapIdentifyPlain, mapAlias } from './profile.js';
import { mapTrack, mapView } from './events.js';
import { mapToken } from './token.js';

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
export function mapMessage(msg: InboundMessage, ctx: MappingContext, warnings: Warning[], facts?: MappedFacts): CleverTapRecord[] | Rejection {
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
      const plain = facts ? mapIdentifyPlain(msg, ctx, warnings, facts) : undefined;
      if (facts && plain) facts.keysChecked = plain.profileData;
      const profile = plain ?? mapIdentify(msg, ctx, warnings);
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
