// Segment / RudderStack HTTP tracking API: /v1/{identify,track,page,screen,group,alias,batch,import}.
// Any source type that speaks this API (src/sources/registry.ts) is accepted: Segment / RudderStack SDKs, and
// CleverTap's Segment export, whose messages go through its type's normaliser first.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SourceConfig } from '../../config/schema.js';
import type { InboundMessage } from '../../message/schema.js';
import { normaliserOf, speaks } from '../registry.js';
import { parseBasicAuth } from '../../util/secrets.js';
import type { IngestContext, ProtocolRoutes } from '../../ingest/context.js';

const SINGLE = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const;

/** Normalises one message; one that cannot be normalised (e.g. absurdly nested) goes on as it came and is
 *  judged by accept(), which rejects it with a reason instead of failing the request. */
function normaliseOrKeep(m: unknown, normalise: (m: InboundMessage) => InboundMessage): unknown {
  if (!m || typeof m !== 'object' || Array.isArray(m)) return m;
  try {
    return normalise(m as InboundMessage);
  } catch {
    return m;
  }
}

function fail(reply: FastifyReply, status: number, error: string) {
  return reply.code(status).send({ success: false, error });
}

function authenticate(ctx: IngestContext, req: FastifyRequest, body: Record<string, unknown>): SourceConfig | 'missing' | 'unknown' {
  const basic = parseBasicAuth(req.headers.authorization);
  const key = basic?.user || (typeof body.writeKey === 'string' ? body.writeKey : '') || (req.headers['x-write-key'] as string | undefined);
  if (!key) return 'missing';
  const s = ctx.sourceByWriteKey(key);
  return s && speaks(s, 'segment') ? s : 'unknown';
}

export const segmentRoutes: ProtocolRoutes = (app, ctx) => {
  async function handle(req: FastifyRequest, reply: FastifyReply, items: unknown[], body: Record<string, unknown>, single: boolean) {
    const src = authenticate(ctx, req, body);
    if (src === 'missing') return fail(reply, 401, 'missing write key (HTTP Basic user or "writeKey" in the body)');
    if (src === 'unknown') return fail(reply, 401, 'unknown write key');
    if (await ctx.overloaded()) {
      reply.header('Retry-After', '5');
      return fail(reply, 429, 'backlog is full: retry later');
    }
    const normalise = normaliserOf(src);
    const msgs = normalise ? items.map((m) => normaliseOrKeep(m, normalise)) : items;
    const r = await ctx.accept(src, msgs);
    if (single && r.rejected.length) return fail(reply, 400, r.rejected[0].error);
    if (r.rejected.length === 0 && r.duplicates === 0) return reply.send({ success: true });
    return reply.send({ success: true, accepted: r.accepted, duplicates: r.duplicates, rejected: r.rejected });
  }

  for (const type of SINGLE) {
    app.post(`/v1/${type}`, { bodyLimit: ctx.limits.maxEventBytes }, async (req, reply) => {
      const body = req.body as Record<string, unknown>;
      if (!body || typeof body !== 'object' || Array.isArray(body)) return fail(reply, 400, 'body must be a JSON object');
      // The path decides the type, as in Segment's API.
      const { writeKey: _w, ...msg } = body;
      return handle(req, reply, [{ ...msg, type }], body, true);
    });
  }

  for (const path of ['/v1/batch', '/v1/import']) {
    app.post(path, async (req, reply) => {
      const body = req.body as Record<string, unknown>;
      if (!body || typeof body !== 'object' || Array.isArray(body)) return fail(reply, 400, 'body must be a JSON object');
      if (!Array.isArray(body.batch)) return fail(reply, 400, '"batch" must be an array of messages');
      if (body.batch.length > ctx.limits.maxBatchEvents) return fail(reply, 413, `batch holds more than ${ctx.limits.maxBatchEvents} events`);
      const top = body.context as Record<string, unknown> | undefined;
      const integrations = body.integrations as Record<string, unknown> | undefined;
      const sentAt = body.sentAt;
      const items = (body.batch as unknown[]).map((m) => {
        if (!m || typeof m !== 'object' || Array.isArray(m)) return m;
        const x = m as Record<string, unknown>;
        // Top-level context / integrations / sentAt apply to every item (the item's own values win).
        if (top && typeof top === 'object') x.context = { ...top, ...(x.context as object | undefined) };
        if (integrations && typeof integrations === 'object') x.integrations = { ...integrations, ...(x.integrations as object | undefined) };
        if (sentAt !== undefined && x.sentAt === undefined) x.sentAt = sentAt;
        return x;
      });
      return handle(req, reply, items, body, false);
    });
  }
};
