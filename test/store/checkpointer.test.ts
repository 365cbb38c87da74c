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

test('under writes that never pause, the WAL is still started over: it stays bounded instead of growing by every commit', async (ctx) => {
  const t = tmpDir();
  ctx.after(() => t.cleanup());
  const file = join(t.dir, 'steady.sqlite');
  const limit = 64 * 1024;
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('wal_autocheckpoint = 0');
  db.pragma(`journal_size_limit = ${limit}`);
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)');
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  const commit = db.transaction(() => {
    for (let i = 0; i < 20; i++) insert.run('x'.repeat(1000));
  });
  const c = new Checkpointer(file, { walLimitBytes: limit, intervalMs: 20 });
  ctx.after(async () => {
    await c.close();
    db.close();
  });
  // Commits back to back, as a loaded store makes them (the checkpoint thread runs beside this one): before, the WAL
  // grew without end (every checkpoint copied what it found, but the writer had always appended more by then, so it
  // never started the WAL over). Started over, the WAL is cut to the limit.
  const wal = () => statSync(`${file}-wal`).size;
  let grew = false;
  let restarted = false;
  const until = Date.now() + 10_000;
  while (!restarted && Date.now() < until) {
    commit();
    if (wal() > 8 * limit) grew = true;
    else if (grew) restarted = true;
  }
  assert.ok(grew, 'the WAL grew past its cap');
  assert.ok(restarted, 'and was started over while the writes went on');
});
