// The WAL checkpoint thread: it is an optimisation, so its failure must never hold up the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Checkpointer } from '../../src/store/sqlite/checkpointer.js';
import { tmpDir, waitFor } from '../tmp.js';

test('close() returns when the checkpoint thread has already exited (it could not open the file)', async (ctx) => {
  const t = tmpDir();
  ctx.after(() => t.cleanup());
  // A directory that does not exist: the thread cannot open the file and exits at once.
  const c = new Checkpointer(join(t.dir, 'missing', 'store.sqlite'), { walLimitBytes: 1 << 20 });
  const worker = (c as unknown as { worker: { threadId: number } }).worker;
  await waitFor(() => worker.threadId === -1, 10_000, 'the thread to exit'); // -1 once the thread has stopped
  await new Promise((r) => setTimeout(r, 100)); // and its exit event has been emitted
  // Before: close() waited for an answer (or an exit event) from a thread that was already gone, forever, and
  // with it the store's close() and the server's shutdown.
  const closed = await Promise.race([c.close().then(() => true), new Promise((r) => setTimeout(() => r(false), 5000))]);
  assert.equal(closed, true);
});
