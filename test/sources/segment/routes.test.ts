// The Segment/RudderStack tracking API over real HTTP: auth, limits, bad input, dedupe, clock correction.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { startStack, post, get, basic, waitFor, WRITE_KEY, type Stack } from '../../helpers.js';

describe('segment tracking API', () => {
  let stack: Stack;
  let url: string;
  const auth = { authorization: basic(WRITE_KEY) };
  before(async () => {
    stack = await startStack({ config: { ingest: { maxBatchEvents: 50, maxEventBytes: 2048, maxRequestBytes: 64 * 1024 } } });
    url = stack.server.url;
  });
  after(() => stack.close());

  test('auth: Basic with and without colon, writeKey in body; 401 for missing or unknown keys', async () => {
    const m = { userId: 'a1', event: 'E' };
    assert.equal((await post(`${url}/v1/track`, m, auth)).status, 200);
    const noColon = 'Basic ' + Buffer.from(WRITE_KEY).toString('base64');
    assert.equal((await post(`${url}/v1/track`, m, { authorization: noColon })).status, 200);
    assert.equal((await post(`${url}/v1/track`, { ...m, writeKey: WRITE_KEY })).status, 200);
    const missing = await post(`${url}/v1/track`, m);
    assert.equal(missing.status, 401);
    assert.match(missing.body.error, /write key/);
    assert.equal((await post(`${url}/v1/track`, m, { authorization: basic('nope') })).status, 401);
  });

  test('bad input gets a clear 4xx and the process stays up', async () => {
    const bad = await post(`${url}/v1/track`, '{"userId": "x", ', auth);
    assert.equal(bad.status, 400);
    assert.match(bad.body.error, /Invalid JSON/);
    const wrongType = await post(`${url}/v1/track`, { userId: 'x', event: 42 }, auth);
    assert.equal(wrongType.status, 400);
    assert.match(wrongType.body.error, /event/);
    const noUser = await post(`${url}/v1/identify`, { traits: {} }, auth);
    assert.equal(noUser.status, 400);
    assert.match(noUser.body.error, /userId or anonymousId/);
    assert.equal((await post(`${url}/v1/track`, [1, 2], auth)).status, 400);
    assert.equal((await post(`${url}/v1/batch`, { batch: 'nope' }, auth)).status, 400);
    const big = await post(`${url}/v1/track`, { userId: 'x', event: 'E', properties: { s: 'x'.repeat(4000) } }, auth);
    assert.equal(big.status, 413);
    const tooMany = await post(`${url}/v1/batch`, { batch: Array.from({ length: 51 }, () => ({ type: 'track', userId: 'x', event: 'E' })) }, auth);
    assert.equal(tooMany.status, 413);
    const hugeReq = await post(`${url}/v1/batch`, { batch: Array.from({ length: 40 }, () => ({ type: 'track', userId: 'x', event: 'E', properties: { s: 'y'.repeat(1900) } })) }, auth);
    assert.equal(hugeReq.status, 413);
    const badGzip = await request(`${url}/v1/batch`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: 'not gzip' });
    assert.equal(badGzip.statusCode, 400);
    await badGzip.body.text();
    const brotli = await request(`${url}/v1/batch`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'br' }, body: 'x' });
    assert.equal(brotli.statusCode, 415);
    await brotli.body.text();
    // Hostile shapes: absurd times and very deep nesting are refused per event, never a 500.
    const absurd = await post(`${url}/v1/track`, { userId: 'x', event: 'E', timestamp: '99999999999999999', sentAt: '1970-01-01T00:00:00Z' }, auth);
    assert.equal(absurd.status, 200);
    const deep = '{"a":'.repeat(6000) + '1' + '}'.repeat(6000);
    const nested = await post(`${url}/v1/batch`, `{"batch":[{"type":"track","userId":"x","event":"Deep","properties":${deep}},{"type":"track","userId":"x","event":"Ok"}]}`, auth);
    assert.equal(nested.status, 200);
    assert.deepEqual(nested.body.rejected.map((r: { index: number }) => r.index), [0]);
    assert.equal(nested.body.accepted, 1);
    assert.equal((await get(`${url}/healthz`)).status, 200);
  });

  test('a batch keeps valid events and reports invalid ones; gzip bodies are accepted', async () => {
    const body = {
      batch: [
        { type: 'track', userId: 'b1', event: 'Ok', messageId: 'batch-ok-1' },
        { type: 'track', userId: 'b1' },
        { type: 'bogus', userId: 'b1' },
        { type: 'identify', anonymousId: 'anon-b', traits: { email: 'b@example.com' }, messageId: 'batch-ok-2' },
        { type: 'track', userId: 'b1', event: 'Big', properties: { s: 'z'.repeat(3000) } },
      ],
    };
    const res = await request(`${url}/v1/batch`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify(body)),
    });
    const r = (await res.body.json()) as any;
    assert.equal(res.statusCode, 200);
    assert.equal(r.accepted, 2);
    assert.deepEqual(r.rejected.map((x: any) => x.index), [1, 2, 4]);
    const web = (await stack.server.store.sourceCounts()).find((s) => s.sourceId === 'web')!;
    assert.ok(web.rejected >= 3);
  });

  test('duplicates of (source, messageId) are dropped; messageId is assigned when absent', async () => {
    const m = { userId: 'd1', event: 'Once', messageId: 'dup-1' };
    await post(`${url}/v1/track`, m, auth);
    const again = await post(`${url}/v1/batch`, { batch: [{ ...m, type: 'track' }] }, auth);
    assert.equal(again.body.duplicates, 1);
    await post(`${url}/v1/track`, { userId: 'd1', event: 'NoId' }, auth);
    const evs = await waitFor(() => {
      const e = (stack.emulator.events('acc') as any[]).filter((x) => x.identity === 'd1');
      return e.length >= 2 ? e : null;
    });
    assert.equal(evs.filter((e) => e.evtName === 'Once').length, 1);
  });

  test('client clock is corrected: timestamp = receivedAt - (sentAt - originalTimestamp)', async () => {
    // The client clock runs 1 hour fast: the event happened 10 s before it was sent.
    const sent = Date.now() + 3_600_000;
    await post(`${url}/v1/track`, { userId: 'clock', event: 'Skewed', timestamp: new Date(sent - 10_000).toISOString(), sentAt: new Date(sent).toISOString() }, auth);
    const ev = await waitFor(() => (stack.emulator.events('acc') as any[]).find((x) => x.identity === 'clock'));
    const expected = Math.floor((Date.now() - 10_000) / 1000);
    assert.ok(Math.abs(ev.ts - expected) <= 3, `ts ${ev.ts} ≈ ${expected}`);
  });
});

describe('backpressure', () => {
  test('429 with Retry-After once the backlog passes its bound', async () => {
    const stack = await startStack({ emulator: { faults: { status: 503 } }, config: { ingest: { maxBacklog: 3 } } });
    try {
      const auth = { authorization: basic(WRITE_KEY) };
      const r1 = await post(`${stack.server.url}/v1/batch`, { batch: [1, 2, 3].map((i) => ({ type: 'track', userId: `u${i}`, event: 'E' })) }, auth);
      assert.equal(r1.status, 200);
      const r2 = await post(`${stack.server.url}/v1/track`, { userId: 'x', event: 'E' }, auth);
      assert.equal(r2.status, 429);
      assert.ok(Number(r2.headers['retry-after']) > 0);
    } finally {
      await stack.close();
    }
  });
});
