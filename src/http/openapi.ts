// The HTTP API described as OpenAPI 3.1 (https://spec.openapis.org/oas/v3.1.0), served at GET /openapi.json.
// Built from the routes actually registered (Fastify's onRoute hook), so no route can be missing; request bodies
// are the TypeBox schemas the routes validate with (given in each route's `config.doc`). TypeBox schemas are JSON
// Schema, which OpenAPI 3.1 uses as is.
import type { TSchema } from '@sinclair/typebox';
import type { FastifyInstance, RouteOptions } from 'fastify';
import { Type } from '@sinclair/typebox';

export type Security = 'writeKey' | 'mparticle' | 'webhookSecret' | 'admin';

export interface RouteDoc {
  summary: string;
  tag?: string;
  body?: TSchema;
  security?: Security;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** An ingest route: its refusals are counted by source (src/http/observe.ts). */
    protocol?: string;
    doc?: RouteDoc;
  }
}

/** Routes whose modules carry no description of their own. */
const DOCS: Record<string, RouteDoc> = {
  'GET /healthz': { summary: 'Liveness and store health (503 while the store cannot write)', tag: 'operations' },
  'GET /metrics': { summary: 'Prometheus metrics', tag: 'operations' },
  'GET /openapi.json': { summary: 'This description', tag: 'operations' },
  'GET /v1/projects/:writeKey/settings': { summary: "Segment SDK settings (the SDKs' CDN settings endpoint)", tag: 'sdk' },
  'GET /sourceConfig': { summary: 'RudderStack SDK source config (?writeKey= or HTTP Basic)', tag: 'sdk' },
  'GET /sourceConfig/': { summary: 'RudderStack SDK source config (?writeKey= or HTTP Basic)', tag: 'sdk' },
  'GET /analytics.js/v1/:writeKey/:file': { summary: "Segment's browser SDK, served for this write key", tag: 'sdk' },
  'GET /analytics-next/bundles/:file': { summary: "Chunks of Segment's browser SDK", tag: 'sdk' },
  'GET /admin/status': { summary: 'Counts per connection and destination state', tag: 'admin', security: 'admin' },
  'GET /admin/failures': { summary: 'Dead letters (?destination=&code=&from=&to=)', tag: 'admin', security: 'admin' },
  'GET /admin/failures/:id': { summary: 'One dead letter with its message', tag: 'admin', security: 'admin' },
  'POST /admin/failures/replay': {
    summary: 'Send dead letters again',
    tag: 'admin',
    security: 'admin',
    body: Type.Object({ destination: Type.Optional(Type.String()), code: Type.Optional(Type.String()), from: Type.Optional(Type.String()), to: Type.Optional(Type.String()), ids: Type.Optional(Type.Array(Type.Integer())) }),
  },
  'POST /admin/destinations/:id/resume': { summary: 'Resume a paused destination', tag: 'admin', security: 'admin' },
  'POST /admin/regulations': {
    summary: 'Suppress (and delete) users, in RudderStack\'s regulation shape',
    tag: 'admin',
    security: 'admin',
    body: Type.Object({
      regulationType: Type.Union([Type.Literal('suppress_with_delete'), Type.Literal('suppress')]),
      destinationIds: Type.Optional(Type.Array(Type.String())),
      users: Type.Array(Type.Object({ userId: Type.String() }), { minItems: 1 }),
    }),
  },
};

const SECURITY_SCHEMES = {
  writeKey: { type: 'http', scheme: 'basic', description: 'the source write key as user, empty password (or "writeKey" in the body)' },
  mparticle: { type: 'http', scheme: 'basic', description: 'the mparticle source key:secret' },
  webhookSecret: { type: 'apiKey', in: 'header', name: 'X-Taproute-Secret', description: 'the source secret (or HTTP Basic password, or Bearer)' },
  admin: { type: 'http', scheme: 'bearer', description: 'admin.token' },
};

interface Registered {
  method: string;
  url: string;
  doc?: RouteDoc;
}

/** `:name` → `{name}`, with the path parameters OpenAPI wants declared. */
function openApiPath(url: string): { path: string; params: string[] } {
  const params: string[] = [];
  const path = url.replace(/:([A-Za-z0-9_]+)/g, (_m, name: string) => (params.push(name), `{${name}}`));
  return { path, params };
}

/** JSON Schema without TypeBox's symbol keys. */
const plain = (s: TSchema): unknown => JSON.parse(JSON.stringify(s));

export function openApiDocument(routes: readonly Registered[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const doc = r.doc ?? DOCS[`${r.method} ${r.url}`] ?? { summary: `${r.method} ${r.url}` };
    const { path, params } = openApiPath(r.url);
    const op: Record<string, unknown> = {
      summary: doc.summary,
      operationId: `${r.method.toLowerCase()}${path.replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}${path.length > 1 && path.endsWith('/') ? 'Slash' : ''}`,
      tags: [doc.tag ?? 'ingest'],
      responses: { default: { description: 'JSON answer; errors carry a message (and X-Request-Id names the request in the log)' } },
    };
    if (params.length) op.parameters = params.map((name) => ({ name, in: 'path', required: true, schema: { type: 'string' } }));
    if (doc.body) op.requestBody = { required: true, content: { 'application/json': { schema: plain(doc.body) } } };
    if (doc.security) op.security = [{ [doc.security]: [] }];
    (paths[path] ??= {})[r.method.toLowerCase()] = op;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Taproute HTTP API', version, license: { name: 'Apache-2.0', identifier: 'Apache-2.0' } },
    paths,
    components: { securitySchemes: SECURITY_SCHEMES },
  };
}

/** Records every route registered after this call and serves the description at GET /openapi.json. */
export function registerOpenApi(app: FastifyInstance, version = '0.1.0'): void {
  const routes: Registered[] = [];
  app.addHook('onRoute', (r: RouteOptions) => {
    for (const method of [r.method].flat()) {
      // HEAD routes are Fastify's automatic twins of GET; OPTIONS answers CORS preflights.
      if (method === 'HEAD' || method === 'OPTIONS' || r.url === '*' || r.url.includes('*')) continue;
      routes.push({ method, url: r.url, doc: r.config?.doc });
    }
  });
  let cached: Record<string, unknown> | undefined;
  app.get('/openapi.json', async () => (cached ??= openApiDocument(routes, version)));
}
