// Who a record is about: root identity / objectId (and profileData.identity for a link) in each mode.
// Tables: own and segment modes in mapping.ts; rudderstack mode is RudderStack's §7 table.
import type { InboundMessage } from '../../message/schema.js';
import type { MappingContext } from './context.js';

export interface Ids {
  identity?: string;
  objectId?: string;
  /** profileData.identity: links the objectId's profile to this identity (identify only). */
  link?: string;
}

/**
 * An id as CleverTap takes it: a non-blank string (numbers are stringified), else undefined. A blank id
 * ("", "  ") is no id: CleverTap answers 523 for it, and as an id it would merge every blank-id user into one.
 */
export function idOf(v: unknown): string | undefined {
  if (typeof v === 'string') {
    const c = v.charCodeAt(0); // NaN for ''
    if (c > 32 && c < 127) return v;
    return v.trim() === '' ? undefined : v;
  }
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

function field(o: unknown, k: string): unknown {
  return o !== null && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined;
}

/** RudderStack's `userIdOnly` chain: userId, traits.userId, traits.id, context.traits.userId, context.traits.id. */
export function rudderUserId(msg: InboundMessage): string | undefined {
  const ct = field(msg.context, 'traits');
  return (
    idOf(msg.userId) ??
    idOf(field(msg.traits, 'userId')) ??
    idOf(field(msg.traits, 'id')) ??
    idOf(field(ct, 'userId')) ??
    idOf(field(ct, 'id'))
  );
}

/** The user id that decides "known user" (trackAnonymous gate) in this mode. */
export function knownUserId(msg: InboundMessage, ctx: MappingContext): string | undefined {
  return ctx.mode === 'rudderstack' ? rudderUserId(msg) : idOf(msg.userId);
}

/** Ids for a profile (identify) record, or for an event record when `profile` is false. */
export function resolveIds(msg: InboundMessage, ctx: MappingContext, profile: boolean): Ids {
  const anon = idOf(msg.anonymousId);
  const user = knownUserId(msg, ctx);
  switch (ctx.mode) {
    case 'segment':
      // The anonymousId is the CleverTap ID (objectId), the userId the identity; both when both exist.
      return { identity: user, objectId: anon };
    case 'rudderstack':
      if (!ctx.objectIdMapping) return { identity: user ?? anon };
      if (anon) return profile ? { objectId: anon, link: user } : { objectId: anon };
      return { identity: user };
    default:
      if (user) return profile && ctx.objectIdMapping && anon ? { objectId: anon, link: user } : { identity: user };
      return ctx.objectIdMapping ? { objectId: anon } : { identity: anon };
  }
}
