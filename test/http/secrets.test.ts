// No configured secret ever reaches the store file, a log line, /metrics or a destination, whatever the traffic:
// every ingest route with its secret in each place a client may put it (HTTP Basic, body, items, query, path),
// refused requests, the admin API, deliveries to CleverTap (the emulator), a webhook receiver and a PostgreSQL
// warehouse whose URL holds a password.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { request } from 'undici';
import { parseConfig } from '../../src/config/load.js';
import { startEmulator } from '../../src/emulator/index.js';
import { startServer } from '../../src/server.js';
import { createLogger } from '../../src/util/logger.js';
import { basic, tmpDir, waitFor } from '../helpers.js';
import { testDatabaseUrl } from '../pg.js';

const dbUrl = await testDatabaseUrl();
const tag = randomBytes(3).toString('hex');
const S = {
  webKey: `wk-web-S3CRET-${tag}`,
  ctKey: `wk-ct-S3CRET-${tag}`,
  webhookSecret: `hook-S3CRET-${tag}`,
  mpKey: `mp-key-S3CRET-${tag}`,
  mpSecret: `mp-secret-S3CRET-${tag}`,
  passcode: `ct-pass-S3CRET-${tag}`,
  adminToken: `admin-S3CRET-${tag}`,
  pgPassword: `pg-S3CRET-${tag}`,
};

test('no configured secret reaches the store, a log line, /metrics or a destination', { timeout: 90_000 }, async () => {
  const t = tmpDir();
  // A PostgreSQL role with a password owns the warehouse database.
  const role = `tr_secret_${tag}`;
  const db = new URL(dbUrl).pathname.slice(1);
  const admin = new pg.Client({ connectionString: dbUrl });
  await admin.connect();
  await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD '${S.pgPassword}'`);
  await admin.query(`ALTER DATABASE ${db} OWNER TO ${role}`);
  await admin.end();
  const warehouseUrl = new URL(dbUrl);
  warehouseUrl.username = role;
  warehouseUrl.password = S.pgPassword;

  const received: string[] = [];
  const receiver = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push(JSON.stringify(req.headers) + body);
      res.writeHead(200).end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
  const emulator = await startEmulator({ port: 0, accounts: [{ id: 'acc', passcode: S.passcode }], logger: false });

  let logs = '';
  const sink = new Writable({ write: (chunk, _enc, cb) => ((logs += chunk), cb()) });
  const env = { ...S, DB_URL: warehouseUrl.toString() };
  const config = parseConfig(
    {
      server: { port: 0 },
      storage: { sqlite: join(t.dir, 'store.sqlite'), synchronous: 'NORMAL' },
      admin: { token: '${adminToken}' },
      router: { retryBase: '20ms', retryMax: '200ms', pollInterval: '20ms' },
      ingest: { maxEventBytes: 4096 },
      sources: [
        { id: 'web', type: 'segment', writeKey: '${webKey}', allowedOrigins: ['https://shop.example.test'] },
        { id: 'ct', type: 'clevertap', writeKey: '${ctKey}', secret: '${webhookSecret}' },
        { id: 'feed', type: 'mparticle', key: '${mpKey}', secret: '${mpSecret}' },
      ],
      destinations: [
        { id: 'clevertap', type: 'clevertap', settings: { accountId: 'acc', passcode: '${passcode}', endpoint: emulator.url } },
        { id: 'hook', type: 'webhook', settings: { url: hookUrl } },
        { id: 'dw', type: 'warehouse', settings: { postgres: '${DB_URL}' } },
      ],
      connections: [
        { source: 'web', destination: 'clevertap' },
        { source: 'web', destination: 'hook' },
        { source: 'ct', destination: 'dw' },
        { source: 'ct', destination: 'hook' },
        { source: 'feed', destination: 'dw' },
        { source: 'feed', destination: 'hook' },
      ],
    },
    t.dir,
    env,
  );
  const server = await startServer(config, { logger: createLogger('debug', sink) });
  const u = server.url;
  const send = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await request(u + path, { method: method as 'GET', headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    await res.body.text();
    return res.statusCode;
  };
  try {
    const web = { authorization: basic(S.webKey) };
    const item = (n: number) => ({ type: 'track', userId: `u${n}`, event: 'Bought', writeKey: S.webKey, properties: { n } });
    const statuses = [
      await send('POST', '/v1/track', { userId: 'u0', event: 'Basic', writeKey: S.webKey }, web),
      await send('POST', '/v1/t', JSON.stringify({ userId: 'u1', event: 'Short', writeKey: S.webKey }), { 'content-type': 'text/plain' }),
      await send('POST', '/v1/identify', { userId: 'u2', traits: { plan: 'pro' } }, { 'x-write-key': S.webKey }),
      await send('POST', '/v1/batch', { batch: [item(3), item(4)] }, web),
      await send('POST', '/v1/import', { batch: [item(5)], writeKey: S.webKey }),
      await send('POST', '/v1/b', JSON.stringify({ batch: [item(6)], writeKey: S.webKey, sentAt: new Date().toISOString() }), { 'content-type': 'text/plain' }),
      await send('POST', `/beacon/v1/batch?writeKey=${S.webKey}`, JSON.stringify({ batch: [item(7)] }), { 'content-type': 'text/plain' }),
      await send('POST', '/v1/batch', { batch: [{ type: 'track', userId: 'c1', event: 'Exported', writeKey: S.ctKey }] }, { authorization: basic(S.ctKey) }),
      await send('POST', '/v2/events', { source_request_id: 'r1', user_identities: { customer_id: 'm1' }, events: [{ event_type: 'custom_event', data: { event_name: 'Fed', custom_event_type: 'other' } }] }, { authorization: basic(S.mpKey, S.mpSecret) }),
      await send('POST', '/v2/bulkevents', [{ user_identities: { customer_id: 'm2' }, events: [{ event_type: 'screen_view', data: { screen_name: 'Home' } }] }], { authorization: basic(S.mpKey, S.mpSecret) }),
      await send('POST', '/webhooks/clevertap/ct', { profiles: [{ identity: 'w1', profileData: { plan: 'gold' }, event_properties: { c: 1 } }] }, { authorization: basic('ct', S.webhookSecret) }),
      await send('POST', '/webhooks/clevertap/ct', { profiles: [{ identity: 'w2' }] }, { 'x-taproute-secret': S.webhookSecret }),
      await send('GET', `/v1/projects/${S.webKey}/settings`),
      await send('GET', `/sourceConfig?writeKey=${S.webKey}`),
      await send('GET', '/admin/status', undefined, { authorization: `Bearer ${S.adminToken}` }),
      await send('GET', '/admin/failures', undefined, { authorization: `Bearer ${S.adminToken}` }),
    ];
    assert.ok(statuses.every((s) => s === 200 || s === 202), statuses.join(' '));
    // Refusals, each with a secret somewhere in the request.
    const refused = [
      await send('POST', `/beacon/v1/batch?writeKey=${S.webKey}`, 'not json', { 'content-type': 'text/plain' }),
      await send('POST', `/beacon/v1/batch?writeKey=${S.webKey}&x=1`, { nope: 1 }),
      await send('POST', '/v1/track', { userId: 'u', event: 'x'.repeat(5000), writeKey: S.webKey }),
      await send('POST', '/v1/track', { userId: 'u', event: 'e' }, { authorization: basic(`${S.webKey}-wrong`) }),
      await send('POST', '/v1/batch', { batch: [{ type: 'nope', writeKey: S.webKey }] }, web),
      await send('POST', '/v1/track', { userId: 'u', event: 'e' }, { ...web, origin: 'https://elsewhere.test' }),
      await send('POST', '/v2/events', 'not json', { authorization: basic(S.mpKey, S.mpSecret), 'content-type': 'application/json' }),
      await send('POST', '/v2/events', {}, { authorization: basic(S.mpKey, `${S.mpSecret}-wrong`) }),
      await send('POST', '/webhooks/clevertap/ct', '{', { authorization: basic('ct', S.webhookSecret), 'content-type': 'application/json' }),
      await send('POST', '/webhooks/clevertap/ct', {}, { authorization: `Bearer ${S.webhookSecret}-wrong` }),
      await send('GET', `/admin/status?token=${S.adminToken}`),
      await send('GET', `/analytics.js/v1/${S.webKey}/nothing.js`),
    ];
    // The invalid item is refused in a 200 answer (the batch is kept); every other request is refused whole.
    assert.ok(refused.every((s, i) => (i === 4 ? s === 200 : s >= 400 && s < 500)), refused.join(' '));

    // Deliveries: CleverTap (emulator), the webhook receiver, the warehouse.
    await waitFor(async () => (await server.store.counts()).every((c) => c.pending === 0) && (await server.store.counts()).length === 6, 30_000, 'every delivery');
    const counts = await server.store.counts();
    assert.ok(counts.every((c) => c.dead === 0), JSON.stringify(counts));
    const metrics = await (await request(`${u}/metrics`)).body.text();
    assert.match(metrics, /taproute_rejected_requests_total\{source="feed",reason="invalid"\} 1/);
    assert.match(metrics, /taproute_rejected_requests_total\{source="web",reason="forbidden"\} 1/);
    const emulated = [
      await (await request(`${emulator.url}/_emulator/accounts/acc/events`)).body.text(),
      await (await request(`${emulator.url}/_emulator/accounts/acc/profiles`)).body.text(),
    ].join('\n');
    assert.match(emulated, /Bought/);
    const dw = new pg.Client({ connectionString: warehouseUrl.toString() });
    await dw.connect();
    const tables = (await dw.query(`SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`)).rows;
    let warehouse = '';
    for (const r of tables) warehouse += JSON.stringify((await dw.query(`SELECT * FROM "${r.table_schema}"."${r.table_name}"`)).rows);
    await dw.end();
    assert.ok(tables.length > 0, 'the warehouse was loaded');
    assert.ok(received.length > 0, 'the webhook receiver got batches');

    await server.close();
    const storeBytes = ['store.sqlite', 'store.sqlite-wal']
      .map((f) => join(t.dir, f))
      .filter(existsSync)
      .map((f) => readFileSync(f).toString('latin1'))
      .join('');
    assert.ok(logs.split('\n').length > 5, 'refusals were logged');
    for (const [name, secret] of Object.entries(S)) {
      assert.ok(!storeBytes.includes(secret), `${name} is in the store file`);
      assert.ok(!logs.includes(secret), `${name} is in a log line:\n${logs.split('\n').find((l) => l.includes(secret))}`);
      assert.ok(!metrics.includes(secret), `${name} is in /metrics`);
      assert.ok(!emulated.includes(secret), `${name} reached CleverTap's data`);
      assert.ok(!received.join('\n').includes(secret), `${name} reached the webhook receiver`);
      assert.ok(!warehouse.includes(secret), `${name} reached the warehouse`);
    }
    assert.match(logs, /\[redacted\]/, 'URLs with a write key are logged redacted');
  } finally {
    await server.close();
    await emulator.close();
    receiver.close();
    t.cleanup();
  }
});
