// Real HTTP against the lead's startServer: the mParticle Events API and CleverTap webhook routes.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
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

/** Stored messages of a source (the store's own table), newest last. */
function stored(sourceId: string): Record<string, any>[] {
  const db = new Database(join(dir, 't.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT payload FROM messages WHERE source_id = ? ORDER BY id').all(sourceId) as { payload: string }[];
    return rows.map((r) => JSON.parse(r.payload));
  } finally {
    db.close();
  }
}

/** `{"a":{"a":…1…}}` n levels deep, as request text (6 bytes a level: 5000 levels ≈ 30 KB). */
const deepText = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

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

describe('mParticle Events API: hostile input (review fixes)', () => {
  const auth = { authorization: MP_AUTH };
  test('a ~5000-deep batch in a bulk request is skipped with an error; the good batches are stored', async () => {
    const bad = `{"user_identities":{"customer_id":"deep"},"events":[{"event_type":"custom_event","data":{"event_name":"x","custom_attributes":${deepText(5000)}}}]}`;
    const body = `[${JSON.stringify(batch())},${bad},${JSON.stringify(batch())}]`;
    const r = await post('/v2/bulkevents', body, auth);
    assert.equal(r.status, 202);
    assert.equal(r.body.accepted, 6);
    assert.deepEqual(r.body.errors, ['batch 1: batch could not be converted (nested too deeply; skipped)']);
  });
  test('a 2500-deep batch (serialisable, but not clonable) in a bulk request too', async () => {
    const bad = `{"user_identities":{"customer_id":"deep"},"user_attributes":{"d":${deepText(2500)}}}`;
    const r = await post('/v2/bulkevents', `[${bad},${JSON.stringify(batch())}]`, auth);
    assert.equal(r.status, 202);
    assert.equal(r.body.accepted, 3);
    assert.match(r.body.errors[0], /^batch 0: batch could not be converted/);
  });
  test('a deep batch on /v2/events → 400', async () => {
    for (const depth of [2500, 5000]) {
      const r = await post('/v2/events', `{"user_identities":{"customer_id":"deep"},"events":[{"event_type":"uninstall","data":{"custom_attributes":${deepText(depth)}}}]}`, auth);
      assert.equal(r.status, 400, `depth ${depth}`);
      assert.equal(r.body.errors[0].code, 'BAD_REQUEST');
      assert.match(r.body.errors[0].message, /nested too deeply/);
    }
  });
  test('timestamp_unixtime_ms 1e17 → stored with receivedAt, error note, never 500', async () => {
    const t0 = Date.now();
    const b = batch({ events: [{ event_type: 'custom_event', data: { event_name: 'Huge Time', custom_event_type: 'other', timestamp_unixtime_ms: 1e17 } }] });
    const r = await post('/v2/events', b, auth);
    assert.equal(r.status, 202);
    assert.equal(r.body.accepted, 2);
    assert.deepEqual(r.body.errors, ['events[0]: invalid timestamp_unixtime_ms (receivedAt used)']);
    const m = stored('mp').filter((x) => x.event === 'Huge Time').at(-1)!;
    assert.ok(Date.parse(m.timestamp) >= t0 - 1000 && Date.parse(m.timestamp) <= Date.now() + 1000, m.timestamp);
  });
  test('promotion_action "constructor" → 400 on /v2/events, skipped on bulk; never 500', async () => {
    const ev = { event_type: 'commerce_event', data: { promotion_action: { action: 'constructor', promotions: [{ id: 'p' }] } } };
    const single = await post('/v2/events', { user_identities: { customer_id: 'proto' }, events: [ev] }, auth);
    assert.equal(single.status, 400);
    assert.match(single.body.errors[0].message, /unsupported promotion_action constructor/);
    const bulk = await post('/v2/bulkevents', [{ user_identities: { customer_id: 'proto' }, events: [ev] }, batch()], auth);
    assert.equal(bulk.status, 202);
    assert.equal(bulk.body.accepted, 3);
  });
  test('user_attributes with __proto__ / constructor: stored as data, the real values win', async () => {
    const body = `{"user_identities":{"customer_id":"proto-u","mobile_number":"+1555"},"user_attributes":{"__proto__":{"phone":"evil"},"constructor":"k","$mobile":null}}`;
    const r = await post('/v2/events', body, auth);
    assert.equal(r.status, 202);
    assert.equal(r.body.accepted, 1);
    const m = stored('mp').filter((x) => x.userId === 'proto-u').at(-1)!;
    assert.deepEqual(m.traits, { constructor: 'k', phone: '+1555' });
  });
  test('a client retry of a request without source_request_id / source_message_id is deduped', async () => {
    const ts = Date.now() - 60_000;
    const b = { user_identities: { customer_id: `replay-${process.pid}` }, user_attributes: { plan: 'gold' }, events: [{ event_type: 'custom_event', data: { event_name: 'E', custom_event_type: 'other', timestamp_unixtime_ms: ts } }, { event_type: 'uninstall', data: { timestamp_unixtime_ms: ts + 1 } }] };
    const first = await post('/v2/bulkevents', [b], auth);
    assert.deepEqual([first.status, first.body.accepted, first.body.duplicates], [202, 3, 0]);
    const retry = await post('/v2/bulkevents', [b], auth);
    assert.deepEqual([retry.status, retry.body.accepted, retry.body.duplicates], [202, 0, 3]);
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
    // ids change every minute (see webhook.ts): keep both requests inside one minute.
    if (Date.now() % 60_000 > 55_000) await new Promise((r) => setTimeout(r, 60_000 - (Date.now() % 60_000) + 50));
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

describe('CleverTap webhooks: hostile input (review fixes)', () => {
  const URL_CT = '/webhooks/clevertap/ct';
  const h = { 'x-taproute-secret': 'wh-secret' };
  test('a deeply nested profileData: that profile is listed in errors, the others stored (200)', async () => {
    const body = `{"targetId":7,"profiles":[{"identity":"deep-ok-${process.pid}"},{"identity":"deep-bad","profileData":${deepText(5000)}}]}`;
    const r = await post(URL_CT, body, h);
    assert.equal(r.status, 200);
    assert.equal(r.body.accepted, 1);
    assert.deepEqual(r.body.errors, ['profiles[1]: could not be converted (nested too deeply; skipped)']);
  });
  test('nothing usable (only a deep profile) → 400, not 500', async () => {
    for (const depth of [2500, 5000]) {
      const r = await post(URL_CT, `{"profiles":[{"identity":"deep-bad","profileData":{"x":${deepText(depth)}}}]}`, h);
      assert.equal(r.status, 400, `depth ${depth}`);
      assert.equal(r.body.ok, false);
      assert.match(r.body.error, /nested too deeply/);
    }
  });
  test('profileData {"__proto__":{"email":"evil"},"Email":"real@x.com"}: the real email is stored, nothing injected', async () => {
    const id = `proto-${process.pid}`;
    const r = await post(URL_CT, `{"profiles":[{"identity":"${id}","profileData":{"__proto__":{"email":"evil","emailOptIn":true},"Email":"real@x.com"}}]}`, h);
    assert.equal(r.status, 200);
    assert.equal(r.body.accepted, 1);
    assert.deepEqual(r.body.errors, ['profiles[0]: profileData key "__proto__" ignored']);
    const m = stored('ct').filter((x) => x.userId === id).at(-1)!;
    assert.deepEqual(m.traits, { email: 'real@x.com' });
  });
});
