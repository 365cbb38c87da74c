// What only the SQLite backend has: one owner per file, reopening a file a crashed owner left, the
// read-only handle the CLI uses, and close() committing appends still queued.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { LANES } from '../../src/store/lanes.js';
import { tmpDir } from '../tmp.js';
import { msg } from './contract.js';

const ALL = Array.from({ length: LANES }, (_, i) => i);
const t = tmpDir();
after(() => t.cleanup());

describe('sqlite store file', () => {
  test('jobs left in flight by a crashed owner are claimable again after reopening', async () => {
    const file = join(t.dir, 'crash.sqlite');
    const s = new SqliteStore(file, { owner: true });
    await s.append('src', [msg('1', 'u1')]);
    assert.equal((await s.claim('d1', ALL, 10, 1)).length, 1);
    s.db.close(); // no settle: as if the process died
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
    // Another live process holds the lock: simulate with this test runner's parent PID.
    writeFileSync(`${file}.lock`, String(process.ppid));
    assert.throws(() => new SqliteStore(file, { owner: true }), /in use by process/);
    writeFileSync(`${file}.lock`, '999999999'); // a dead process: taken over
    const b = new SqliteStore(file, { owner: true });
    await b.close();
    await a.close();
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
