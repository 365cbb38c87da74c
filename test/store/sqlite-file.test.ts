// What only the SQLite backend has: one owner per file, reopening a file a crashed owner left, the
// read-only handle the CLI uses, and close() committing appends still queued.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { INDEXED_MESSAGES_SQL, RUN_BEFORE_SQL, TAIL_MESSAGES_SQL, userHash } from '../../src/store/sqlite/users.js';
import { LANES } from '../../src/store/lanes.js';
import { tmpDir, waitFor } from '../tmp.js';
import { msg } from './contract.js';

const OWNER = ['--import', 'tsx', 'test/store/owner-process.ts'];
const ALL = Array.from({ length: LANES }, (_, i) => i);
const t = tmpDir();
after(() => t.cleanup());

describe('sqlite store file', () => {
  test('the user lookup reads by user_lookup, the tail by rowid, job and dead-letter rows by message, never a whole table', async () => {
    const s = new SqliteStore(join(t.dir, 'plan.sqlite'), { owner: true });
    try {
      const plan = (sql: string, ...args: unknown[]) => (s.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...args) as { detail: string }[]).map((r) => r.detail).join('; ');
      // The hash is stored with each message: it must never change (cyrb53's published value for '').
      assert.deepEqual([userHash(''), userHash('u1')], [3338908027751811, 2651776275471953]);
      const run = { run: 3, before: 9, limit: 1, hash: userHash('u'), key: 'u' };
      assert.match(plan(INDEXED_MESSAGES_SQL, run), /SEARCH u USING PRIMARY KEY \(run=\? AND hash=\? AND msg_id<\?\).*SEARCH m USING INTEGER PRIMARY KEY/);
      assert.doesNotMatch(plan(INDEXED_MESSAGES_SQL, run), /SCAN|TEMP B-TREE/);
      assert.match(plan(RUN_BEFORE_SQL, 9), /SEARCH user_lookup USING PRIMARY KEY \(run<\?\)/);
      assert.match(plan(TAIL_MESSAGES_SQL, { before: 9, limit: 1, hash: userHash('u'), key: 'u', upto: 5 }), /SEARCH m USING INTEGER PRIMARY KEY \(rowid>\? AND rowid<\?\)/);
      assert.doesNotMatch(plan(TAIL_MESSAGES_SQL, { before: 9, limit: 1, hash: userHash('u'), key: 'u', upto: 5 }), /SCAN|TEMP B-TREE/);
      assert.match(plan('SELECT * FROM jobs WHERE msg_id IN (SELECT value FROM json_each(?))', '[1]'), /jobs USING (COVERING )?INDEX jobs_msg/);
      assert.match(plan('SELECT * FROM dead_letters WHERE msg_id IN (SELECT value FROM json_each(?))', '[1]'), /dead_letters USING INDEX dead_msg/);
    } finally {
      await s.close();
    }
  });

  test('a file of the version that indexed user keys gets their hashes and loses that index when opened', async () => {
    const file = join(t.dir, 'user-index.sqlite');
    const s = new SqliteStore(file, { owner: true });
    await s.append('src', [msg('a', 'u1'), msg('b', 'u2'), msg('c', 'u1')]);
    // As the earlier version left it: no user_hash column, user_key indexed itself.
    s.db.exec(`DROP TABLE user_lookup; DROP TABLE index_state; ALTER TABLE messages DROP COLUMN user_hash;
      CREATE INDEX messages_user ON messages (user_key, id) WHERE user_key IS NOT NULL`);
    await s.close();
    const again = new SqliteStore(file, { owner: true });
    try {
      assert.deepEqual((await again.userMessages('u1')).messages.map((m) => m.messageId), ['c', 'a']);
      const indexes = again.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'").pluck().all();
      assert.deepEqual(indexes, [], 'the user lookup has a table of its own (indexer.ts)');
    } finally {
      await again.close();
    }
  });

  test('jobs left in flight by a crashed owner are claimable again after reopening', async () => {
    const file = join(t.dir, 'crash.sqlite');
    // The owner appends, claims and is killed (SIGKILL) before it settles.
    const crashed = spawnSync(process.execPath, [...OWNER, file, 'crash'], { encoding: 'utf8' });
    assert.equal(crashed.signal, 'SIGKILL', crashed.stdout + crashed.stderr);
    const again = new SqliteStore(file, { owner: true });
    assert.equal((await again.claim('d1', ALL, 10, 1)).length, 1);
    assert.equal(await again.pendingTotal(), 1);
    await again.close();
  });

  test('suppressions persist across a restart', async () => {
    const file = join(t.dir, 'sup.sqlite');
    const s = new SqliteStore(file, { owner: true });
    await s.suppress(['u9'], 1);
    await s.close();
    const again = new SqliteStore(file, { owner: true });
    assert.ok((await again.suppressed()).has('u9'));
    await again.close();
  });

  test('one delivering process per store file', async () => {
    const file = join(t.dir, 'lock.sqlite');
    const a = new SqliteStore(file, { owner: true });
    assert.throws(() => new SqliteStore(file, { owner: true }), new RegExp(`in use by process ${process.pid}`), 'a second owner in the same process');
    assert.match(spawnSync(process.execPath, [...OWNER, file, 'open'], { encoding: 'utf8' }).stdout, new RegExp(`in use by process ${process.pid}`), 'another process');
    await a.close();
    writeFileSync(`${file}.lock`, String(process.ppid)); // a PID file left behind names a live process: no lock is held
    const b = new SqliteStore(file, { owner: true });
    await b.close();
  });

  // A holder that dies before it is ready fails the test at once; the timeout turns any other stall into a failure.
  test('the owner lock dies with its process, also while that process is an unreaped zombie', { timeout: 120_000 }, async (ctx) => {
    const file = join(t.dir, 'zombie.sqlite');
    const holder = spawn(process.execPath, [...OWNER, file, 'hold'], { stdio: ['ignore', 'pipe', 'inherit'] });
    ctx.after(() => holder.kill('SIGKILL'));
    await new Promise<void>((resolve, reject) => {
      holder.stdout.on('data', (d) => /ready/.test(String(d)) && resolve());
      holder.once('exit', (code, signal) => reject(new Error(`the lock holder exited before it was ready (${code ?? signal})`)));
    });
    // A store opened here by mistake is closed again, so that a failure fails the test instead of hanging the file.
    assert.throws(() => void new SqliteStore(file, { owner: true }).close(), new RegExp(`in use by process ${holder.pid}`), 'held by a live process');
    holder.kill('SIGKILL');
    // No await from here on: this process has not reaped the killed one, which stays a zombie meanwhile.
    const b = new SqliteStore(file, { owner: true });
    const state = /\) (\S)/.exec(readFileSync(`/proc/${holder.pid}/stat`, 'utf8'))?.[1];
    assert.equal(state, 'Z', 'the killed owner was still a zombie when the store was opened again');
    await b.close();
  });

  /** A store whose WAL a large append grew, and a watch over the file: sample() notes any cut since the last sample
   *  and returns the file's size; assertSteps() checks that no cut took more than a step off. */
  async function grownWal(name: string, limit: number) {
    const file = join(t.dir, name);
    const step = 2 * limit; // SHRINK_STEPS × walLimitBytes (checkpointer.ts)
    const s = new SqliteStore(file, { owner: true, walLimitBytes: limit });
    const walSize = () => statSync(`${file}-wal`).size;
    try {
      const pad = 'x'.repeat(2000);
      await s.append('src', Array.from({ length: 2000 }, (_, k) => msg(`m${k}`, `u${k}`, ['d1'], 1, pad)));
    } catch (err) {
      await s.close();
      throw err;
    }
    const grown = walSize();
    let last = grown;
    const cuts: number[] = [];
    return {
      s,
      grown,
      cuts,
      sample(): number {
        const now = walSize();
        if (now < last) cuts.push(last - now);
        return (last = now);
      },
      assertSteps(): void {
        for (const c of cuts) assert.ok(c <= step, `a cut of ${c} bytes is at most a step (${step}); cuts: ${cuts.join(', ')}`);
      },
    };
  }

  test('an idle WAL gives its space back once checkpointed, a step at a time', { timeout: 60_000 }, async () => {
    const limit = 1024 * 1024;
    const w = await grownWal('wal.sqlite', limit);
    try {
      assert.ok(w.grown > 4 * limit, 'the WAL grew with a large append');
      // Nothing writes from here on. A writer coming back waits for the cut in progress (it holds the write lock),
      // so no cut may be larger than a step (before: TRUNCATE cut the whole file at once).
      await waitFor(() => w.sample() <= limit, 40_000, 'the WAL cut to its limit');
      w.assertSteps();
    } finally {
      await w.s.close();
    }
  });

  test('once the load eases, the WAL file is cut a step at a time, not at once', { timeout: 60_000 }, async () => {
    const limit = 256 * 1024;
    const w = await grownWal('eased.sqlite', limit);
    try {
      assert.ok(w.grown > 16 * limit, `the WAL grew with a large append (${w.grown} bytes)`);
      // A light load: a small append every 20 ms, so the WAL is never idle (the checkpoint thread would cut it
      // itself) and every checkpoint completes. Each start-over may cut the file; cutting it frees its blocks
      // inside the writer's commit, so no cut may be larger than a step (before: the first cut went to the limit
      // at once). Three cuts take 3-5 s (one per checkpoint, once a second).
      let last = w.grown;
      let n = 0;
      const until = Date.now() + 40_000;
      while (w.cuts.length < 3 && Date.now() < until) {
        await w.s.append('src', [msg(`l${n++}`, 'u1')]);
        await new Promise((r) => setTimeout(r, 20));
        last = w.sample();
      }
      assert.equal(w.cuts.length, 3, `the WAL was cut three times (${w.grown} -> ${last} bytes)`);
      w.assertSteps();
    } finally {
      await w.s.close();
    }
  });

  test('under appends that never pause, the WAL is started over again and again instead of growing by every commit', async () => {
    const file = join(t.dir, 'steady.sqlite');
    const limit = 64 * 1024;
    const s = new SqliteStore(file, { owner: true, walLimitBytes: limit });
    // The WAL header's checkpoint sequence number (offset 12, big-endian) goes up each time the WAL is started over
    // (https://www.sqlite.org/fileformat.html#the_write_ahead_log).
    const sequence = () => {
      const fd = openSync(`${file}-wal`, 'r');
      try {
        const h = Buffer.alloc(32);
        return readSync(fd, h, 0, 32, 0) === 32 ? h.readUInt32BE(12) : 0;
      } finally {
        closeSync(fd);
      }
    };
    const pad = 'x'.repeat(500);
    let n = 0;
    let stop = false;
    // Appends always queued, so that commits follow each other with no lull for the checkpoint thread: before,
    // every pass it made found more frames than it had copied, and the WAL was never started over.
    const writers = Array.from({ length: 4 }, async () => {
      while (!stop) await s.append('src', Array.from({ length: 50 }, () => msg(`s${n++}`, `u${n % 97}`, ['d1'], 1, pad)));
    });
    try {
      const first = sequence();
      await waitFor(() => sequence() >= first + 2, 30_000, 'the WAL to be started over twice while appends went on');
    } finally {
      stop = true;
      await Promise.allSettled(writers);
      await s.close();
    }
  });

  test('a read-only handle (the CLI) reads counts and failures while the owner runs', async () => {
    const file = join(t.dir, 'ro.sqlite');
    const s = new SqliteStore(file, { owner: true });
    await s.append('src', [msg('1', 'u1'), msg('2', 'u2')]);
    const [j] = await s.claim('d1', ALL, 1, 1);
    await s.settle('d1', [{ jobId: j.id, status: 'dead', code: 'c', reason: 'r' }], 2);
    const ro = new SqliteStore(file, { readonly: true });
    const [c] = await ro.counts();
    assert.deepEqual([c.received, c.dead, c.pending], [2, 1, 1]);
    assert.equal((await ro.failures({})).length, 1);
    await ro.close();
    await s.close();
  });

  test('close() commits and syncs appends still queued', async () => {
    const file = join(t.dir, 'close.sqlite');
    const s = new SqliteStore(file, { owner: true });
    const pending = s.append('src', [msg('1', 'u1')]);
    await s.close();
    assert.equal((await pending).accepted, 1);
    const again = new SqliteStore(file, { readonly: true });
    assert.equal((await again.counts())[0]?.pending, 1);
    await again.close();
  });
});
