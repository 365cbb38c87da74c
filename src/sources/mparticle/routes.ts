// mParticle Events API (server-to-server) emulation, for CleverTap's "mParticle Export" feed.
//   POST /v2/events                     one batch
//   POST /v2/bulkevents                 a JSON array of at most 100 batches
//   POST /v2/bulkevents/historical      same, with mParticle's historical rules (see convert.ts)
// Auth: HTTP Basic key:secret selects a source whose type speaks this protocol (ctx.sourceByKeySecret,
// src/sources/registry.ts).
//
// Decisions (mParticle's Events API contract: https://docs.mparticle.com/developers/apis/http/):
// - Auth runs in an onRequest hook, before the body is read: no/unparseable Authorization → 401, credentials that
//   match no mparticle source → 403 (even for an oversized body).
// - Request body over 256 KB → 413 (mParticle documents the limit but not the status; 413 is the HTTP meaning and
//   what the server's body limit gives). A batch over 128 KB (measured as its re-serialised JSON) → 400. More
//   than 100 batches → 400. Invalid JSON, a non-object batch on /v2/events, a non-array body on /v2/bulkevents,
//   or a batch that yields nothing but errors on /v2/events → 400. On /v2/bulkevents a bad batch is skipped
//   and the request still gets 202, as mParticle does ("If some batches fail and others succeed the response is
//   still 202").
// - ctx.overloaded() → 429 with `Retry-After: 5` and `X-mp-rate-limit-exceeded: feed`.
// - Request dedupe: a batch whose source_request_id was already seen for this source is answered 202 and not
//   stored (checked per batch, so in a bulk request each batch dedupes on its own id).
// - Messages take their source type's origin, CleverTap (mparticle sources exist to receive CleverTap's feed).
// - 202 body: { accepted, duplicates, rejected, errors? } for operators (mParticle's own 202 has no useful body;
//   clients ignore it). Error bodies: {"errors":[{"code":"BAD_REQUEST"|"UNAUTHORIZED"|"FORBIDDEN"|
//   "REQUEST_TOO_LARGE"|"TOO_MANY_REQUESTS","message":"..."}]}.
// - A batch that cannot be measured or converted (absurd nesting → RangeError, ...) never makes a 500: on
//   /v2/bulkevents it is skipped with an error entry (its source_request_id is not remembered) and the other
//   batches are stored; on /v2/events it is answered 400.
// - Historical batches are stored like any other (Taproute has no separate event/warehouse forwarding switch);
//   they are marked context.mparticle.historical = true.
import { StoreUnavailableError } from '../../store/errors.js';
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { noteSource } from '../../http/observe.js';
import type { SourceConfig } from '../../config/schema.js';
import { mparticleBatchToMessages, type ConvertResult } from './convert.js';
import { speaks } from '../registry.js';
import { conversionFailure } from '../util.js';
import { parseBasicAuth } from '../../util/secrets.js';
import type { InboundMessage, IngestContext, ProtocolRoutes } from '../../ingest/context.js';

export const MPARTICLE_MAX_REQUEST_BYTES = 256 * 1024;
export const MPARTICLE_MAX_BATCH_BYTES = 128 * 1024;
export const MPARTICLE_MAX_BATCHES = 100;
const RETRY_AFTER_SECONDS = 5;

const Obj = Type.Record(Type.String(), Type.Unknown());
/** One mParticle batch (https://docs.mparticle.com/developers/apis/json-reference/); its events are converted one
 *  by one (convert.ts), which reports each unusable event instead of refusing the batch. */
export const MparticleBatchSchema = Type.Object(
  {
    events: Type.Optional(Type.Array(Type.Object({ event_type: Type.String(), data: Type.Optional(Obj) }, { additionalProperties: true }))),
    user_identities: Type.Optional(Obj),
    user_attributes: Type.Optional(Obj),
    device_info: Type.Optional(Obj),
    application_info: Type.Optional(Obj),
    mpid: Type.Optional(Type.Union([Type.String(), Type.Integer()])),
    source_request_id: Type.Optional(Type.Union([Type.String(), Type.Number()])),
    environment: Type.Optional(Type.String()),
    timestamp_unixtime_ms: Type.Optional(Type.Number()),
  },
  { additionalProperties: true },
);
export const MparticleBulkSchema = Type.Array(MparticleBatchSchema, { maxItems: MPARTICLE_MAX_BATCHES });
const isBatchObject = TypeCompiler.Compile(Type.Object({}, { additionalProperties: true }));
const isBatchList = TypeCompiler.Compile(Type.Array(Type.Unknown()));

type Code = 'BAD_REQUEST' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'REQUEST_TOO_LARGE' | 'TOO_MANY_REQUESTS' | 'INTERNAL_ERROR' | 'SERVICE_UNAVAILABLE';

function fail(reply: FastifyReply, status: number, code: Code, message: string): FastifyReply {
  return reply.code(status).send({ errors: [{ code, message }] });
}

const sourceOf = new WeakMap<FastifyRequest, SourceConfig>();

function authenticate(ctx: IngestContext) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const creds = parseBasicAuth(req.headers.authorization);
    if (!creds || creds.user === '') return fail(reply, 401, 'UNAUTHORIZED', 'missing HTTP Basic credentials (API key:secret)');
    const source = ctx.sourceByKeySecret(creds.user, creds.pass);
    if (!source || !speaks(source, 'mparticle')) return fail(reply, 403, 'FORBIDDEN', 'invalid API key or secret');
    sourceOf.set(req, source);
    noteSource(req, source.id);
  };
}

// A 5xx is logged with its request id by src/http/observe.ts, like every other route's.
function errorHandler(err: Error & { statusCode?: number; code?: string }, _req: FastifyRequest, reply: FastifyReply) {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413) {
    return fail(reply, 413, 'REQUEST_TOO_LARGE', `request body larger than ${MPARTICLE_MAX_REQUEST_BYTES} bytes`);
  }
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
  // The store cannot write (disk full): nothing was stored; 503 with Retry-After.
  if (err instanceof StoreUnavailableError) return fail(reply.header('retry-after', String(err.retryAfterSeconds)), 503, 'SERVICE_UNAVAILABLE', err.message);
  return fail(reply, status, status === 500 ? 'INTERNAL_ERROR' : 'BAD_REQUEST', status === 500 ? 'internal error' : err.message || 'bad request');
}

function batchBytes(batch: unknown): number {
  return Buffer.byteLength(JSON.stringify(batch) ?? '');
}

function unusable(err: unknown): ConvertResult {
  return { messages: [], errors: [`batch could not be converted (${conversionFailure(err)}; skipped)`], failed: true };
}

async function handle(ctx: IngestContext, req: FastifyRequest, reply: FastifyReply, mode: 'single' | 'bulk' | 'historical') {
  const source = sourceOf.get(req);
  if (!source) return fail(reply, 401, 'UNAUTHORIZED', 'missing HTTP Basic credentials (API key:secret)');
  const receivedAt = Date.now();
  const body = req.body;

  let batches: unknown[];
  if (mode === 'single') {
    if (!isBatchObject.Check(body)) {
      return fail(reply, 400, 'BAD_REQUEST', 'body must be one batch (a JSON object)');
    }
    batches = [body];
  } else {
    if (!isBatchList.Check(body)) return fail(reply, 400, 'BAD_REQUEST', 'body must be a JSON array of batches');
    if (body.length > MPARTICLE_MAX_BATCHES) {
      return fail(reply, 400, 'BAD_REQUEST', `at most ${MPARTICLE_MAX_BATCHES} batches per request (got ${body.length})`);
    }
    batches = body;
  }
  // A batch that cannot even be serialised (RangeError on absurd nesting) is unusable on its own, not the request.
  const unmeasurable = new Map<number, ConvertResult>();
  for (let i = 0; i < batches.length; i++) {
    let n: number;
    try {
      n = batchBytes(batches[i]);
    } catch (err) {
      unmeasurable.set(i, unusable(err));
      continue;
    }
    if (n > MPARTICLE_MAX_BATCH_BYTES) {
      return fail(reply, 400, 'BAD_REQUEST', `batch ${i} is ${n} bytes; at most ${MPARTICLE_MAX_BATCH_BYTES} bytes per batch`);
    }
  }
  if (await ctx.overloaded()) {
    reply.header('Retry-After', String(RETRY_AFTER_SECONDS)).header('X-mp-rate-limit-exceeded', 'feed');
    return fail(reply, 429, 'TOO_MANY_REQUESTS', 'backlog full, retry later');
  }

  // Convert everything first, so a request that is bad as a whole is refused before any request id is recorded.
  const converted = batches.map((b, i): ConvertResult => {
    const bad = unmeasurable.get(i);
    if (bad) return bad;
    try {
      return mparticleBatchToMessages(b, { receivedAt, historical: mode === 'historical' });
    } catch (err) {
      return unusable(err); // the converter catches its own failures; this is the backstop
    }
  });
  if (mode === 'single') {
    const only = converted[0];
    if (only.messages.length === 0 && only.errors.length > 0) return fail(reply, 400, 'BAD_REQUEST', only.errors.join('; '));
  }

  const messages: InboundMessage[] = [];
  const errors: string[] = [];
  let duplicateRequests = 0;
  const requestIds: string[] = [];
  for (let i = 0; i < converted.length; i++) {
    const c = converted[i];
    const prefix = mode === 'single' ? '' : `batch ${i}: `;
    for (const e of c.errors) errors.push(prefix + e);
    if (c.failed) continue;
    const b = batches[i] as Record<string, unknown> | null;
    const rid = b && typeof b === 'object' ? b.source_request_id : undefined;
    if ((typeof rid === 'string' && rid !== '') || typeof rid === 'number') {
      if ((await ctx.seenRequest(source.id, String(rid))) || requestIds.includes(String(rid))) {
        duplicateRequests++;
        continue;
      }
      requestIds.push(String(rid));
    }
    messages.push(...c.messages);
  }

  let accepted = 0;
  let duplicates = 0;
  let rejected: { index: number; messageId?: string; error: string }[] = [];
  if (messages.length > 0) {
    const r = await ctx.accept(source, messages, { receivedAt });
    accepted = r.accepted;
    duplicates = r.duplicates;
    rejected = r.rejected;
  }
  // Only now, with the messages committed, does the request count as seen.
  if (requestIds.length > 0) await ctx.rememberRequests(source.id, requestIds);
  const out: Record<string, unknown> = { accepted, duplicates, rejected: rejected.length };
  if (duplicateRequests > 0) out.duplicateRequests = duplicateRequests;
  const details = [...errors, ...rejected.map((r) => `message ${r.messageId ?? r.index}: ${r.error}`)];
  if (details.length > 0) out.errors = details.slice(0, 100);
  return reply.code(202).send(out);
}

export const mparticleRoutes: ProtocolRoutes = (app, ctx) => {
  const base = (summary: string, body: typeof MparticleBatchSchema | typeof MparticleBulkSchema) => ({
    bodyLimit: MPARTICLE_MAX_REQUEST_BYTES,
    onRequest: authenticate(ctx),
    errorHandler,
    config: { protocol: 'mparticle', doc: { summary, body, security: 'mparticle' as const } },
  });
  app.post('/v2/events', base('One mParticle batch (CleverTap\'s mParticle export)', MparticleBatchSchema), (req, reply) => handle(ctx, req, reply, 'single'));
  app.post('/v2/bulkevents', base('Up to 100 mParticle batches', MparticleBulkSchema), (req, reply) => handle(ctx, req, reply, 'bulk'));
  app.post('/v2/bulkevents/historical', base('Up to 100 historical mParticle batches', MparticleBulkSchema), (req, reply) => handle(ctx, req, reply, 'historical'));
};
