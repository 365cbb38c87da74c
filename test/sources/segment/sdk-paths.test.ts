// Every path and wire form the Segment and RudderStack client SDKs use, over real HTTP: the browser SDKs'
// short paths with text/plain bodies, Segment's mobile /v1/b, RudderStack's mobile and beacon forms, the settings
// the SDKs fetch first, and the served browser bundle.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { request } from 'undici';
import { parseConfig } from '../../../src/config/load.js';
import { startStack, post, get, basic, waitFor, storedMessages, WRITE_KEY, type Stack } from '../../helpers.js';

const TEXT = { 'content-type': 'text/plain' };
const MOBILE_KEY = 'mobile-write-key';
const FEED_KEY = 'ct-export-key';
const STANDALONE = join(dirname(createRequire(import.meta.url).resolve('@segment/analytics-next/package.json')), 'dist', 'umd', 'standalone.js');

describe('SDK paths and wire forms', () => {
  let stack: Stack;
  let url: string;
  before(async () => {
    stack = await startStack({
      clevertap: { region: 'in1' },
      config: {
        ingest: { maxBatchEvents: 50, maxEventBytes: 2048 },
        sources: [
          { id: 'web', type: 'segment', writeKey: WRITE_KEY },
          { id: 'app', type: 'segment', writeKey: MOBILE_KEY },
          { id: 'feed', type: 'clevertap', writeKey: FEED_KEY },
        ],
        connections: [
          { source: 'web', destination: 'ct' },
          { source: 'app', destination: 'ct', deviceMode: { accountToken: 'public-token' } },
        ],
      },
    });
    url = stack.server.url;
  });
  after(() => stack.close());

  test("Segment's browser short paths (/v1/t|i|p|s|g|a): text/plain, write key in the body, type from the path", async () => {
    const calls: [string, Record<string, unknown>][] = [
      ['i', { userId: 'short-1', traits: { email: 'short@example.com' } }],
      ['t', { userId: 'short-1', event: 'Short Track' }],
      ['p', { userId: 'short-1', name: 'Home' }],
      ['s', { userId: 'short-1', name: 'Cart' }],
      ['g', { userId: 'short-1', groupId: 'g1' }],
      ['a', { userId: 'short-1', previousId: 'anon-short' }],
    ];
    for (const [path, body] of calls) {
      // The SDK also sends `type`; the path decides, as with the long names.
      const r = await post(`${url}/v1/${path}`, { ...body, type: 'track', writeKey: WRITE_KEY, messageId: `short-${path}` }, TEXT);
      assert.equal(r.status, 200, `/v1/${path}: ${JSON.stringify(r.body)}`);
      assert.deepEqual(r.body, { success: true });
    }
    const mine = storedMessages(stack, 'web').filter((m) => m.messageId?.startsWith('short-'));
    assert.deepEqual(mine.map((m) => m.type), ['identify', 'track', 'page', 'screen', 'group', 'alias']);
    for (const m of mine) assert.equal(m.writeKey, undefined, 'the write key is not stored with the message');
  });

  test('short paths keep the long paths\' limits, validation, dedupe and answers', async () => {
    const big = await post(`${url}/v1/t`, { writeKey: WRITE_KEY, userId: 'x', event: 'E', properties: { s: 'x'.repeat(4000) } }, TEXT);
    assert.equal(big.status, 413);
    const invalid = await post(`${url}/v1/t`, { writeKey: WRITE_KEY, userId: 'x' }, TEXT);
    assert.equal(invalid.status, 400);
    assert.match(invalid.body.error, /event/);
    assert.equal((await post(`${url}/v1/t`, '{"writeKey":', TEXT)).status, 400);
    assert.equal((await post(`${url}/v1/t`, { userId: 'x', event: 'E' }, TEXT)).status, 401);
    assert.equal((await post(`${url}/v1/t`, { writeKey: 'nope', userId: 'x', event: 'E' }, TEXT)).status, 401);
    const m = { userId: 'dd', event: 'Once', messageId: 'short-dup' };
    assert.equal((await post(`${url}/v1/track`, m, { authorization: basic(WRITE_KEY) })).status, 200);
    const again = await post(`${url}/v1/b`, { writeKey: WRITE_KEY, batch: [{ ...m, type: 'track' }] }, TEXT);
    assert.equal(again.body.duplicates, 1);
    const tooMany = await post(`${url}/v1/b`, { writeKey: WRITE_KEY, batch: Array.from({ length: 51 }, () => ({ type: 'track', userId: 'x', event: 'E' })) }, TEXT);
    assert.equal(tooMany.status, 413);
  });

  test("Segment's mobile form: /v1/b with {batch, sentAt, writeKey}, no auth header, plain and gzip; clock corrected", async () => {
    // The device clock runs an hour fast; the event happened 10 s before the batch was sent.
    const sent = Date.now() + 3_600_000;
    const body = (id: string) => ({
      batch: [
        { type: 'identify', userId: 'mob-1', traits: { name: 'Grace Hopper' }, messageId: `${id}-i`, timestamp: new Date(sent - 10_000).toISOString() },
        { type: 'track', userId: 'mob-1', event: 'App Opened', messageId: `${id}-t`, timestamp: new Date(sent - 10_000).toISOString(), context: { library: { name: 'analytics-kotlin' } } },
      ],
      sentAt: new Date(sent).toISOString(),
      writeKey: MOBILE_KEY,
    });
    const plain = await post(`${url}/v1/b`, body('mob-plain'));
    assert.equal(plain.status, 200);
    assert.deepEqual(plain.body, { success: true });
    const res = await request(`${url}/v1/b`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(JSON.stringify(body('mob-gz'))) });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(await res.body.json(), { success: true });
    const stored = storedMessages(stack, 'app').filter((m) => m.messageId.startsWith('mob-'));
    assert.equal(stored.length, 4);
    for (const m of stored) {
      assert.equal(m.writeKey, undefined);
      assert.ok(Math.abs(Date.parse(m.timestamp) - (Date.parse(m.receivedAt) - 10_000)) < 1000, `timestamp ${m.timestamp} corrected`);
    }
    const ev = await waitFor(() => (stack.emulator.events('acc') as any[]).find((e) => e.identity === 'mob-1' && e.evtName === 'App Opened'));
    assert.ok(ev);
  });

  test('device mode: a message the app\'s CleverTap kit already handled (_metadata.bundled) is not sent again', async () => {
    const before = (await stack.server.store.counts()).find((c) => c.sourceId === 'app')!;
    const batch = [
      { type: 'track', userId: 'kit-1', event: 'Kit Handled', messageId: 'kit-a', _metadata: { bundled: ['Segment.io', 'CleverTap'], unbundled: [] } },
      { type: 'track', userId: 'kit-1', event: 'Cloud Only', messageId: 'kit-b', _metadata: { bundled: ['Segment.io'], unbundled: [] } },
    ];
    assert.equal((await post(`${url}/v1/b`, { writeKey: MOBILE_KEY, batch })).status, 200);
    await waitFor(() => (stack.emulator.events('acc') as any[]).some((e) => e.identity === 'kit-1' && e.evtName === 'Cloud Only'));
    const after = (await stack.server.store.counts()).find((c) => c.sourceId === 'app')!;
    assert.equal(after.filtered - before.filtered, 1);
    assert.ok(!(stack.emulator.events('acc') as any[]).some((e) => e.evtName === 'Kit Handled'));
    // On a connection without deviceMode the same message is delivered.
    assert.equal((await post(`${url}/v1/b`, { writeKey: WRITE_KEY, batch: [{ ...batch[0], userId: 'kit-2', messageId: 'kit-c' }] })).status, 200);
    await waitFor(() => (stack.emulator.events('acc') as any[]).some((e) => e.identity === 'kit-2' && e.evtName === 'Kit Handled'));
  });

  test("Segment's browser batching form: /v1/b, text/plain, the write key in the body and in every item", async () => {
    const batch = ['bb-1', 'bb-2'].map((id) => ({ type: 'track', userId: 'bb', event: 'Batched', messageId: id, writeKey: WRITE_KEY, _metadata: { bundled: ['Segment.io'] } }));
    const r = await post(`${url}/v1/b`, { writeKey: WRITE_KEY, batch, sentAt: new Date().toISOString() }, { ...TEXT, authorization: basic(WRITE_KEY) });
    assert.equal(r.status, 200);
    const stored = storedMessages(stack, 'web').filter((m) => m.messageId.startsWith('bb-'));
    assert.equal(stored.length, 2);
    for (const m of stored) assert.equal(m.writeKey, undefined);
  });

  test("RudderStack's mobile form: /v1/batch, HTTP Basic, AnonymousId header, gzip", async () => {
    const body = { sentAt: new Date().toISOString(), batch: [{ type: 'track', anonymousId: 'rs-anon', userId: 'rs-mob', event: 'Item Viewed', messageId: 'rs-mob-1', channel: 'mobile' }] };
    const res = await request(`${url}/v1/batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'content-encoding': 'gzip', authorization: basic(MOBILE_KEY), anonymousid: Buffer.from('rs-anon').toString('base64') },
      body: gzipSync(JSON.stringify(body)),
    });
    assert.equal(res.statusCode, 200);
    await res.body.text();
    assert.ok(storedMessages(stack, 'app').some((m) => m.messageId === 'rs-mob-1'));
  });

  test("RudderStack's beacon: /beacon/v1/batch?writeKey=…, text/plain; the query key is read on the beacon path only", async () => {
    const body = { batch: [{ type: 'page', anonymousId: 'beacon-anon', name: 'Checkout', messageId: 'beacon-1' }], sentAt: new Date().toISOString() };
    const r = await post(`${url}/beacon/v1/batch?writeKey=${WRITE_KEY}`, body, TEXT);
    assert.equal(r.status, 200);
    assert.ok(storedMessages(stack, 'web').some((m) => m.messageId === 'beacon-1' && m.type === 'page'));
    assert.equal((await post(`${url}/beacon/v1/batch`, body, TEXT)).status, 401);
    assert.equal((await post(`${url}/beacon/v1/batch?writeKey=nope`, body, TEXT)).status, 401);
    assert.equal((await post(`${url}/v1/batch?writeKey=${WRITE_KEY}`, body, TEXT)).status, 401);
  });

  test('Segment settings point Segment.io at this server; device mode adds CleverTap without the passcode', async () => {
    const web = await get(`${url}/v1/projects/${WRITE_KEY}/settings`);
    assert.equal(web.status, 200);
    const port = stack.server.port;
    assert.deepEqual(web.body.integrations['Segment.io'], {
      apiKey: WRITE_KEY,
      apiHost: `127.0.0.1:${port}/v1`,
      protocol: 'http',
      unbundledIntegrations: [],
      maybeBundledConfigIds: {},
    });
    assert.deepEqual(Object.keys(web.body.integrations), ['Segment.io'], 'no device-mode integration by default');
    assert.equal(web.body.metrics.sampleRate, 0, 'the SDK reports nothing to Segment');

    const app = await get(`${url}/v1/projects/${MOBILE_KEY}/settings`, { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'events.example.com' });
    assert.equal(app.body.integrations['Segment.io'].apiHost, 'events.example.com/v1');
    assert.equal(app.body.integrations['Segment.io'].protocol, 'https');
    assert.deepEqual(app.body.integrations.CleverTap, {
      clevertap_account_id: 'acc',
      clevertap_account_token: 'public-token',
      region: 'in1',
      versionSettings: { componentTypes: ['android', 'ios'] },
    });
    assert.doesNotMatch(JSON.stringify(app.body), /pass/);

    assert.equal((await get(`${url}/v1/projects/nope/settings`)).status, 404);
    assert.equal((await get(`${url}/v1/projects/${FEED_KEY}/settings`)).status, 404, 'a CleverTap export source has no SDK settings');
  });

  test('RudderStack source config: write key in the query or as Basic user; CleverTap device mode only when asked', async () => {
    const web = await get(`${url}/sourceConfig/?p=web&v=3.7.0&build=modern&writeKey=${WRITE_KEY}`);
    assert.equal(web.status, 200);
    assert.equal(web.body.source.writeKey, WRITE_KEY);
    assert.equal(web.body.source.enabled, true);
    assert.deepEqual(web.body.source.destinations, []);
    assert.equal(typeof web.body.source.id, 'string');
    assert.equal(typeof web.body.source.workspaceId, 'string');
    assert.deepEqual(web.body.source.config, { statsCollection: { errors: { enabled: false }, metrics: { enabled: false } } });

    const app = await get(`${url}/sourceConfig?p=android&v=1.20.0`, { authorization: basic(MOBILE_KEY) });
    assert.equal(app.status, 200);
    const [ct] = app.body.source.destinations;
    assert.equal(ct.destinationDefinition.displayName, 'CleverTap');
    assert.equal(ct.enabled, true);
    assert.deepEqual(ct.config, { accountId: 'acc', region: 'in1', accountToken: 'public-token', connectionMode: 'device', useNativeSDK: true, useNativeSDKToSend: true });
    assert.doesNotMatch(JSON.stringify(app.body), /pass|"app"|"ct"/, 'no passcode, no internal ids');

    assert.equal((await get(`${url}/sourceConfig/?writeKey=nope`)).status, 404);
    assert.equal((await get(`${url}/sourceConfig/`)).status, 404);
  });

  test("Segment's browser SDK is served where the snippet loads it, as installed", async () => {
    const installed = readFileSync(STANDALONE);
    const plain = await request(`${url}/analytics.js/v1/${WRITE_KEY}/analytics.min.js`);
    assert.equal(plain.statusCode, 200);
    assert.match(String(plain.headers['content-type']), /javascript/);
    assert.ok(Buffer.from(await plain.body.arrayBuffer()).equals(installed));
    const gz = await request(`${url}/analytics.js/v1/${WRITE_KEY}/analytics.min.js`, { headers: { 'accept-encoding': 'gzip, br' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.ok(gunzipSync(Buffer.from(await gz.body.arrayBuffer())).equals(installed));

    // Chunks load from `<cdn>/analytics-next/bundles/` (the build's public path).
    const name = readdirSync(dirname(STANDALONE)).find((f) => /^ajs-destination\.bundle\.[0-9a-f]+\.js$/.test(f))!;
    const c = await request(`${url}/analytics-next/bundles/${name}`);
    assert.equal(c.statusCode, 200, name);
    assert.match(String(c.headers['cache-control']), /immutable/);
    await c.body.text();

    for (const path of [`/analytics.js/v1/nope/analytics.min.js`, `/analytics.js/v1/${FEED_KEY}/analytics.min.js`, `/analytics.js/v1/${WRITE_KEY}/other.js`, '/analytics-next/bundles/..%2Fpackage.json', '/analytics-next/bundles/standalone.js']) {
      const r = await request(url + path);
      assert.equal(r.statusCode, 404, path);
      await r.body.text();
    }
  });

  test('deviceMode is refused on a connection to anything but a CleverTap destination', () => {
    assert.throws(
      () =>
        parseConfig({
          sources: [{ id: 'w', type: 'segment', writeKey: 'k' }],
          destinations: [{ id: 'hook', type: 'webhook', settings: { url: 'http://127.0.0.1:9/hook' } }],
          connections: [{ source: 'w', destination: 'hook', deviceMode: true }],
        }),
      /deviceMode needs a clevertap destination/,
    );
  });
});
