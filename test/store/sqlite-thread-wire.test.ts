// append's messages cross to the store thread as columns (thread-wire.ts): after a structured clone, as the
// thread's port gives them, they are the messages given, absent fields still absent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromColumns, toColumns } from '../../src/store/sqlite/thread-wire.js';
import type { StoredMessage } from '../../src/store/types.js';

test('toColumns / fromColumns through a structured clone: the same messages', () => {
  const shared = ['ct', 'wh'];
  const msgs: StoredMessage[] = [
    { messageId: 'm1', userKey: 'u1', receivedAt: 1, payload: '{"a":"ünï 🙂"}', destinations: shared },
    { messageId: 'm2', userKey: 'u2', anonymousId: 'a2', receivedAt: 2, payload: '{}', destinations: shared, filtered: [{ destination: 'x', reason: 'loop_guard' }] },
    { messageId: 'm3', userKey: 'u3', receivedAt: 3, payload: '{"b":1}', destinations: [] },
  ];
  assert.deepStrictEqual(fromColumns(structuredClone(toColumns(msgs))), msgs);
  assert.deepStrictEqual(fromColumns(structuredClone(toColumns([]))), []);
});

test('toColumns: numbers in typed arrays, no filtered column when no message has one, a shared destinations list crosses once', () => {
  const shared = ['ct'];
  const msgs: StoredMessage[] = [
    { messageId: 'm1', userKey: 'u1', receivedAt: 1_796_000_000_123, payload: '{}', destinations: shared },
    { messageId: 'm2', userKey: 'u2', receivedAt: 2.5, payload: '{}', destinations: shared },
  ];
  const c = toColumns(msgs);
  assert.ok(c.receivedAt instanceof Float64Array);
  assert.equal(c.filtered, undefined);
  const back = fromColumns(structuredClone(c));
  assert.deepStrictEqual(back, msgs);
  assert.equal(back[0].destinations, back[1].destinations);
});
