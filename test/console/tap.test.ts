// The live tap's bounds: nothing is kept without a listener; with one, a flood is shown in part and counted;
// in a cluster, what it publishes and takes in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pack } from '../../src/console/cluster-tap.js';
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

test('tap in a cluster: publishes only while another node watches; takes in other nodes\' entries, outcomes before or after their message', async () => {
  const tap = new LiveTap();
  const published: TapItem[][] = [];
  const watching: number[] = [];
  tap.publishTo({ publish: (items) => published.push(items), watching: (n) => watching.push(n) });
  tap.received('web', [msg(1)], []);
  assert.equal(tap.active, false, 'nobody watches: nothing is tapped');
  tap.setRemoteWatch(true);
  tap.received('web', [msg(2)], []);
  tap.settled('ct', [{ jobId: 7, status: 'done' }], [{ id: 7, message: { messageId: 'elsewhere' } }]);
  await waitFor(() => published.length === 1);
  assert.deepEqual(published[0].map((x) => (x.kind === 'skipped' ? x.kind : `${x.kind}:${x.messageId}`)), ['message:m2', 'outcome:elsewhere'], 'every outcome: another node may show it');
  tap.setRemoteWatch(false);

  const seen: TapItem[] = [];
  const off = tap.subscribe((items) => seen.push(...items));
  assert.deepEqual(watching, [1]);
  const remoteEvent = { kind: 'message' as const, seq: 0, sourceId: 'web', messageId: 'r1', type: 'track', event: 'On B', userId: 'u', receivedAt: 1, destinations: ['ct'] };
  // The outcome can come first (another node settled it before the receiving node published the message).
  tap.remote([{ kind: 'outcome', seq: 0, messageId: 'r1', destinationId: 'ct', status: 'done', at: 2 }]);
  tap.remote([remoteEvent, { kind: 'skipped', count: 3 }]);
  await waitFor(() => seen.some((x) => x.kind === 'outcome' && x.messageId === 'r1'));
  assert.ok(seen.some((x) => x.kind === 'message' && x.messageId === 'r1'));
  assert.ok(seen.some((x) => x.kind === 'skipped' && x.count === 3), 'skips on other nodes are told');
  const found = tap.lookup('r1');
  assert.equal(found?.message, undefined, 'no payload: the console reads the store');
  assert.equal(found?.outcomes[0].status, 'done');
  // A flood from other nodes is bounded like one's own.
  seen.length = 0;
  tap.remote(Array.from({ length: 5000 }, (_, i) => ({ ...remoteEvent, messageId: `f${i}` })));
  await waitFor(() => seen.some((x) => x.kind === 'skipped'));
  assert.equal(seen.filter((x) => x.kind === 'message').length, 100);
  off();
  assert.deepEqual(watching, [1, 0]);
  tap.close();
});

test('cluster tap: entries packed into notifications under 8000 bytes, long free text cut', () => {
  const items: TapItem[] = Array.from({ length: 300 }, (_, i) => ({ kind: 'message', seq: i, sourceId: 'web', messageId: `m${i}`, type: 'track', event: 'é'.repeat(i === 5 ? 5000 : 20), userId: 'u', receivedAt: i, destinations: ['ct'] }));
  const payloads = pack('node-1', items);
  assert.ok(payloads.length > 1);
  const back = payloads.flatMap((p) => {
    assert.ok(Buffer.byteLength(p) < 8000, `payload of ${Buffer.byteLength(p)} bytes`);
    const env = JSON.parse(p);
    assert.equal(env.n, 'node-1');
    return env.i;
  });
  assert.deepEqual(back.map((x: { messageId: string }) => x.messageId), items.map((x) => (x as { messageId: string }).messageId), 'all, in order');
  assert.ok(back[5].event.length < 300, 'the long event name is cut');
});
