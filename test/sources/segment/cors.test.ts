// CORS over real HTTP: preflights and answers on the SDK paths, `allowedOrigins`, and the admin API and every other
// path refusing other origins.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { parseConfig } from '../../../src/config/load.js';
import { startStack, basic, storedMessages, ADMIN_TOKEN, WRITE_KEY, type Stack } from '../../helpers.js';

const SHOP = 'https://shop.example.com';
const LOCKED_KEY = 'locked-write-key';

async function call(url: string, method: string, headers: Record<string, string>, body?: unknown) {
  const res = await request(url, { method: method as 'GET', headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.body.text();
  return { status: res.statusCode, headers: res.headers, text };
}

const preflight = (url: string, origin: string, requestHeaders = 'content-type,authorization,x-retry-count') =>
  call(url, 'OPTIONS', { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': requestHeaders });

describe('CORS', () => {
  let stack: Stack;
  let url: string;
  before(async () => {
    stack = await startStack({
      config: {
        sources: [
          { id: 'web', type: 'segment', writeKey: WRITE_KEY },
          { id: 'locked', type: 'segment', writeKey: LOCKED_KEY, allowedOrigins: [SHOP, 'https://*.example.org'] },
        ],
        connections: [
          { source: 'web', destination: 'ct' },
          { source: 'locked', destination: 'ct' },
        ],
      },
    });
    url = stack.server.url;
  });
  after(() => stack.close());

  test('preflights on the ingest paths: the origin, methods, the requested headers, max-age', async () => {
    for (const path of ['/v1/t', '/v1/b', '/v1/batch', '/v1/track', '/beacon/v1/batch', '/sourceConfig/', `/v1/projects/${WRITE_KEY}/settings`]) {
      const r = await preflight(url + path, 'http://any-shop.test');
      assert.equal(r.status, 204, path);
      assert.equal(r.headers['access-control-allow-origin'], 'http://any-shop.test');
      assert.match(String(r.headers['access-control-allow-methods']), /POST/);
      const allowed = String(r.headers['access-control-allow-headers']).toLowerCase();
      for (const h of ['content-type', 'authorization', 'x-retry-count']) assert.ok(allowed.includes(h), `${path} allows ${h}`);
      assert.ok(Number(r.headers['access-control-max-age']) > 0);
      assert.match(String(r.headers.vary), /Origin/);
    }
    // A header list that is not a list of tokens is not echoed.
    const odd = await preflight(`${url}/v1/t`, 'http://any-shop.test', 'x-a, (x-b)');
    assert.equal(odd.status, 204);
    assert.doesNotMatch(String(odd.headers['access-control-allow-headers']), /x-a|\(/);
  });

  test('ingest answers carry Access-Control-Allow-Origin, also on errors, and expose Retry-After', async () => {
    const ok = await call(`${url}/v1/t`, 'POST', { origin: 'http://any-shop.test', 'content-type': 'text/plain' }, { writeKey: WRITE_KEY, userId: 'c1', event: 'E' });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['access-control-allow-origin'], 'http://any-shop.test');
    assert.equal(ok.headers['access-control-allow-credentials'], 'true');
    assert.match(String(ok.headers['access-control-expose-headers']), /Retry-After/);
    const bad = await call(`${url}/v1/t`, 'POST', { origin: 'http://any-shop.test', 'content-type': 'text/plain' }, { writeKey: WRITE_KEY, userId: 'c1' });
    assert.equal(bad.status, 400);
    assert.equal(bad.headers['access-control-allow-origin'], 'http://any-shop.test');
    const noOrigin = await call(`${url}/v1/t`, 'POST', { 'content-type': 'text/plain' }, { writeKey: WRITE_KEY, userId: 'c1', event: 'E' });
    assert.equal(noOrigin.status, 200);
    assert.equal(noOrigin.headers['access-control-allow-origin'], undefined);
  });

  test('a source with allowedOrigins refuses other origins before storing; servers and apps (no Origin) still send', async () => {
    const send = (origin: string | undefined, id: string) =>
      call(`${url}/v1/track`, 'POST', { ...(origin ? { origin } : {}), 'content-type': 'application/json', authorization: basic(LOCKED_KEY) }, { userId: 'lk', event: 'E', messageId: id });
    const refused = await send('https://evil.example.net', 'locked-refused');
    assert.equal(refused.status, 403);
    assert.match(refused.text, /origin not allowed/);
    assert.equal(refused.headers['access-control-allow-origin'], undefined, 'no CORS headers: the browser blocks it too');
    const beacon = await call(`${url}/beacon/v1/batch?writeKey=${LOCKED_KEY}`, 'POST', { origin: 'https://evil.example.net', 'content-type': 'text/plain' }, { batch: [{ type: 'track', userId: 'lk', event: 'E', messageId: 'locked-beacon' }] });
    assert.equal(beacon.status, 403);
    const sub = await call(`${url}/v1/track`, 'POST', { origin: 'https://x.evil.org', 'content-type': 'application/json', authorization: basic(LOCKED_KEY) }, { userId: 'lk', event: 'E', messageId: 'locked-sub' });
    assert.equal(sub.status, 403, 'a wildcard covers its own domain only');

    const allowed = await send(SHOP, 'locked-shop');
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers['access-control-allow-origin'], SHOP);
    assert.equal((await send('https://www.example.org', 'locked-wild')).status, 200);
    assert.equal((await send(undefined, 'locked-server')).status, 200);

    const ids = storedMessages(stack, 'locked').map((m) => m.messageId);
    assert.deepEqual(ids.sort(), ['locked-server', 'locked-shop', 'locked-wild']);
    // The settings of a locked source give CORS headers to its own origins only.
    const settings = await call(`${url}/v1/projects/${LOCKED_KEY}/settings`, 'GET', { origin: 'https://evil.example.net' });
    assert.equal(settings.headers['access-control-allow-origin'], undefined);
    const pre = await call(`${url}/sourceConfig/?writeKey=${LOCKED_KEY}`, 'OPTIONS', { origin: 'https://evil.example.net', 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' });
    assert.equal(pre.status, 403);
  });

  test('the admin API and every non-SDK path refuse other origins', async () => {
    const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const pre = await call(`${url}/admin/status`, 'OPTIONS', { origin: SHOP, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' });
    assert.equal(pre.status, 403);
    assert.equal(pre.headers['access-control-allow-origin'], undefined);
    const foreign: Record<string, string>[] = [{ origin: SHOP }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site', origin: 'http://admin.localhost' }];
    for (const headers of foreign) {
      const r = await call(`${url}/admin/status`, 'GET', { ...bearer, ...headers });
      assert.equal(r.status, 403, JSON.stringify(headers));
      assert.equal(r.headers['access-control-allow-origin'], undefined);
    }
    const replay = await call(`${url}/admin/failures/replay`, 'POST', { ...bearer, origin: SHOP, 'content-type': 'text/plain' }, {});
    assert.equal(replay.status, 403);
    assert.equal((await call(`${url}/metrics`, 'GET', { 'sec-fetch-site': 'cross-site' })).status, 403);
    // Same origin (the console), or no browser at all (curl, the CLI): answered.
    assert.equal((await call(`${url}/admin/status`, 'GET', { ...bearer, origin: url, 'sec-fetch-site': 'same-origin' })).status, 200);
    assert.equal((await call(`${url}/admin/status`, 'GET', { ...bearer, origin: url })).status, 200);
    assert.equal((await call(`${url}/admin/status`, 'GET', bearer)).status, 200);
  });
});

describe('CORS when every source restricts origins', () => {
  test('a preflight from an origin no source allows is refused', async () => {
    const stack = await startStack({ config: { sources: [{ id: 'web', type: 'segment', writeKey: WRITE_KEY, allowedOrigins: [SHOP] }] } });
    try {
      const refused = await preflight(`${stack.server.url}/v1/t`, 'https://evil.example.net');
      assert.equal(refused.status, 403);
      assert.equal(refused.headers['access-control-allow-origin'], undefined);
      assert.equal((await preflight(`${stack.server.url}/v1/t`, SHOP)).status, 204);
    } finally {
      await stack.close();
    }
  });

  test('allowedOrigins takes origins only (scheme://host[:port], optional *. before the host)', () => {
    const cfg = (allowedOrigins: string[]) => parseConfig({ sources: [{ id: 'w', type: 'segment', writeKey: 'k', allowedOrigins }] });
    assert.doesNotThrow(() => cfg(['https://shop.example.com', 'http://localhost:3000', 'https://*.example.com']));
    for (const bad of ['https://shop.example.com/', 'shop.example.com', 'https://shop.example.com/path', '*', 'https://a.*.com']) assert.throws(() => cfg([bad]), new RegExp('allowedOrigins'), bad);
  });
});
