// The OpenAPI description at /openapi.json: a valid OpenAPI 3.1 structure naming every public route, with the
// request bodies the routes validate with; and the shipped examples: the full config loads, its two payloads are
// accepted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';
import { startServer } from '../../src/server.js';
import { createLogger } from '../../src/util/logger.js';
import { BatchBody } from '../../src/sources/segment/routes.js';
import { MparticleBatchSchema } from '../../src/sources/mparticle/routes.js';
import { WebhookPayloadSchema } from '../../src/sources/clevertap-webhook/routes.js';
import { basic, get, post, startStack, tmpDir } from '../helpers.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Every public route, as the README documents them. */
const PUBLIC_ROUTES = [
  'GET /healthz', 'GET /metrics', 'GET /openapi.json',
  ...['identify', 'track', 'page', 'screen', 'group', 'alias', 'i', 't', 'p', 's', 'g', 'a', 'batch', 'import', 'b'].map((p) => `POST /v1/${p}`),
  'POST /beacon/v1/batch', 'GET /v1/projects/{writeKey}/settings', 'GET /sourceConfig', 'GET /analytics.js/v1/{writeKey}/{file}', 'GET /analytics-next/bundles/{file}',
  'POST /v2/events', 'POST /v2/bulkevents', 'POST /v2/bulkevents/historical', 'POST /webhooks/clevertap/{sourceId}',
  'GET /admin/status', 'GET /admin/failures', 'GET /admin/failures/{id}', 'POST /admin/failures/replay', 'POST /admin/destinations/{id}/resume', 'POST /admin/regulations',
];
const METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

/** The structure OpenAPI 3.1 requires (https://spec.openapis.org/oas/v3.1.0#openapi-object), checked by hand. */
function assertOpenApi31(doc: any) {
  assert.match(doc.openapi, /^3\.1\.\d+$/);
  assert.equal(typeof doc.info?.title, 'string');
  assert.equal(typeof doc.info?.version, 'string');
  const ids = new Set<string>();
  for (const [path, item] of Object.entries<any>(doc.paths)) {
    assert.match(path, /^\//, path);
    const params = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const [method, op] of Object.entries<any>(item)) {
      assert.ok(METHODS.has(method), `${path}: ${method}`);
      assert.ok(op.responses && Object.keys(op.responses).length > 0, `${method} ${path} has responses`);
      for (const r of Object.values<any>(op.responses)) assert.equal(typeof r.description, 'string');
      assert.ok(!ids.has(op.operationId), `operationId ${op.operationId} is unique`);
      ids.add(op.operationId);
      // Every path template parameter is declared as a required path parameter.
      for (const p of params) assert.ok(op.parameters?.some((x: any) => x.name === p && x.in === 'path' && x.required === true), `${method} ${path} declares ${p}`);
      if (op.requestBody) assert.equal(typeof op.requestBody.content?.['application/json']?.schema, 'object');
      for (const s of op.security ?? []) for (const name of Object.keys(s)) assert.ok(doc.components.securitySchemes[name], `security scheme ${name}`);
    }
  }
}

test('/openapi.json describes every public route with the schemas the routes validate with', async () => {
  const stack = await startStack();
  try {
    const res = await get(`${stack.server.url}/openapi.json`);
    assert.equal(res.status, 200);
    const doc = res.body;
    assertOpenApi31(doc);
    const present = new Set(Object.entries<any>(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${p}`)));
    for (const r of PUBLIC_ROUTES) assert.ok(present.has(r), `${r} is described`);
    const body = (route: string) => doc.paths[route].post.requestBody.content['application/json'].schema;
    assert.deepEqual(body('/v1/batch'), JSON.parse(JSON.stringify(BatchBody)));
    assert.deepEqual(body('/v2/events'), JSON.parse(JSON.stringify(MparticleBatchSchema)));
    assert.deepEqual(body('/webhooks/clevertap/{sourceId}'), JSON.parse(JSON.stringify(WebhookPayloadSchema)));
    assert.deepEqual(body('/v1/track').properties.userId, JSON.parse(JSON.stringify(BatchBody.properties.batch.items.properties.userId)));
  } finally {
    await stack.close();
  }
});

test('examples/: the full config loads with its variables set, and its webhook and mParticle payloads are accepted', async () => {
  const env = {
    TAPROUTE_ADMIN_TOKEN: 'example-admin-token', WEB_WRITE_KEY: 'wk-web', CT_WRITE_KEY: 'wk-ct', CT_WEBHOOK_SECRET: 'hook-secret',
    MP_KEY: 'mp-key', MP_SECRET: 'mp-secret', CT_ACCOUNT: 'acc', CT_PASSCODE: 'pass',
  };
  const config = loadConfig(join(ROOT, 'examples/taproute.yaml'), env);
  assert.deepEqual(config.sources.map((s) => s.type).sort(), ['clevertap', 'mparticle', 'segment']);
  assert.deepEqual(config.destinations.map((d) => d.type).sort(), ['clevertap', 'warehouse', 'webhook']);
  // Run it in a temporary folder on a free loopback port; nothing is sent out (no web events are posted).
  const t = tmpDir();
  config.server = { ...config.server, port: 0, host: '127.0.0.1' };
  config.storage = { ...config.storage, sqlite: join(t.dir, 'store.sqlite') };
  config.destinations = config.destinations.map((d) => (d.type === 'warehouse' ? { ...d, settings: { ...d.settings, sqlite: join(t.dir, 'dw.sqlite') } } : d));
  const server = await startServer(config, { logger: createLogger('silent') });
  try {
    const webhook = JSON.parse(readFileSync(join(ROOT, 'examples/clevertap-webhook.json'), 'utf8'));
    const hook = await post(`${server.url}/webhooks/clevertap/ct-export`, webhook, { authorization: basic('clevertap', 'hook-secret') });
    assert.equal(hook.status, 200, JSON.stringify(hook.body));
    assert.equal(hook.body.errors, undefined, JSON.stringify(hook.body));
    assert.equal(hook.body.accepted, 2); // the profile (identify) and its event properties (track)
    const batch = JSON.parse(readFileSync(join(ROOT, 'examples/mparticle-batch.json'), 'utf8'));
    const mp = await post(`${server.url}/v2/events`, batch, { authorization: basic('mp-key', 'mp-secret') });
    assert.equal(mp.status, 202, JSON.stringify(mp.body));
    assert.equal(mp.body.errors, undefined, JSON.stringify(mp.body));
    assert.ok(mp.body.accepted >= 3, JSON.stringify(mp.body)); // identify + two events
  } finally {
    await server.close();
    t.cleanup();
  }
});
