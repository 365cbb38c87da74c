// Transformation functions on their own thread: results, drops, splits, errors with stacks, runaway functions
// stopped at the limit (the thread restarted and the rest of the batch carried on), load errors at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { FunctionRunner } from '../../src/connections/function-runner.js';
import { ConnectionStage } from '../../src/connections/stage.js';
import type { Message } from '../../src/message/schema.js';

const fn = (name: string) => fileURLToPath(new URL(`./functions/${name}`, import.meta.url));
const example = (name: string) => fileURLToPath(new URL(`../../examples/functions/${name}`, import.meta.url));
const ctx = { sourceId: 'web', destinationId: 'ct', connectionId: 'web → ct' };
const msg = (event: string, i = 0): Message =>
  ({ type: 'track', userId: 'u1', event, messageId: `m${i}`, receivedAt: '2026-01-01T00:00:00.000Z', timestamp: '2026-01-01T00:00:00.000Z', properties: { i } }) as Message;

async function withRunner(file: string, opts: ConstructorParameters<typeof FunctionRunner>[1], body: (r: FunctionRunner) => Promise<void>) {
  const r = new FunctionRunner(file, opts);
  try {
    await r.start();
    await body(r);
  } finally {
    await r.close();
  }
}

test('function: a throwing function fails only its own event, with the error and the stack', () =>
  withRunner(fn('throws.js'), {}, async (r) => {
    const res = await r.run([msg('A', 1), msg('Boom', 2), msg('B', 3)].map((message) => ({ message, ctx })));
    assert.equal(res.length, 3);
    assert.equal(res[0].k, 'messages');
    assert.equal(res[1].k, 'error');
    assert.match((res[1] as { error: string }).error, /boom: cannot read this event/);
    assert.match((res[1] as { stack: string }).stack, /TypeError: boom[\s\S]*throws\.js/);
    assert.deepEqual(res[2], { k: 'messages', messages: [msg('B', 3)] });
    assert.equal(r.restarts, 0, 'a throw does not cost the thread');
  }));

test('function: an endless loop and a promise that never settles are stopped at the limit; the rest carries on', () =>
  withRunner(fn('runaway.js'), { timeoutMs: 100 }, async (r) => {
    const items = [msg('A', 1), msg('Loop', 2), msg('B', 3), msg('Hang', 4), msg('C', 5)].map((message) => ({ message, ctx }));
    const res = await r.run(items);
    assert.deepEqual(res.map((x) => x.k), ['messages', 'error', 'messages', 'error', 'messages']);
    for (const i of [1, 3]) {
      assert.equal((res[i] as { timeout?: boolean }).timeout, true);
      assert.match((res[i] as { error: string }).error, /did not finish within 100 ms/);
    }
    assert.deepEqual(res.map((x) => (x.k === 'messages' ? (x.messages[0] as Message).event : null)), ['A', null, 'B', null, 'C']);
    assert.equal(r.restarts, 2);
    const again = await r.run([{ message: msg('D', 6), ctx }]);
    assert.equal(again[0].k, 'messages', 'the restarted thread serves the next batch');
  }));

test('function: a function that exhausts its memory limit fails its event; the thread is replaced', () =>
  withRunner(fn('runaway.js'), { timeoutMs: 30_000, memoryMb: 32 }, async (r) => {
    const res = await r.run([msg('Hog', 1), msg('A', 2)].map((message) => ({ message, ctx })));
    assert.equal(res[0].k, 'error');
    assert.match((res[0] as { error: string }).error, /memory/i);
    assert.equal(res[1].k, 'messages');
  }));

test('function: batches queue and keep their order; async functions; null drops', async () => {
  await withRunner(example('drop-test-traffic.js'), {}, async (r) => {
    const test = { ...msg('A', 1), context: { traits: { email: 'x@test.example.com' } } } as Message;
    const [a, b] = await Promise.all([r.run([{ message: test, ctx }, { message: msg('B', 2), ctx }]), r.run([{ message: msg('C', 3), ctx }])]);
    assert.deepEqual(a.map((x) => x.k), ['drop', 'messages']);
    assert.equal(((b[0] as { messages: Message[] }).messages[0]).event, 'C');
  });
});

test('function: a TypeScript function is loaded (types stripped) and may be async', () =>
  withRunner(example('enrich.ts'), {}, async (r) => {
    const m = { ...msg('Signed Up'), properties: { plan: 'team' } } as Message;
    const [res] = await r.run([{ message: m, ctx }]);
    assert.equal(res.k, 'messages');
    assert.deepEqual((res as { messages: Message[] }).messages[0].properties, { plan: 'team', tier: 'paid', seats: 25 });
  }));

test('function: a module that cannot be loaded is an error at start, naming the file and the cause', async () => {
  for (const [name, re] of [
    ['syntax-error.js', /syntax-error\.js cannot be loaded: .*(Unexpected|expected)/i],
    ['no-export.js', /no-export\.js cannot be loaded: the module does not export a function named transform/],
  ] as const) {
    const r = new FunctionRunner(fn(name));
    await assert.rejects(r.start(), re);
    await r.close();
  }
});

const stage = (file: string, filter?: Record<string, unknown>) =>
  new ConnectionStage({ source: 'web', destination: 'ct', function: file, filter }, { id: 'ct', type: 'clevertap' });

async function prepared(file: string, messages: Message[], filter?: Record<string, unknown>) {
  const s = stage(file, filter);
  await s.start();
  try {
    return await s.prepare(messages);
  } finally {
    await s.close();
  }
}

test('stage: null is filtered by rule function; a throw and a timeout are dead with code and reason', async () => {
  const [dropped] = await prepared(example('drop-test-traffic.js'), [{ ...msg('A'), context: { traits: { email: 'a@test.example.com' } } } as Message]);
  assert.deepEqual(dropped, { kind: 'filtered', rule: 'function', reason: 'function: returned null' });
  const [, thrown] = await prepared(fn('throws.js'), [msg('A'), msg('Boom')]);
  assert.equal(thrown.kind, 'dead');
  assert.equal((thrown as { code: string }).code, 'function_error');
  assert.match((thrown as { reason: string }).reason, /^function threw: boom: cannot read this event\nTypeError/);
});

test('stage: a split keeps the order returned and gives every part its own id', async () => {
  const order = { ...msg('Order Completed', 7), properties: { order_id: 'o1', products: [{ sku: 'a' }, { sku: 'b' }] } } as Message;
  const [r] = await prepared(example('split-order.js'), [order]);
  assert.equal(r.kind, 'send');
  const parts = (r as { messages: Message[] }).messages;
  assert.deepEqual(parts.map((p) => [p.event, p.messageId, (p.properties as { sku?: string }).sku]), [
    ['Order Completed', 'm7', undefined],
    ['Product Purchased', 'm7-product-0', 'a'],
    ['Product Purchased', 'm7-product-1', 'b'],
  ]);
});

test('stage: the output is validated as a message before the destination maps it', async () => {
  const res = await prepared(fn('invalid.js'), [msg('No Type'), msg('No User'), msg('Not Object'), msg('Fine')]);
  assert.deepEqual(res.map((r) => r.kind), ['dead', 'dead', 'dead', 'send']);
  for (const r of res.slice(0, 3)) assert.equal((r as { code: string }).code, 'function_invalid_output');
  assert.match((res[0] as { reason: string }).reason, /function output 0 is not a valid message: \/type/);
  assert.match((res[1] as { reason: string }).reason, /userId or anonymousId is required/);
  assert.match((res[2] as { reason: string }).reason, /function output 1: not a message object/);
});

test('stage: dropFields run before the function sees the message', async () => {
  const m = { ...msg('A'), context: { ip: '1.2.3.4' }, traits: { email: 'a@b.c' } } as unknown as Message;
  const [r] = await prepared(fn('identity.js'), [m], { dropFields: ['context.ip', 'traits.email'] });
  const out = (r as { messages: Message[] }).messages[0];
  assert.deepEqual([out.context, out.traits], [{}, {}]);
});
