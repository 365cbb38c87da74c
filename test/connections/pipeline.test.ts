// A connection's filter and function in a running node (Segment API in, the CleverTap emulator out): filtered
// events counted by rule and reconciled, splits delivered in order and settled once, function failures
// dead-lettered with the message's type, event and the function's error; a function that cannot load stops the start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { startStack, post, get, basic, waitFor, reconciled, tmpDir, WRITE_KEY, ADMIN_TOKEN, type Stack } from '../helpers.js';
import { parseConfig } from '../../src/config/load.js';
import { startServer } from '../../src/server.js';
import { createLogger } from '../../src/util/logger.js';

const fn = (name: string) => fileURLToPath(new URL(`./functions/${name}`, import.meta.url));
const example = (name: string) => fileURLToPath(new URL(`../../examples/functions/${name}`, import.meta.url));
const auth = { authorization: basic(WRITE_KEY) };
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function send(stack: Stack, batch: object[]) {
  const r = await post(`${stack.server.url}/v1/batch`, { batch }, auth);
  assert.equal(r.status, 200, JSON.stringify(r.body));
}

async function drained(stack: Stack) {
  await waitFor(async () => (await stack.server.store.counts()).every((c) => c.pending === 0), 20_000, 'all jobs settled');
  assert.ok(await reconciled(stack.server), 'received = delivered + dead + filtered + pending');
  return (await stack.server.store.counts())[0];
}

const byRule = async (stack: Stack) => Object.fromEntries((await stack.server.store.filteredByRule()).map((r) => [r.rule, r.filtered]));

test('pipeline: filter rules and the integrations object filter at ingest, counted by rule', async () => {
  const stack = await startStack({
    config: {
      connections: [
        {
          source: 'web',
          destination: 'ct',
          filter: { types: ['identify', 'track'], allowEvents: ['Order *', 'Signed Up'], denyEvents: ['Order Debug*'], where: "properties.env != 'test'", dropFields: ['traits.email'] },
        },
      ],
    },
  });
  try {
    await send(stack, [
      { type: 'track', userId: 'u1', event: 'Signed Up', messageId: 'ok-1' },
      { type: 'track', userId: 'u1', event: 'Order Completed', properties: { order_id: 'o1', revenue: 5 }, messageId: 'ok-2' },
      { type: 'identify', userId: 'u1', traits: { email: 'ada@example.com', name: 'Ada' }, messageId: 'ok-3' },
      { type: 'page', userId: 'u1', name: 'Home', messageId: 'f-types' },
      { type: 'track', userId: 'u1', event: 'Clicked', messageId: 'f-allow' },
      { type: 'track', userId: 'u1', event: 'Order Debug Dump', messageId: 'f-deny' },
      { type: 'track', userId: 'u1', event: 'Signed Up', properties: { env: 'test' }, messageId: 'f-where' },
      { type: 'track', userId: 'u1', event: 'Signed Up', integrations: { All: false, Mixpanel: true }, messageId: 'f-int-1' },
      { type: 'track', userId: 'u1', event: 'Signed Up', integrations: { CleverTap: false }, messageId: 'f-int-2' },
      { type: 'track', userId: 'u2', event: 'Signed Up', integrations: { All: false, CleverTap: true }, messageId: 'ok-4' },
    ]);
    const c = await drained(stack);
    assert.deepEqual([c.received, c.delivered, c.filtered, c.dead], [10, 4, 6, 0]);
    assert.deepEqual(await byRule(stack), { types: 1, allowEvents: 1, denyEvents: 1, where: 1, integrations: 2 });
    const profile = stack.emulator.profiles('acc').find((p) => p.identity === 'u1');
    assert.equal(profile?.profileData.Name, 'Ada');
    assert.equal(profile?.profileData.Email, undefined, 'dropFields removed the email before mapping');
    const status = await get(`${stack.server.url}/admin/status`, admin);
    assert.equal(status.status, 200);
  } finally {
    await stack.close();
  }
});

test('pipeline: the split of a function is delivered in the order returned, per-user order is kept, each job settles once', async () => {
  const stack = await startStack({
    config: {
      connections: [{ source: 'web', destination: 'ct', function: example('split-order.js') }],
    },
  });
  try {
    const batch: object[] = [];
    for (let i = 0; i < 20; i++)
      batch.push(
        i % 5 === 0
          ? { type: 'track', userId: `u${i % 3}`, event: 'Order Completed', properties: { order_id: `o${i}`, revenue: 10, seq: i, products: [{ sku: 'a', seq: i }, { sku: 'b', seq: i }] }, messageId: `m${i}` }
          : { type: 'track', userId: `u${i % 3}`, event: 'Played', properties: { seq: i }, messageId: `m${i}` },
      );
    await send(stack, batch);
    const c = await drained(stack);
    assert.deepEqual([c.received, c.delivered, c.dead, c.filtered], [20, 20, 0, 0], 'a split job counts once, as delivered');
    const events = stack.emulator.events('acc') as any[];
    assert.equal(events.filter((e) => e.evtName === 'Product Purchased').length, 8);
    const seqs = new Map<string, number[]>();
    for (const e of events) seqs.set(e.identity, [...(seqs.get(e.identity) ?? []), e.evtData.seq]);
    for (const [u, s] of seqs) assert.deepEqual(s, [...s].sort((a, b) => a - b), `order for ${u}`);
    const order = events.filter((e) => e.evtData.seq === 0).map((e) => [e.evtName, e.evtData.sku ?? null]);
    assert.deepEqual(order, [['Charged', null], ['Product Purchased', 'a'], ['Product Purchased', 'b']], 'parts in the order returned');
  } finally {
    await stack.close();
  }
});

test('pipeline: a throwing or runaway function dead-letters its event with the error; the failures list shows type, event and reason', async () => {
  const stack = await startStack({
    config: {
      connections: [{ source: 'web', destination: 'ct', function: fn('runaway.js'), functionTimeout: '100ms' }],
    },
  });
  try {
    await send(stack, [
      { type: 'track', userId: 'u1', event: 'A', messageId: 'a' },
      { type: 'track', userId: 'u1', event: 'Loop', messageId: 'loop' },
      { type: 'track', userId: 'u2', event: 'B', messageId: 'b' },
    ]);
    const c = await drained(stack);
    assert.deepEqual([c.delivered, c.dead], [2, 1]);
    const list = await get(`${stack.server.url}/admin/failures`, admin);
    assert.equal(list.body.length, 1);
    const f = list.body[0];
    assert.deepEqual([f.messageType, f.event, f.code], ['track', 'Loop', 'function_timeout']);
    assert.match(f.reason, /did not finish within 100 ms/);
  } finally {
    await stack.close();
  }
  const thrower = await startStack({ config: { connections: [{ source: 'web', destination: 'ct', function: fn('throws.js') }] } });
  try {
    await send(thrower, [{ type: 'track', userId: 'u1', event: 'Boom', messageId: 'boom' }, { type: 'track', userId: 'u1', event: 'Fine', messageId: 'fine' }]);
    const c = await drained(thrower);
    assert.deepEqual([c.delivered, c.dead], [1, 1]);
    const [f] = (await get(`${thrower.server.url}/admin/failures`, admin)).body;
    assert.deepEqual([f.messageType, f.event, f.code], ['track', 'Boom', 'function_error']);
    assert.match(f.reason, /^function threw: boom: cannot read this event/);
  } finally {
    await thrower.close();
  }
});

test('pipeline: null from the function counts as filtered by rule function', async () => {
  const stack = await startStack({ config: { connections: [{ source: 'web', destination: 'ct', function: example('drop-test-traffic.js') }] } });
  try {
    await send(stack, [
      { type: 'track', userId: 'u1', event: 'A', context: { traits: { email: 'q@test.example.com' } }, messageId: 't' },
      { type: 'track', userId: 'u1', event: 'A', messageId: 'r' },
    ]);
    const c = await drained(stack);
    assert.deepEqual([c.delivered, c.filtered], [1, 1]);
    assert.deepEqual(await byRule(stack), { function: 1 });
  } finally {
    await stack.close();
  }
});

test('pipeline: a function that cannot be loaded stops the start with its error', async () => {
  const t = tmpDir();
  try {
    const config = parseConfig({
      server: { port: 0 },
      storage: { sqlite: join(t.dir, 'store.sqlite'), synchronous: 'NORMAL' },
      sources: [{ id: 'web', type: 'segment', writeKey: WRITE_KEY }],
      destinations: [{ id: 'hook', type: 'webhook', settings: { url: 'http://127.0.0.1:9/x' } }],
      connections: [{ source: 'web', destination: 'hook', function: fn('syntax-error.js') }],
    });
    await assert.rejects(startServer(config, { logger: createLogger('silent') }), /syntax-error\.js cannot be loaded/);
  } finally {
    t.cleanup();
  }
});
