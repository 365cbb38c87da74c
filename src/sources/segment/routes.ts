// Segment / RudderStack tracking API, on every path their SDKs use:
//   /v1/{identify,track,page,screen,group,alias}      one message (server SDKs, RudderStack's browser SDK)
//   /v1/{i,t,p,s,g,a}                                  the same, as Segment's browser SDK names them (`<apiHost>/<type's first letter>`)
//   /v1/batch, /v1/import, /v1/b                       a batch (`/b`: Segment's browser SDK in batching mode and its mobile SDKs)
//   /beacon/v1/batch?writeKey=…                        RudderStack's browser SDK through navigator.sendBeacon
// Any source type that speaks this API (src/sources/registry.ts) is accepted: Segment / RudderStack SDKs, and
// CleverTap's Segment export, whose messages go through its type's normaliser first.
//
// Decisions:
// - Bodies are JSON whatever their Content-Type (the browser SDKs send text/plain to avoid a preflight; see server.ts).
// - The write key comes from HTTP Basic (user), the body's `writeKey`, `X-Write-Key`, or, on the beacon path only,
//   the `writeKey` query parameter (sendBeacon cannot set headers).
// - Short paths share the long paths' handlers, so limits, dedupe, clock correction and answers are the same.
// - A browser request whose Origin the source does not allow is refused with 403 before anything is stored (cors.ts).
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SourceConfig } from '../../config/schema.js';
import { InboundMessageSchema, type InboundMessage } from '../../message/schema.js';
import { bodyText, scannedItems } from '../../message/ids.js';
import { materialise } from '../../message/batch-scan.js';
import { arrayItemTexts } from '../../message/json-slices.js';
import { noteSource } from '../../http/observe.js';
import { normaliserOf, speaks } from '../registry.js';
import { parseBasicAuth } from '../../util/secrets.js';
import type { AcceptOptions, IngestContext, ProtocolRoutes } from '../../ingest/context.js';
import { originAllowed, withdrawCors } from './cors.js';

const WriteKey = Type.Optional(Type.String({ description: 'the write key, when not sent as the HTTP Basic user' }));
const Obj = Type.Record(Type.String(), Type.Unknown());
/** One message; the path gives its type. The route checks it is an object, ingest checks the message schema. */
export const SingleBody = Type.Object({ ...Type.Omit(InboundMessageSchema, ['type']).properties, writeKey: WriteKey }, { additionalProperties: true });
/** A batch; the route checks the envelope, ingest checks each item against the message schema. */
export const BatchBody = Type.Object(
  { batch: Type.Array(InboundMessageSchema), writeKey: WriteKey, sentAt: Type.Optional(Type.String()), context: Type.Optional(Obj), integrations: Type.Optional(Obj) },
  { additionalProperties: true },
);
const isObject = TypeCompiler.Compile(Type.Object({}, { additionalProperties: true }));
const hasBatchArray = TypeCompiler.Compile(Type.Object({ batch: Type.Array(Type.Unknown()) }, { additionalProperties: true }));

const SINGLE = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const;
/** Segment's browser SDK posts each call to `<apiHost>/<first letter of the type>`. */
const SHORT: Record<string, (typeof SINGLE)[number]> = { i: 'identify', t: 'track', p: 'page', s: 'screen', g: 'group', a: 'alias' };

/** Normalises one message; one that cannot be normalised (e.g. absurdly nested) goes on as it came and is
 *  judged by accept(), which rejects it with a reason instead of failing the request. */
function normaliseOrKeep(m: unknown, normalise: (m: InboundMessage) => InboundMessage): unknown {
  if (!m || typeof m !== 'object' || Array.isArray(m)) return m;
  try {
    // A normaliser reads whole messages: a scanned item's elided members are parsed first.
    return normalise(materialise(m as Record<string, unknown>) as InboundMessage);
  } catch {
    return m;
  }
}

function fail(reply: FastifyReply, status: number, error: string) {
  return reply.code(status).send({ success: false, error });
}

function writeKeyOf(req: FastifyRequest, body: Record<string, unknown>, fromQuery: boolean): string | undefined {
  const basic = parseBasicAuth(req.headers.authorization);
  const query = fromQuery ? (req.query as Record<string, unknown>).writeKey : undefined;
  return (
    basic?.user ||
    (typeof body.writeKey === 'string' ? body.writeKey : '') ||
    (req.headers['x-write-key'] as string | undefined) ||
    (typeof query === 'string' ? query : undefined)
  );
}

function authenticate(ctx: IngestContext, key: string | undefined): SourceConfig | 'missing' | 'unknown' {
  if (!key) return 'missing';
  const s = ctx.sourceByWriteKey(key);
  return s && speaks(s, 'segment') ? s : 'unknown';
}

/** The batch's items, each with the request's top-level context / integrations / sentAt (the item's own values win). */
function batchItems(body: Record<string, unknown>): unknown[] {
  const top = body.context as Record<string, unknown> | undefined;
  const integrations = body.integrations as Record<string, unknown> | undefined;
  const sentAt = body.sentAt;
  return (body.batch as unknown[]).map((m) => {
    if (!m || typeof m !== 'object' || Array.isArray(m)) return m;
    const x = m as Record<string, unknown>;
    if (top && typeof top === 'object') x.context = { ...top, ...(x.context as object | undefined) };
    if (integrations && typeof integrations === 'object') x.integrations = { ...integrations, ...(x.integrations as object | undefined) };
    if (sentAt !== undefined && x.sentAt === undefined) x.sentAt = sentAt;
    return x;
  });
}

/** Each batch item's own JSON text, when the items are stored as written: not when the batch's context or
 *  integrations are merged into them (ingest then serialises the merged message). */
function itemTexts(body: Record<string, unknown>): AcceptOptions | undefined {
  if (body.context !== undefined || body.integrations !== undefined) return undefined;
  const scanned = scannedItems(body);
  if (scanned) return { texts: scanned.texts, within: { text: scanned.text, starts: scanned.starts } };
  const text = bodyText(body);
  const texts = text === undefined ? null : arrayItemTexts(text, 'batch');
  return texts && texts.length === (body.batch as unknown[]).length ? { texts } : undefined;
}

export const segmentRoutes: ProtocolRoutes = (app, ctx) => {
  async function handle(req: FastifyRequest, reply: FastifyReply, items: unknown[], key: string | undefined, single: boolean, written?: AcceptOptions) {
    const src = authenticate(ctx, key);
    if (src === 'missing') return fail(reply, 401, 'missing write key (HTTP Basic user or "writeKey" in the body)');
    if (src === 'unknown') return fail(reply, 401, 'unknown write key');
    noteSource(req, src.id);
    const origin = req.headers.origin;
    if (origin && !originAllowed(src, origin)) {
      withdrawCors(reply);
      return fail(reply, 403, 'origin not allowed for this source');
    }
    if (await ctx.overloaded()) {
      reply.header('Retry-After', '5');
      return fail(reply, 429, 'backlog is full: retry later');
    }
    const normalise = normaliserOf(src);
    const accepting = normalise ? ctx.accept(src, items.map((m) => normaliseOrKeep(m, normalise))) : ctx.accept(src, items, written);
    // The messages are stored text now: let the parsed body (and its text) go before the commit is waited for
    // (see accept.ts).
    items.length = 0;
    (req as { body?: unknown }).body = undefined;
    written = undefined;
    const r = await accepting;
    if (single && r.rejected.length) return fail(reply, 400, r.rejected[0].error);
    if (r.rejected.length === 0 && r.duplicates === 0) return reply.send({ success: true });
    return reply.send({ success: true, accepted: r.accepted, duplicates: r.duplicates, rejected: r.rejected });
  }

  const singleRoute = (type: (typeof SINGLE)[number]) => async (req: FastifyRequest, reply: FastifyReply) => {
    const body = req.body as Record<string, unknown>;
    if (!isObject.Check(body)) return fail(reply, 400, 'body must be a JSON object');
    // The path decides the type, as in Segment's API.
    const { writeKey: _w, ...msg } = body;
    return handle(req, reply, [{ ...msg, type }], writeKeyOf(req, body, false), true);
  };
  const single = (type: string, summary: string) => ({
    bodyLimit: ctx.limits.maxEventBytes,
    config: { protocol: 'segment', doc: { summary, body: SingleBody, security: 'writeKey' as const } },
  });
  for (const type of SINGLE) app.post(`/v1/${type}`, single(type, `One ${type} message (Segment / RudderStack tracking API)`), singleRoute(type));
  for (const [letter, type] of Object.entries(SHORT)) app.post(`/v1/${letter}`, single(type, `One ${type} message (Segment's browser SDK path)`), singleRoute(type));

  const batchRoute = (fromQuery: boolean) => async (req: FastifyRequest, reply: FastifyReply) => {
    const body = req.body as Record<string, unknown>;
    if (!isObject.Check(body)) return fail(reply, 400, 'body must be a JSON object');
    if (!hasBatchArray.Check(body)) return fail(reply, 400, '"batch" must be an array of messages');
    if (body.batch.length > ctx.limits.maxBatchEvents) return fail(reply, 413, `batch holds more than ${ctx.limits.maxBatchEvents} events`);
    return handle(req, reply, batchItems(body), writeKeyOf(req, body, fromQuery), false, itemTexts(body));
  };
  // batchBody: the server scans these bodies instead of parsing them whole (server.ts, message/batch-scan.ts).
  const batch = (summary: string) => ({ config: { protocol: 'segment', batchBody: true, doc: { summary, body: BatchBody, security: 'writeKey' as const } } });
  for (const path of ['/v1/batch', '/v1/import', '/v1/b']) app.post(path, batch('A batch of messages'), batchRoute(false));
  app.post('/beacon/v1/batch', batch('A batch sent with navigator.sendBeacon (?writeKey=)'), batchRoute(true));
};
