// CleverTap webhook campaigns: POST /webhooks/clevertap/:sourceId (payload conversion in convert.ts beside it).
//
// Decisions:
// - The source's type must speak this protocol (src/sources/registry.ts: `type: clevertap`) and have a `secret`.
//   Auth, in an onRequest hook before the body is read: HTTP Basic whose password is the secret (any username:
//   CleverTap's Basic auth form asks for both), `X-Taproute-Secret: <secret>`, or `Authorization: Bearer <secret>`;
//   compared with safeEqual.
//   No credentials → 401 (with `WWW-Authenticate: Basic`); credentials given but wrong, or an unknown source id,
//   a source of another type or one without a secret → 403 (the same answer, so source ids cannot be probed).
// - Invalid JSON, a body that is not an object, or one without `profiles` → 400 {"ok":false,"error":...}.
//   Profiles that cannot be used (no identity and no objectId, or input that cannot be converted such as absurd
//   nesting) are skipped and listed in `errors`, still 200, so CleverTap neither retries nor marks the whole
//   dispatch failed for one bad profile; when no profile is usable the answer is 400. Bad input never makes a 500.
// - 200 {"ok":true,"accepted","duplicates","rejected","errors"?} only after ctx.accept() resolved (stored
//   durably); messages take their source type's origin, CleverTap. The store's group commit is well inside
//   CleverTap's 3-second wait; the answer is never sent before the data is stored, because CleverTap retries once.
// - ctx.overloaded() → 429 with Retry-After (CleverTap retries once).
// - Body limit: the server's default (maxRequestBytes) — broadcast webhooks batch profiles, so no smaller limit.
import { StoreUnavailableError } from '../../store/errors.js';
import { Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { noteSource } from '../../http/observe.js';
import type { SourceConfig } from '../../config/schema.js';
import { webhookToMessages } from './convert.js';
import { speaks } from '../registry.js';
import { conversionFailure } from '../util.js';
import { parseBasicAuth, safeEqual } from '../../util/secrets.js';
import type { IngestContext, ProtocolRoutes } from '../../ingest/context.js';

const RETRY_AFTER_SECONDS = 5;

const Obj = Type.Record(Type.String(), Type.Unknown());
/** CleverTap's webhook payload (https://docs.clevertap.com/docs/webhooks-payload): one profile or a list of them;
 *  each profile is converted on its own (convert.ts), which skips and reports the unusable ones. */
export const WebhookPayloadSchema = Type.Object(
  {
    targetId: Type.Optional(Type.Union([Type.String(), Type.Number()])),
    key_values: Type.Optional(Obj),
    profiles: Type.Union([Type.Array(Obj), Obj]),
  },
  { additionalProperties: true },
);
const isObject = TypeCompiler.Compile(Type.Object({}, { additionalProperties: true }));

function fail(reply: FastifyReply, status: number, error: string): FastifyReply {
  return reply.code(status).send({ ok: false, error });
}

/** The secret the request presents, or undefined when it presents none. */
export function presentedSecret(headers: FastifyRequest['headers']): string | undefined {
  const h = headers['x-taproute-secret'];
  const header = Array.isArray(h) ? h[0] : h;
  if (typeof header === 'string' && header !== '') return header;
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const basic = parseBasicAuth(auth);
    if (basic && basic.pass !== '') return basic.pass;
    const m = /^bearer\s+(.+)$/i.exec(auth.trim());
    if (m) return m[1].trim();
  }
  return undefined;
}

const sourceOf = new WeakMap<FastifyRequest, SourceConfig>();

function authenticate(ctx: IngestContext) {
  return async (req: FastifyRequest<{ Params: { sourceId: string } }>, reply: FastifyReply) => {
    const given = presentedSecret(req.headers);
    if (given === undefined) {
      reply.header('WWW-Authenticate', 'Basic realm="taproute"');
      return fail(reply, 401, 'missing credentials');
    }
    const source = ctx.sourceById(req.params.sourceId);
    // Compare even when the source is unusable, so the timing does not tell which ids exist.
    const secret = source && 'secret' in source ? source.secret : undefined;
    const ok = safeEqual(secret ?? '\u0000no-secret', given);
    if (!source || !speaks(source, 'clevertap-webhook') || secret === undefined || !ok) return fail(reply, 403, 'forbidden');
    sourceOf.set(req, source);
    noteSource(req, source.id);
  };
}

// A 5xx is logged with its request id by src/http/observe.ts, like every other route's.
function errorHandler(err: Error & { statusCode?: number; code?: string }, _req: FastifyRequest, reply: FastifyReply) {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413) return fail(reply, 413, 'request body too large');
  const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
  // The store cannot write (disk full): nothing was stored; 503 with Retry-After.
  if (err instanceof StoreUnavailableError) return fail(reply.header('retry-after', String(err.retryAfterSeconds)), 503, err.message);
  return fail(reply, status, status === 500 ? 'internal error' : /json/i.test(err.message) ? 'invalid JSON' : err.message);
}

async function handle(ctx: IngestContext, req: FastifyRequest, reply: FastifyReply) {
  const source = sourceOf.get(req);
  if (!source) return fail(reply, 401, 'missing credentials');
  const receivedAt = Date.now();
  const body = req.body;
  if (!isObject.Check(body)) return fail(reply, 400, 'body must be a JSON object');
  let converted: ReturnType<typeof webhookToMessages>;
  try {
    converted = webhookToMessages(body, { receivedAt });
  } catch (err) {
    // webhookToMessages catches per profile; this is the backstop.
    return fail(reply, 400, `payload could not be converted (${conversionFailure(err)})`);
  }
  const { messages, errors } = converted;
  if (messages.length === 0) return fail(reply, 400, errors.join('; ') || 'no profiles');
  if (await ctx.overloaded()) {
    reply.header('Retry-After', String(RETRY_AFTER_SECONDS));
    return fail(reply, 429, 'backlog full, retry later');
  }
  const r = await ctx.accept(source, messages, { receivedAt });
  const out: Record<string, unknown> = { ok: true, accepted: r.accepted, duplicates: r.duplicates, rejected: r.rejected.length };
  const details = [...errors, ...r.rejected.map((x) => `message ${x.messageId ?? x.index}: ${x.error}`)];
  if (details.length) out.errors = details.slice(0, 100);
  return reply.code(200).send(out);
}

export const webhookRoutes: ProtocolRoutes = (app, ctx) => {
  app.post<{ Params: { sourceId: string } }>(
    '/webhooks/clevertap/:sourceId',
    {
      onRequest: authenticate(ctx),
      errorHandler,
      config: { protocol: 'clevertap-webhook', doc: { summary: 'A CleverTap webhook (Engagement > Webhooks)', body: WebhookPayloadSchema, security: 'webhookSecret' as const } },
    },
    (req, reply) => handle(ctx, req, reply),
  );
};
