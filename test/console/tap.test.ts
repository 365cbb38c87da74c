// The live tap's bounds: nothing is kept without a listener; with one, a flood is shown in part and counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveTap, type TapItem } from '../../src/console/tap.js';
import { waitFor } from '../helpers.js';

const msg = (i: number) => ({ messageId: `m${i}`, userKey: `u${i % 7}`, receivedAt: i, payload: JSON.stringify({ type: 'track', event: `E${i}`, userId: `u${i % 7}` }), destinations: ['ct'] });

test('tap: without a listener nothing is recorded', () => {
  const tap = new LiveTap();
  tap.received('web', [msg(1)], []);
  assert.equal(tap.lookup('m1'), undefined);
  assert.deepEqual(tap.backlog(), []);
  tap.close();
});

test('tap: a flood is shown in part, the rest counted; memory stays bounded; outcomes follow shown messages', async () => {
  const tap = new LiveTap();
  const seen: TapItem[] = [];
  tap.subscribe((items) => seen.push(...items));
  for (let round = 0; round < 12; round++) {
    tap.received('web', Array.from({ length: 1000 }, (_, i) => msg(round * 1000 + i)), [0]);
    await waitFor(() => seen.some((x) => x.kind === 'skipped'));
    // 999 new messages (index 0 is a duplicate): 100 shown, 899 counted.
    assert.equal(seen.filter((x) => x.kind === 'message').length, 100);
    assert.deepEqual(seen.find((x) => x.kind === 'skipped'), { kind: 'skipped', count: 899 });
    seen.length = 0;
  }
  tap.received('web', [msg(99_999)], []);
  tap.settled('ct', [{ jobId: 1, status: 'done' }, { jobId: 2, status: 'dead', code: 'x', reason: 'y' }], [
    { id: 1, message: { messageId: 'm99999' } },
    { id: 2, message: { messageId: 'never-shown' } },
  ]);
  await waitFor(() => seen.some((x) => x.kind === 'outcome'));
  assert.deepEqual(seen.filter((x) => x.kind === 'outcome').map((x) => (x as { messageId: string }).messageId), ['m99999']);
  assert.equal(tap.lookup('m99999')?.outcomes[0].status, 'done');
  assert.ok(tap.backlog(5000).filter((x) => x.kind === 'message').length <= 1000, 'the ring keeps at most 1000 messages');
  assert.equal(tap.lookup('m0'), undefined, 'old messages are forgotten');
  tap.close();
});
