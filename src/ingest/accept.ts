// The one path every protocol's messages take into the store: validate, stamp, route, store durably.
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { ConnectionConfig, SourceConfig } from '../config/schema.js';
import { hasElided, materialise, stringifyItem } from '../message/batch-scan.js';
import { stringifyIds } from '../message/ids.js';
import { compileFilter, type CompiledFilter } from '../connections/filter.js';
import { validateInbound } from '../message/schema.js';
import { correctedTimestampMs, isoOrUndefined, toEpochMs } from '../message/time.js';
import { noteSpans, type PayloadSpans } from '../message/payload-spans.js';
import type { Store, StoredMessage } from '../store/types.js';
import { originOf } from '../sources/registry.js';
import { safeEqual } from '../util/secrets.js';
import type { AcceptOptions, AcceptResult, IngestContext } from './context.js';

export interface IngestOptions {
  maxEventBytes: number;
  maxRequestBytes: number;
  maxBatchEvents: number;
  maxBacklog: number;
}

interface Route {
  destination: string;
  /** The platform whose messages this route holds back (the loop guard): the destination's own, unless the
   *  connection allows the loop. */
  guardedOrigin?: string;
  /** A device-mode connection: messages the app's own SDK kit already sent are not sent again. */
  deviceMode: boolean;
  /** The connection's filter rules (and the message's integrations object): the rule that refuses a message. */
  refuse: CompiledFilter['refuse'];
  /** The filter reads any field (a `where` expression): a scanned message's elided members are parsed for it. */
  whole: boolean;
}

/** A destination as ingest sees it: where it delivers to (its definition's `platform`). */
export interface RouteTarget {
  id: string;
  platform?: string;
  /** The destination's type, as a message's integrations object may name it. */
  type?: string;
}

/**
 * The stored form of a message from its own text is the text without its closing `}`, then this: what ingest set
 * on the message, appended as members, and the `}`. JSON.parse keeps the last of repeated keys
 * (https://tc39.es/ecma262/#sec-internalizejsonproperty), so it reads back as the message ingest validated and
 * stamped, without serialising that again; undefined when the text is not an object's. (SQL JSON functions read
 * the first of repeated keys instead: the store's own queries read only type, event and name, which are never
 * stamped.)
 */
function stampOf(text: string, m: Record<string, unknown>, original: string | undefined, q: Stamps): string | undefined {
  const end = text.length - 1;
  if (text.charCodeAt(0) !== 123 || text.charCodeAt(end) !== 125) return undefined;
  // An empty object (`{ }`) takes no comma: the serialising path has it (its first non-blank before `}` is `{`).
  let last = end - 1;
  while (isBlank(text.charCodeAt(last))) last--;
  if (last === 0) return undefined;
  return (
    ',"messageId":' +
    JSON.stringify(m.messageId) +
    q.receivedAt +
    q.timestamp(m.timestamp as string) +
    (m.sentAt !== undefined ? q.sentAt(m.sentAt as string) : '') +
    (original ? q.original(original) : '') +
    '}'
  );
}

/** The stamp's members of one request, each written once per distinct value (see lastMember). */
interface Stamps {
  receivedAt: string;
  timestamp: (s: string) => string;
  sentAt: (s: string) => string;
  original: (s: string) => string;
}

function stamps(receivedAt: string): Stamps {
  return { receivedAt: member('receivedAt', receivedAt), timestamp: lastMember('timestamp'), sentAt: lastMember('sentAt'), original: lastMember('originalTimestamp') };
}

/** `,"<name>":<the value as JSON>`. */
function member(name: string, value: string): string {
  return `,"${name}":${JSON.stringify(value)}`;
}

/** member(), remembering the last value written: a batch's items mostly share their sentAt (the batch's), and
 *  often their times. */
function lastMember(name: string): (s: string) => string {
  let from: string | undefined;
  let to = '';
  return (s) => (s === from ? to : (to = member(name, (from = s))));
}

/** toEpochMs, remembering the last string read (see lastMember). */
function lastTime(): (s: string | undefined) => number {
  let from: string | undefined;
  let to = NaN;
  return (s) => {
    if (s === from) return to;
    from = s;
    return (to = s ? toEpochMs(s) : NaN);
  };
}

/** isoOrUndefined, remembering the last time written. */
function lastIso(): (ms: number) => string | undefined {
  let from = NaN;
  let to: string | undefined;
  return (ms) => (ms === from ? to : (to = isoOrUndefined((from = ms))));
}

/** The same destinations, in the same order. */
function sameList(a: string[], b: string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** JSON's whitespace: space, tab, line feed, carriage return. */
function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** Byte length only when the char length could exceed the limit (UTF-8 is at most 3 bytes per UTF-16 unit). */
function tooLarge(payload: string, max: number): boolean {
  return payload.length * 3 > max && Buffer.byteLength(payload) > max;
}

function hasNumericId(m: Record<string, unknown>): boolean {
  return typeof m.userId === 'number' || typeof m.anonymousId === 'number' || typeof m.previousId === 'number';
}

/** Segment's SDKs list the device-mode integrations that handled a message in `_metadata.bundled` (e.g.
 *  https://github.com/segmentio/analytics-next/blob/master/packages/browser/src/plugins/segmentio/normalize.ts). */
function bundledToCleverTap(m: Record<string, unknown>): boolean {
  const bundled = (m._metadata as { bundled?: unknown } | undefined)?.bundled;
  return Array.isArray(bundled) && bundled.includes('CleverTap');
}

export function createIngestContext(
  sources: SourceConfig[],
  destinations: RouteTarget[],
  connections: ConnectionConfig[],
  store: Store,
  opts: IngestOptions,
  onStored: (destinationIds: string[]) => void,
  /** A read-only tap on what was stored (the console's live debugger); `received` must return at once. While it is
   *  not `active`, the stored messages are not kept past their hand-over to the store. */
  tap?: { readonly active: boolean; received(sourceId: string, stored: StoredMessage[], duplicates: number[]): void },
): IngestContext {
  const platform = new Map(destinations.map((d) => [d.id, d.platform]));
  const typeOf = new Map(destinations.map((d) => [d.id, d.type ?? d.id]));
  const routes = new Map<string, Route[]>();
  for (const c of connections) {
    const list = routes.get(c.source) ?? [];
    // Declarative rules run here, where the message is routed: no job is created for a refused message.
    const { refuse } = compileFilter(c.filter, { id: c.destination, type: typeOf.get(c.destination) ?? c.destination });
    list.push({ destination: c.destination, guardedOrigin: c.allowCleverTapLoop ? undefined : platform.get(c.destination), deviceMode: Boolean(c.deviceMode), refuse, whole: Boolean(c.filter?.where) });
    routes.set(c.source, list);
  }
  const byId = new Map(sources.map((s) => [s.id, s]));
  const byWriteKey = secretLookup(sources, (s) => ('writeKey' in s ? s.writeKey : undefined));
  const byKey = secretLookup(sources, (x) => ('key' in x ? x.key : undefined));

  // Not async itself: the messages are turned into stored text synchronously, and only the commit is waited for,
  // so the parsed request (often 100+ objects) is garbage before the wait instead of outliving it (and being
  // promoted to the old generation while the commit and its fsync run).
  function accept(source: SourceConfig, raw: unknown[], o: AcceptOptions = {}): Promise<AcceptResult> {
    const now = o.receivedAt ?? Date.now();
    const receivedAt = new Date(now).toISOString();
    const origin = originOf(source);
    const srcRoutes = routes.get(source.id) ?? [];
    const stored: StoredMessage[] = [];
    const rejected: AcceptResult['rejected'] = [];
    // The payloads stored as written, as places in the request body (message/payload-spans.ts).
    const within = o.within;
    const spans: PayloadSpans | undefined = within && { text: within.text, start: [], end: [], rest: [] };
    const quoted = stamps(receivedAt);
    const sentMs = lastTime();
    const originalMs = lastTime();
    const iso = lastIso();
    let lastDests: string[] = [];
    for (let i = 0; i < raw.length; i++) {
      const m = raw[i] as Record<string, unknown>;
      if (m === null || typeof m !== 'object' || Array.isArray(m)) {
        rejected.push({ index: i, error: 'message must be a JSON object' });
        continue;
      }
      // The message's own text can be stored (with what ingest stamps on it appended) while nothing else about it
      // changes here: no credential to remove, no numeric id to turn into a string.
      const text = o.texts?.[i];
      const asWritten = text !== undefined && m.writeKey === undefined && !hasNumericId(m);
      // Segment's browser SDK puts the write key in every event; a credential is not part of the message.
      if (m.writeKey !== undefined) delete m.writeKey;
      // SDKs sometimes send numeric ids; CleverTap identities are strings.
      stringifyIds(m);
      const err = validateInbound(m);
      if (err) {
        rejected.push({ index: i, messageId: typeof m.messageId === 'string' ? m.messageId : undefined, error: err });
        continue;
      }
      if (!m.messageId) m.messageId = randomUUID();
      const original = (m.originalTimestamp ?? m.timestamp) as string | undefined;
      const ts = correctedTimestampMs(now, originalMs(original), sentMs(m.sentAt as string | undefined));
      m.receivedAt = receivedAt;
      // A client whose clock agrees with ours (the usual case) gets the receivedAt string: no second Date per event.
      m.timestamp = ts === now ? receivedAt : (iso(ts) ?? receivedAt);
      if (original) m.originalTimestamp = original;
      const stamp = asWritten ? stampOf(text, m, original, quoted) : undefined;
      let payload = stamp === undefined ? undefined : text!.slice(0, text!.length - 1) + stamp;
      /** The payload is the item's text but its `}`, then the stamp. */
      let written = payload !== undefined;
      // Near the limit the serialised form decides (the written one may hold whitespace and repeated keys).
      // An item of a scanned batch is written with its elided values as they came, unless near the limit.
      if (payload === undefined && hasElided(m)) payload = stringifyItem(m);
      if (payload === undefined || tooLarge(payload, opts.maxEventBytes)) {
        written = false;
        try {
          payload = JSON.stringify(m);
        } catch {
          // Only a pathologically deep message gets here (RangeError): refuse it, keep the rest of the batch.
          rejected.push({ index: i, messageId: m.messageId as string, error: 'message is nested too deeply' });
          continue;
        }
      }
      if (tooLarge(payload, opts.maxEventBytes)) {
        rejected.push({ index: i, messageId: m.messageId as string, error: `event larger than ${opts.maxEventBytes} bytes` });
        continue;
      }
      let dests: string[] = [];
      let filtered: StoredMessage['filtered'];
      for (const r of srcRoutes) {
        if (origin !== undefined && r.guardedOrigin === origin) (filtered ??= []).push({ destination: r.destination, reason: 'loop_guard' });
        else if (r.deviceMode && bundledToCleverTap(m)) (filtered ??= []).push({ destination: r.destination, reason: 'device_mode' });
        else {
          const rule = r.refuse(r.whole ? materialise(m) : m);
          if (rule) (filtered ??= []).push({ destination: r.destination, reason: rule });
          else dests.push(r.destination);
        }
      }
      // Consecutive messages mostly go to the same destinations: one list for them (read only, by every store).
      if (sameList(dests, lastDests)) dests = lastDests;
      else lastDests = dests;
      const userKey = String(m.userId || m.anonymousId);
      const anonymousId = m.anonymousId ? String(m.anonymousId) : undefined;
      const sm: StoredMessage = { messageId: m.messageId as string, userKey, receivedAt: now, payload, destinations: dests, filtered };
      if (anonymousId !== undefined && anonymousId !== userKey) sm.anonymousId = anonymousId;
      stored.push(sm);
      if (spans) {
        const start = written ? within!.starts[i] : -1;
        spans.start.push(start);
        spans.end.push(written ? start + text!.length - 1 : 0);
        spans.rest.push(written ? stamp! : payload);
      }
    }
    // Only when some payload is cut from the body (not, say, a browser SDK's batch with its write key in every
    // item: those are serialised, and the body need not cross at all).
    if (spans && spans.start.some((x) => x >= 0)) noteSpans(stored, spans);
    return commit(source.id, srcRoutes, stored, rejected);
  }

  async function commit(sourceId: string, srcRoutes: Route[], stored: StoredMessage[], rejected: AcceptResult['rejected']): Promise<AcceptResult> {
    // Rejections are counted in the append's own transaction: counting them can never fail a stored request.
    const appending = store.append(sourceId, stored, rejected.length);
    const tapped = tap?.active ? stored : null;
    stored = []; // (an argument lives as long as the call: let the texts go unless the tap wants them)
    const res = await appending;
    if (res.accepted > 0) onStored(srcRoutes.map((r) => r.destination));
    if (tapped) tap!.received(sourceId, tapped, res.duplicates);
    return { accepted: res.accepted, duplicates: res.duplicates.length, rejected };
  }

  return {
    sources,
    limits: { maxEventBytes: opts.maxEventBytes, maxRequestBytes: opts.maxRequestBytes, maxBatchEvents: opts.maxBatchEvents },
    sourceByWriteKey: (key) => byWriteKey(key),
    sourceByKeySecret: (key, secret) => {
      const s = byKey(key);
      return s && 'secret' in s && s.secret !== undefined && safeEqual(s.secret, secret) ? s : undefined;
    },
    sourceById: (id) => byId.get(id),
    accept,
    overloaded: async () => (await store.pendingTotal()) >= opts.maxBacklog,
    seenRequest: (sourceId, requestId) => store.seenRequest(sourceId, requestId),
    rememberRequests: (sourceId, ids) => store.rememberRequests(sourceId, ids, Date.now()),
  };
}

/**
 * The source whose secret (as `pick` reads it) is the one given. Compares against every source so the time taken
 * does not depend on which key matched, and compares SHA-256 digests so it does not depend on the lengths either
 * (as util/secrets.ts's safeEqual); the sources' digests are taken once here, the given key's once per lookup,
 * instead of both per source and per request.
 */
function secretLookup(sources: SourceConfig[], pick: (s: SourceConfig) => string | undefined): (given: string) => SourceConfig | undefined {
  const digests = sources.map((s) => {
    const v = pick(s);
    return v === undefined ? undefined : sha256(v);
  });
  return (given) => {
    const d = sha256(given);
    let found: SourceConfig | undefined;
    for (let i = 0; i < sources.length; i++) {
      const own = digests[i];
      if (own !== undefined && timingSafeEqual(own, d) && !found) found = sources[i];
    }
    return found;
  };
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}
