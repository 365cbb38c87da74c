// Who a record is about: root identity / objectId, and profileData.identity (the link) on an identify, as the
// mode's spec says (modes.ts: ids). A = anonymousId, U = the userId (read from the spec's userIdFrom):
//   anonymousId not the objectId → identity = U, else A.
//   'both'               → identity = U and objectId = A, each when present.
//   'link-then-identity' → identify with A and U: objectId = A + link U (merges the anonymous profile); events by U.
//   'link-then-objectId' → identify with A and U: objectId = A + link U; events by A.
//   Only one of A and U: that one (A as objectId).
import type { InboundMessage } from '../../message/schema.js';
import type { MappingContext } from './context.js';
import { idOf } from './ids.js';
import { readPath } from './paths.js';

export interface Ids {
  identity?: string;
  objectId?: string;
  /** profileData.identity: links the objectId's profile to this identity (identify only). */
  link?: string;
}

/** The user id that decides "known user" (trackAnonymous gate): the first non-blank one of the spec's places. */
export function knownUserId(msg: InboundMessage, ctx: MappingContext): string | undefined {
  for (const p of ctx.userIdPaths) {
    const v = idOf(p.length === 1 ? (msg as Record<string, unknown>)[p[0]] : readPath(msg, p));
    if (v !== undefined) return v;
  }
  return undefined;
}

/** Ids for a profile (identify) record, or for an event record when `profile` is false. */
export function resolveIds(msg: InboundMessage, ctx: MappingContext, profile: boolean): Ids {
  const anon = idOf(msg.anonymousId);
  const user = knownUserId(msg, ctx);
  if (!ctx.anonymousIdIsObjectId) return { identity: user ?? anon };
  const knownUser = ctx.spec.ids.knownUser;
  if (knownUser === 'both') return { identity: user, objectId: anon };
  if (anon === undefined) return { identity: user };
  if (user === undefined) return { objectId: anon };
  if (profile) return { objectId: anon, link: user };
  return knownUser === 'link-then-identity' ? { identity: user } : { objectId: anon };
}
