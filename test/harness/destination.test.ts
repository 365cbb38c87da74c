// The destination test harness itself: it runs any destination type's deliverer against a real upstream.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDestination, type TestDestination } from './destination.js';

const open: TestDestination[] = [];
after(async () => {
  for (const d of open) await d.close();
});

test('webhook: one POST of the batch; every job done; the request as the receiver saw it', async () => {
  const hook = await createTestDestination('webhook', { headers: { authorization: 'Bearer t' } });
  open.push(hook);
  const msgs = [1, 2, 3].map((i) => ({ type: 'track' as const, userId: `u${i}`, event: 'Clicked', properties: { i } }));
  const { outcomes, sent, warnings } = await hook.deliver(msgs);
  assert.deepEqual(outcomes, [1, 2, 3].map((jobId) => ({ jobId, status: 'done' })));
  assert.equal(sent.length, 1);
  assert.equal(sent[0].path, '/hook');
  assert.equal(sent[0].headers.authorization, 'Bearer t');
  assert.deepEqual(sent[0].body.batch.map((m: { userId: string }) => m.userId), ['u1', 'u2', 'u3']);
  assert.deepEqual(warnings, [[], [], []]);
});

test('webhook: a scripted 413 makes the destination split the batch', async () => {
  const hook = await createTestDestination('webhook', {}, { script: [{ status: 413, body: 'too large' }] });
  open.push(hook);
  const { outcomes, sent } = await hook.deliver([1, 2, 3, 4].map((i) => ({ type: 'track' as const, userId: `u${i}`, event: 'x' })));
  assert.deepEqual(sent.map((r) => [r.body.batch.length, r.answer.status]), [[4, 413], [2, 200], [2, 200]]);
  assert.ok(outcomes.every((o) => o.status === 'done'));
});

test('clevertap: requests reach the emulator through the tap, which records the emulator\'s answer', async () => {
  const ct = await createTestDestination('clevertap');
  open.push(ct);
  const { sent } = await ct.deliver([{ type: 'track', userId: 'u1', event: 'Clicked' }]);
  assert.equal(sent[0].path, '/1/upload');
  assert.deepEqual([sent[0].answer.status, sent[0].answer.scripted, sent[0].answer.body.status], [200, false, 'success']);
  assert.equal(ct.emulator!.events('acc').length, 1);
});

test('an unknown destination type is refused', async () => {
  await assert.rejects(createTestDestination('nope'), /no test harness/);
});
