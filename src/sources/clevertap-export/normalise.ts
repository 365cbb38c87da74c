// One normalisation for every message that came from CleverTap, whatever the protocol (Segment export on /v1/*,
// mParticle Events API feed, CleverTap webhooks), so the same CleverTap event yields the same canonical message.
//
// Decisions:
// - track: `event` becomes the catalogue's canonical spelling (see catalogue.ts); `properties` are kept as they are
//   (attribute names and values untouched).
// - Classification goes in `context.clevertap`: `{ system: true, eventType: <mParticle type> }` for catalogue
//   events, `{ system: false }` for other tracks (the app's own custom events). Only track messages get it. Other
//   keys already in context.clevertap are kept. The wire's own classification (e.g. mParticle's
//   custom_event_type) stays in transport context (context.mparticle) and does not override the catalogue.
// - `context.integration = { name: 'clevertap' }` on every message (a `version` already there is kept).
// - identify / group traits and `context.traits` go through mapUserAttributes (ct_* and CleverTap profile keys
//   → Segment traits).
// - userId / anonymousId given as numbers become strings; `timestamp` / `originalTimestamp` given as parseable
//   times (ISO strings, epoch seconds or ms) become ISO 8601 with milliseconds (so "…T10:00:00Z" from a Segment export and epoch ms from mParticle
//   compare equal). An unparseable string is left for validation; a number that is no representable time (beyond
//   ±8.64e15 ms) is removed, i.e. treated as absent (ingest uses receivedAt). Everything else, including transport
//   context and ids, is left alone.
// - One deep copy (structuredClone) per message: converters that call this may hand over messages sharing
//   sub-objects with each other or with their input. Input that cannot be cloned (absurd nesting) throws; the
//   converters catch that per batch / profile.
// - Pure and idempotent: never mutates its input; normalising twice equals normalising once.
import type { InboundMessage } from '../../message/schema.js';
import { isoOrUndefined, toEpochMs } from '../../message/time.js';
import { lookupSystemEvent, mapUserAttributes } from '../../clevertap/catalogue.js';

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isoTime(v: string): string {
  return isoOrUndefined(toEpochMs(v)) ?? v;
}

export function normaliseCleverTapMessage(msg: InboundMessage): InboundMessage {
  const out: InboundMessage = structuredClone(msg);
  const context: Record<string, unknown> = isObj(out.context) ? out.context : {};

  const prevIntegration = isObj(context.integration) ? context.integration : {};
  context.integration =
    prevIntegration.version !== undefined ? { name: 'clevertap', version: prevIntegration.version } : { name: 'clevertap' };

  if (out.type === 'track' && typeof out.event === 'string') {
    const entry = lookupSystemEvent(out.event);
    if (entry) out.event = entry.name;
    const prev = isObj(context.clevertap) ? context.clevertap : {};
    const { eventType: _drop, ...rest } = prev;
    void _drop;
    context.clevertap = entry ? { ...rest, system: true, eventType: entry.mparticleType } : { ...rest, system: false };
  }

  if ((out.type === 'identify' || out.type === 'group') && isObj(out.traits)) out.traits = mapUserAttributes(out.traits);
  if (isObj(context.traits)) context.traits = mapUserAttributes(context.traits);

  for (const k of ['userId', 'anonymousId'] as const) {
    const v = (out as Record<string, unknown>)[k];
    if (typeof v === 'number' && Number.isFinite(v)) out[k] = String(v);
  }
  for (const k of ['timestamp', 'originalTimestamp'] as const) {
    const v: unknown = (out as Record<string, unknown>)[k];
    if (typeof v === 'string') out[k] = isoTime(v);
    else if (typeof v === 'number') {
      // A number that is no representable time (e.g. 1e17 ms) is treated as absent: ingest then uses receivedAt.
      const iso = isoOrUndefined(toEpochMs(v));
      if (iso !== undefined) out[k] = iso;
      else delete (out as Record<string, unknown>)[k];
    }
  }

  out.context = context;
  return out;
}
