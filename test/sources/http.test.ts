// Real HTTP against the lead's startServer: the mParticle Events API and CleverTap webhook routes.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../src/server.js';
import type { Config } from '../../src/config/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'taproute-sources-http-'));
const config: Config = {
  server: { port: 0, host: '127.0.0.1' },
  storage: { sqlite: join(dir, 't.sqlite') },
  log: { level: 'silent' },
  sources: [
    { id: 'mp', type: 'mparticle', key: 'mp-key', secret: 'mp-secret' },
    { id: 'ct', type: 'clevertap', secret: 'wh-secret' },
    { id: 'seg', type: 'segment', writeKey: 'wk' },
  ],
  destinations: [],
  connections: [],
};
let server: { url: string; close(): Promise<void> };

const basic = (u: string, p: string) => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');
const MP_AUTH = basic('mp-key', 'mp-secret');

async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(server.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, headers: res.headers, body: json };
}

let seq = 0;
function batch(extra: Record<string, unknown> = {}) {
  seq++;
  return {
    source_request_id: `req-${process.pid}-${seq}`,
    user_identities: { customer_id: `user-${seq}`, email: `u${seq}@x.test` },
    user_attributes: { ct_name: 'N' },
    events: [
      { event_type: 'custom_event', data: { event_name: 'A/B Experiment Stopped', custom_event_type: 'other', custom_attributes: { variant: 'A' } } },
      { event_type: 'uninstall', data: {} },
    ],
    ...extra,
  };
}

before(async () => {
  server = await startServer(config);
});
after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('mParticle Events API', () => {
  test('no Authorization → 401', async () => {
    const r = await post('/v2/events', batch());
    assert.equal(r.status, 401);
    assert.equal(r.body.errors[0].code, 'UNAUTHORIZED');
  });
  test('wrong key or secret → 403', async () => {
    for (const auth of [basic('mp-key', 'nope'), basic('other', 'mp-secret'), basic('', 'wh-secret'), 'Bearer mp-secret']) {
      const r = await post('/v2/events', batch(), { authorization: auth });
      assert.ok(r.status === 403 || r.status === 401, `${auth}: ${r.status}`);
    }
    const r = await post('/v2/events', batch(), { authorization: basic('mp-key', 'nope') });
    assert.equal(r.status, 403);
    assert.deepEqual(Object.keys(r.body), ['errors']);
    assert.equal(r.body.errors[0].code, 'FORBIDDEN');
  });
  test('bad credentials are refused before an oversized body is read', async () => {
    const r = await post('/v2/events', 'x'.repeat(300 * 1024), { authorization: basic('mp-key', 'nope') });
    assert.equal(r.status, 403);
  });
  test('invalid JSON → 400', async () => {
    const r = await post('/v2/events', '{"events": [', { authorization: MP_AUTH });
    assert.equal(r.status, 400);
    assert.equal(r.body.errors[0].code, 'BAD_REQUEST');
  });
  test('/v2/events needs one batch object; /v2/bulkevents an array', async () => {
    assert.equal((await post('/v2/events', [batch()], { authorization: MP_AUTH })).status, 400);
    assert.equal((await post('/v2/bulkevents', batch(), { authorization: MP_AUTH })).status, 400);
  });
  test('a batch with no user → 400 on /v2/events', async () => {
    const r = await post('/v2/events', { events: [{ event_type: 'uninstall' }] }, { authorization: MP_AUTH });
    assert.equal(r.status, 400);
    assert.match(r.body.errors[0].message, /no user/);
  });
  test('request over 256 KB → 413', async () => {
    const big = batch({ user_attributes: { blob: 'x'.repeat(270 * 1024) } });
    const r = await post('/v2/events', big, { authorization: MP_AUTH });
    assert.equal(r.status, 413);
    assert.equal(r.body.errors[0].code, 'REQUEST_TOO_LARGE');
  });
  test('a batch over 128 KB → 400', async () => {
    const r = await post('/v2/bulkevents', [batch(), batch({ user_attributes: { blob: 'x'.repeat(130 * 1024) } })], { authorization: MP_AUTH });
    assert.equal(r.status, 400);
    assert.match(r.body.errors[0].message, /batch 1/);
  });
  test('more than 100 batches → 400', async () => {
    const batches = Array.from({ length: 101 }, () => ({ user_identities: { customer_id: 'c' }, events: [] }));
    const r = await post('/v2/bulkevents', batches, { authorization: MP_AUTH });
    assert.equal(r.status, 400);
    assert.match(r.body.errors[0].message, /100 batches/);
  });
  test('one batch → 202; identify + 2 events stored', async () => {
    const r = await post('/v2/events', batch(), { authorization: MP_AUTH });
    assert.equal(r.status, 202);
    assert.deepEqual(r.body, { accepted: 3, duplicates: 0, rejected: 0 });
  });
  test('the same source_request_id again → 202 without storing', async () => {
    const b = batch();
    assert.equal((await post('/v2/events', b, { authorization: MP_AUTH })).body.accepted, 3);
    const again = await post('/v2/events', b, { authorization: MP_AUTH });
    assert.equal(again.status, 202);
    assert.deepEqual(again.body, { accepted: 0, duplicates: 0, rejected: 0, duplicateRequests: 1 });
  });
  test('source_message_id dedupes events across requests', async () => {
    const ev = { event_type: 'custom_event', data: { event_name: 'App Launched', custom_event_type: 'other', source_message_id: `smid-${process.pid}` } };
    const a = await post('/v2/events', { source_request_id: `a-${process.pid}`, user_identities: { customer_id: 'c' }, events: [ev] }, { authorization: MP_AUTH });
    const b = await post('/v2/events', { source_request_id: `b-${process.pid}`, user_identities: { customer_id: 'c' }, events: [ev] }, { authorization: MP_AUTH });
    assert.deepEqual([a.body.accepted, b.body.accepted, b.body.duplicates], [1, 0, 1]);
  });
  test('bulk: batches fan out; a bad batch is skipped and the request is still 202', async () => {
    const r = await post('/v2/bulkevents', [batch(), { events: [{ event_type: 'uninstall' }] }, batch()], { authorization: MP_AUTH });
    assert.equal(r.status, 202);
    assert.equal(r.body.accepted, 6);
    assert.equal(r.body.errors.length, 1);
    assert.match(r.body.errors[0], /^batch 1: /);
  });
  test('historical: events under 72 h old are not processed; older ones are', async () => {
    const recent = batch({ events: [{ event_type: 'uninstall', data: { timestamp_unixtime_ms: Date.now() - 3600_000 } }] });
    const r1 = await post('/v2/bulkevents/historical', [recent], { authorization: MP_AUTH });
    assert.equal(r1.status, 202);
    assert.equal(r1.body.accepted, 0);
    assert.match(r1.body.errors[0], /72 hours/);
    const old = batch({ events: [{ event_type: 'uninstall', data: { timestamp_unixtime_ms: Date.now() - 10 * 86400_000 } }] });
    const r2 = await post('/v2/bulkevents/historical', [old], { authorization: MP_AUTH });
    assert.equal(r2.status, 202);
    assert.equal(r2.body.accepted, 2);
  });
});

describe('CleverTap webhooks', () => {
  let n = 0;
  const payload = (pascal = false, single = false) => {
    n++;
    const p = pascal
      ? { Identity: `wh-${n}@x.test`, Email: `wh-${n}@x.test`, ObjectId: `__g${n}`, ProfileData: { plan: 'gold' }, Event_properties: { 'CT Source': 'Mobile' } }
      : { identity: `wh-${n}@x.test`, email: `wh-${n}@x.test`, objectId: `__g${n}`, profileData: { plan: 'gold' }, event_properties: { 'CT Source': 'Mobile' } };
    return { targetId: 1000 + n, profiles: single ? p : [p] };
  };
  const URL_CT = '/webhooks/clevertap/ct';

  test('no credentials → 401', async () => {
    const r = await post(URL_CT, payload());
    assert.equal(r.status, 401);
    assert.equal(r.body.ok, false);
  });
  test('wrong secret, unknown source, or a non-clevertap source → 403', async () => {
    assert.equal((await post(URL_CT, payload(), { 'x-taproute-secret': 'nope' })).status, 403);
    assert.equal((await post(URL_CT, payload(), { authorization: basic('any', 'nope') })).status, 403);
    assert.equal((await post(URL_CT, payload(), { authorization: 'Bearer nope' })).status, 403);
    assert.equal((await post('/webhooks/clevertap/nosuch', payload(), { 'x-taproute-secret': 'wh-secret' })).status, 403);
    assert.equal((await post('/webhooks/clevertap/mp', payload(), { 'x-taproute-secret': 'mp-secret' })).status, 403);
  });
  test('HTTP Basic (any username), X-Taproute-Secret and Bearer all work', async () => {
    const variants: Record<string, string>[] = [{ authorization: basic('clevertap', 'wh-secret') }, { 'x-taproute-secret': 'wh-secret' }, { authorization: 'Bearer wh-secret' }];
    for (const h of variants) {
      const r = await post(URL_CT, payload(), h);
      assert.equal(r.status, 200, JSON.stringify(h));
      assert.deepEqual(r.body, { ok: true, accepted: 2, duplicates: 0, rejected: 0 });
    }
  });
  test('both casings, array and single object', async () => {
    for (const [pascal, single] of [[false, false], [false, true], [true, false], [true, true]]) {
      const r = await post(URL_CT, payload(pascal, single), { 'x-taproute-secret': 'wh-secret' });
      assert.equal(r.status, 200, `pascal=${pascal} single=${single}`);
      assert.equal(r.body.accepted, 2);
    }
  });
  test("CleverTap's retry of the same payload is deduped", async () => {
    const p = payload();
    assert.equal((await post(URL_CT, p, { 'x-taproute-secret': 'wh-secret' })).body.accepted, 2);
    const again = await post(URL_CT, p, { 'x-taproute-secret': 'wh-secret' });
    assert.equal(again.status, 200);
    assert.deepEqual([again.body.accepted, again.body.duplicates], [0, 2]);
  });
  test('invalid JSON / no profiles → 400', async () => {
    const bad = await post(URL_CT, '{"profiles": [', { 'x-taproute-secret': 'wh-secret' });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.ok, false);
    assert.equal((await post(URL_CT, { targetId: 1 }, { 'x-taproute-secret': 'wh-secret' })).status, 400);
  });
  test('answers well within CleverTap\'s 3-second wait', async () => {
    const profiles = Array.from({ length: 200 }, (_, i) => ({ identity: `bulk-${i}`, event_properties: { i } }));
    const t0 = Date.now();
    const r = await post(URL_CT, { targetId: 9, profiles }, { 'x-taproute-secret': 'wh-secret' });
    assert.equal(r.status, 200);
    assert.equal(r.body.accepted, 400);
    assert.ok(Date.now() - t0 < 3000);
  });
});
