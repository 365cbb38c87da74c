// The WAL checkpoint thread: it is an optimisation, so its failure must never hold up the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
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

test('under steady writes the WAL is started over past its cap instead of growing without bound', async (ctx) => {
  const t = tmpDir();
  ctx.after(() => t.cleanup());
  const file = join(t.dir, 'store.sqlite');
  const db = new Database(file);
  ctx.after(() => db.close());
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('wal_autocheckpoint = 0'); // as the store: only the checkpointer checkpoints
  db.pragma('journal_size_limit = 1000000');
  db.pragma('busy_timeout = 5000');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  const c = new Checkpointer(file, { walLimitBytes: 1_000_000, walCapBytes: 4_000_000, intervalMs: 20 });
  ctx.after(() => c.close());
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const write = db.transaction(() => {
    for (let k = 0; k < 50; k++) insert.run('x'.repeat(1000));
  });
  // ~40 MB of WAL frames in transactions a millisecond apart, as group commits under load: a checkpoint rarely
  // fits in a gap, so the writer rarely begins with every frame copied and, without the cap, never starts over.
  let peak = 0;
  for (let i = 0; i < 800; i++) {
    write();
    peak = Math.max(peak, statSync(`${file}-wal`).size);
    await new Promise((r) => setTimeout(r, 1));
  }
  const end = statSync(`${file}-wal`).size;
  assert.ok(end < 20_000_000, `the WAL ended at ${(end / 1e6).toFixed(1)} MB (peak ${(peak / 1e6).toFixed(1)} MB)`);
});
