// Cross-origin rules. Browser SDKs post from the shop's own origin, so the SDK paths answer CORS; every other path
// (admin API, console, metrics) is same-origin only and refuses a browser request from another origin.
//
// Decisions:
// - SDK paths: /v1/* (tracking API, settings), /beacon/v1/batch, /sourceConfig, /analytics.js/*, /analytics-next/*.
// - A source without `allowedOrigins` takes any origin: its write key is public in the page anyway (as with
//   Segment). With `allowedOrigins`, a request whose Origin is not listed is refused with 403 after the write
//   key is read (nothing is stored), and gets no CORS headers, so the browser blocks it as well. Requests
//   without an Origin header (servers, mobile apps) are not affected: only browsers send one.
// - A preflight carries no write key (https://fetch.spec.whatwg.org/#cors-preflight-fetch), so it is answered
//   when some write-key source accepts the origin, or the source named in the path/query (settings, beacon).
// - The origin is echoed (never `*`) with Allow-Credentials, because sendBeacon and SDKs configured with
//   `credentials: 'include'` send credentialed requests (https://fetch.spec.whatwg.org/#cors-protocol-and-credentials);
//   no endpoint here reads cookies, so this exposes nothing.
// - The requested headers are echoed (token characters only), since SDKs add their own (Segment's X-Retry-Count,
//   RudderStack's AnonymousId, headers set through Segment's `deliveryStrategy.config.headers`).
// - Max-Age 86400 s; browsers clamp it (Chromium to 2 h).
// - Retry-After is exposed so an SDK can read it on a 429.
// - Cross-origin elsewhere: `Sec-Fetch-Site` decides when the browser sends it (same-site counts as another
//   origin); otherwise an Origin whose host differs from Host / X-Forwarded-Host.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SourceConfig } from '../../config/schema.js';
import type { IngestContext } from '../../ingest/context.js';

const SDK_PATH = /^\/(?:v1\/|beacon\/v1\/|sourceConfig(?:[/?]|$)|analytics\.js\/|analytics-next\/)/;
/** Paths that name their source in the path or the query string. */
const KEYED_BY_QUERY = /^\/(?:beacon\/v1\/|sourceConfig(?:[/?]|$))/;
const TOKEN_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(?:\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;
const DEFAULT_ALLOWED_HEADERS = 'Content-Type, Authorization, X-Retry-Count, AnonymousId, Content-Encoding, X-Write-Key';
const CORS_HEADERS = ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-expose-headers'];

function isSdkPath(url: string): boolean {
  return SDK_PATH.test(url);
}

/** True when `origin` may send for `source` (exact match, or `scheme://*.domain[:port]` for its subdomains). */
export function originAllowed(source: SourceConfig, origin: string): boolean {
  const list = 'allowedOrigins' in source ? source.allowedOrigins : undefined;
  if (!list) return true;
  const o = origin.toLowerCase();
  return list.some((pattern: string) => {
    const p = pattern.toLowerCase();
    const star = p.indexOf('://*.');
    if (star < 0) return p === o;
    const scheme = p.slice(0, star + 3);
    const rest = p.slice(star + 4); // ".example.com[:port]"
    return o.startsWith(scheme) && o.endsWith(rest) && o.length > scheme.length + rest.length && !o.slice(scheme.length, o.length - rest.length).includes('/');
  });
}

/** Adds a field to the Vary header (shared caches must not mix answers that differ by it). */
export function addVary(reply: FastifyReply, field: string): void {
  const prev = reply.getHeader('vary');
  reply.header('Vary', prev ? `${String(prev)}, ${field}` : field);
}

/** Removes the CORS headers the hook added, so that the browser also blocks a refused answer. */
export function withdrawCors(reply: FastifyReply): void {
  for (const h of CORS_HEADERS) reply.removeHeader(h);
}

function firstValue(h: string | string[] | undefined): string | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  return v?.split(',')[0]?.trim() || undefined;
}

/** The host the client used (a proxy in front passes it in X-Forwarded-Host). */
export function requestHost(req: FastifyRequest): string | undefined {
  return firstValue(req.headers['x-forwarded-host']) ?? req.headers.host;
}

function crossOrigin(req: FastifyRequest): boolean {
  const site = req.headers['sec-fetch-site'];
  if (typeof site === 'string') return site === 'cross-site' || site === 'same-site';
  const origin = req.headers.origin;
  if (!origin) return false;
  try {
    return new URL(origin).host !== requestHost(req);
  } catch {
    return true;
  }
}

function keyedSource(ctx: IngestContext, req: FastifyRequest): SourceConfig | undefined {
  const params = req.params as Record<string, string> | undefined;
  const query = req.query as Record<string, unknown> | undefined;
  const key = params?.writeKey ?? (KEYED_BY_QUERY.test(req.url) && typeof query?.writeKey === 'string' ? query.writeKey : undefined);
  return key ? ctx.sourceByWriteKey(key) : undefined;
}

export function registerCors(app: FastifyInstance, ctx: IngestContext): void {
  const keySources = ctx.sources.filter((s) => 'writeKey' in s && s.writeKey !== undefined);
  const someSourceAllows = (origin: string) => keySources.some((s) => originAllowed(s, origin));

  app.addHook('onRequest', async (req, reply) => {
    if (!isSdkPath(req.url)) {
      if (crossOrigin(req)) return reply.code(403).send({ success: false, error: 'cross-origin requests are not answered here' });
      return;
    }
    addVary(reply, 'Origin');
    const origin = req.headers.origin;
    if (!origin) return;
    const named = keyedSource(ctx, req);
    const allowed = named ? originAllowed(named, origin) : someSourceAllows(origin);
    if (!allowed) {
      if (req.method === 'OPTIONS') return reply.code(403).send({ success: false, error: 'origin not allowed' });
      return; // the route refuses it once it knows the source
    }
    reply.header('Access-Control-Allow-Origin', origin);
    reply.header('Access-Control-Allow-Credentials', 'true');
    if (req.method !== 'OPTIONS') {
      reply.header('Access-Control-Expose-Headers', 'Retry-After, X-RateLimit-Reset');
      return;
    }
    const requested = req.headers['access-control-request-headers'];
    const headers = typeof requested === 'string' && requested.length <= 1000 && TOKEN_LIST.test(requested.trim()) ? requested.trim() : DEFAULT_ALLOWED_HEADERS;
    addVary(reply, 'Access-Control-Request-Headers');
    reply.header('Access-Control-Allow-Methods', 'POST, GET, OPTIONS');
    reply.header('Access-Control-Allow-Headers', headers);
    reply.header('Access-Control-Max-Age', '86400');
    return reply.code(204).send();
  });
}
