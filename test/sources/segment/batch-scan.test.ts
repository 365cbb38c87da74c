// /v1/batch bodies are scanned, not parsed whole (src/message/batch-scan.ts): through a running node, what is
// stored and answered is what the whole parse gave. Each body is sent once as scanned and once in a form the scan
// leaves to JSON.parse (a long integer beside the batch, which nothing reads), and the stored messages must agree; a CleverTap export source's normaliser still sees whole messages; refusals are unchanged.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { basic, post, startStack, storedMessages, WRITE_KEY, type Stack } from '../../helpers.js';
import { normaliseCleverTapMessage } from '../../../src/sources/clevertap-export/normalise.js';

const FEED_KEY = 'feed-key';
let stack: Stack;
before(async () => {
  stack = await startStack({
    config: {
      sources: [
        { id: 'web', type: 'segment', writeKey: WRITE_KEY },
        { id: 'feed', type: 'clevertap', writeKey: FEED_KEY },
      ],
      connections: [
        { source: 'web', destination: 'ct' },
        { source: 'feed', destination: 'ct' },
      ],
    },
  });
});
after(() => stack.close());

const auth = (key = WRITE_KEY) => ({ authorization: basic(key) });
/** Stored messages by messageId, without what ingest stamps anew on each request. */
function stored(source: string, prefix: string): Map<string, Record<string, unknown>> {
  return new Map(
    storedMessages(stack, source)
      .filter((m) => String(m.messageId).startsWith(prefix))
      .map((m) => {
        const { receivedAt: _r, timestamp: _t, messageId: _m, ...rest } = m;
        return [String(m.messageId).slice(prefix.length), rest];
      }),
  );
}

/** The body as JSON with a member the scan leaves to JSON.parse (a long integer), which the route ignores. */
const whole = (body: object) => JSON.stringify(body).slice(0, -1) + ',"pad":1234567890123456789}';

function items(prefix: string) {
  return [
    { type: 'track', event: 'Plain', userId: 'u1', messageId: `${prefix}1`, properties: { price: 9.99, tags: ['a', 'b'], nested: { deep: [{ x: null }] } }, context: { ip: '203.0.113.7', library: { name: 'analytics-node' } } },
    { type: 'identify', userId: 'ünï 🙂', messageId: `${prefix}2`, traits: { name: 'N "quoted" \\ back', 'k\u2028': '\u0000 control' }, integrations: { All: true } },
    { type: 'track', event: 'Numeric id', userId: 42, anonymousId: 7.5, messageId: `${prefix}3`, properties: {} },
    { type: 'track', event: 'Key in item', userId: 'u4', messageId: `${prefix}4`, writeKey: WRITE_KEY, context: { page: { url: 'https://x.test/?a=1&b=2' } } },
    { type: 'page', name: null, anonymousId: 'a5', messageId: `${prefix}5`, properties: { title: 'T' }, sentAt: '2026-01-01T00:00:00.000Z', originalTimestamp: '2026-01-01T00:00:00.000Z' },
  ];
}

test('scanned and wholly parsed bodies store the same messages and get the same answer', async () => {
  const scanned = await post(`${stack.server.url}/v1/batch`, { batch: items('s-'), sentAt: '2026-01-01T00:00:01.000Z' }, auth());
  const parsed = await post(`${stack.server.url}/v1/batch`, whole({ batch: items('p-'), sentAt: '2026-01-01T00:00:01.000Z' }), auth());
  assert.equal(scanned.status, 200, JSON.stringify(scanned.body));
  assert.deepEqual(scanned.body, parsed.body);
  const a = stored('web', 's-');
  const b = stored('web', 'p-');
  assert.equal(a.size, 5);
  for (const [id, m] of b) assert.deepEqual(a.get(id), m, id);
  assert.equal(a.get('3')!.userId, '42');
  assert.equal(a.get('4')!.writeKey, undefined, 'the write key is never stored');
  assert.deepEqual((a.get('1')!.properties as { nested: unknown }).nested, { deep: [{ x: null }] });
});

test('the same body pretty-printed and gzipped: stored the same', async () => {
  const body = JSON.stringify({ batch: items('g-') }, null, '\t');
  const r = await request(`${stack.server.url}/v1/batch`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(body) });
  assert.equal(r.statusCode, 200, await r.body.text());
  const a = stored('web', 'g-');
  const b = stored('web', 's-');
  for (const [id, m] of b) {
    const { sentAt: _a, ...x } = a.get(id)!;
    const { sentAt: _b, ...y } = m;
    if (id !== '5') assert.deepEqual(x, y, id);
  }
});

test('refusals as before: per-item schema errors, an item that is not an object, invalid JSON', async () => {
  const batch = [
    { type: 'track', userId: 'u', messageId: 'r-1', context: 'not an object' },
    { type: 'track', userId: 'u', messageId: 'r-2', properties: [1, 2] },
    { type: 'track', userId: 'u', messageId: 'r-3', traits: null },
    { type: 'track', messageId: 'r-4', event: 'E', context: {} },
    { type: 'track', userId: 'u', messageId: 'r-5', event: 'ok', context: { a: 1 } },
  ];
  const scanned = await post(`${stack.server.url}/v1/batch`, { batch }, auth());
  const parsed = await post(`${stack.server.url}/v1/batch`, whole({ batch: batch.map((m) => ({ ...m, messageId: `p${m.messageId}` })) }), auth());
  assert.equal(scanned.status, 200);
  assert.equal(scanned.body.accepted, 1);
  assert.deepEqual(
    scanned.body.rejected.map((r: { error: string }) => r.error),
    parsed.body.rejected.map((r: { error: string }) => r.error),
  );
  assert.deepEqual(scanned.body.rejected.map((r: { index: number }) => r.index), [0, 1, 2, 3]);
  assert.match(scanned.body.rejected[0].error, /^\/context: /);
  const notObject = await post(`${stack.server.url}/v1/batch`, '{"batch":[{"type":"track","userId":"u","event":"E","messageId":"r-6"}, 5]}', auth());
  assert.equal(notObject.status, 200);
  assert.deepEqual(notObject.body.rejected, [{ index: 1, error: 'message must be a JSON object' }]);
  for (const bad of ['{"batch":[{"type":"track","context":{"a":1,}}]}', '{"batch":[{"type":"track","context":{"a":"\u0001"}}]}', '{"batch":[{"type":"track","context":{"a":01}}]}']) {
    const r = await post(`${stack.server.url}/v1/batch`, bad, auth());
    assert.equal(r.status, 400, bad);
    assert.deepEqual(r.body, { success: false, error: 'Invalid JSON' });
  }
});

test("a normaliser (CleverTap export source) gets whole messages: context.traits mapped as from the parsed message", async () => {
  const m = { type: 'identify', userId: 'u-feed', messageId: 'feed-1', traits: { ct_name: 'N', plan: 'x' }, context: { traits: { ct_gender: 'F' } } };
  const r = await post(`${stack.server.url}/v1/batch`, { batch: [m] }, auth(FEED_KEY));
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const got = storedMessages(stack, 'feed').find((x) => x.messageId === 'feed-1')!;
  const want = normaliseCleverTapMessage(structuredClone(m) as never);
  assert.deepEqual(got.traits, want.traits);
  assert.deepEqual(got.context, want.context);
  assert.deepEqual(got.context?.traits, { gender: 'F' });
});
