// SqliteStore's settle: settles made in the same turn of the event loop are written in one transaction, and each
// still succeeds or fails on its own.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { Settlement } from '../../src/store/types.js';
import { LANES } from '../../src/store/lanes.js';
import { tmpDir } from '../tmp.js';
import { msg, reconciled, usersInDistinctLanes } from './contract.js';

const ALL = Array.from({ length: LANES }, (_, i) => i);
const t = tmpDir();
after(() => t.cleanup());

test('settles of one turn: written together, each resolved once committed; a failing one fails alone', async () => {
  const s = new SqliteStore(join(t.dir, 'settle.sqlite'), { owner: true });
  try {
    const [u1, u2, u3] = usersInDistinctLanes(3);
    await s.append('src', [msg('1', u1), msg('2', u2), msg('3', u3)]);
    const jobs = await s.claim('d1', ALL, 10, 2000);
    const id = (ev: string) => jobs.find((j) => j.message.event === ev)!.id;
    // next_at is NOT NULL: this settlement makes its statement fail (a stand-in for any error of one request's settle).
    const bad = { jobId: id('2'), status: 'retry_at', nextAt: null, reason: 'x' } as unknown as Settlement;
    const results = await Promise.allSettled([
      s.settle('d1', [{ jobId: id('1'), status: 'done' }], 3000),
      s.settle('d1', [bad], 3000),
      s.settle('d1', [{ jobId: id('3'), status: 'dead', code: 'c', reason: 'r' }], 3000),
    ]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    const c = (await reconciled(s)).get('src>d1')!;
    assert.deepEqual([c.delivered, c.dead, c.pending], [1, 1, 1], 'the others are recorded; the failed one is left pending');
    assert.equal((await s.failures({})).length, 1);
    assert.deepEqual((await s.claim('d1', ALL, 10, 4000)).map((j) => j.message.event), ['2'], 'the failed one is claimed again');
  } finally {
    await s.close();
  }
});

test('close() writes the settles gathered for the next turn before it closes the file', async () => {
  const file = join(t.dir, 'settle-close.sqlite');
  const s = new SqliteStore(file, { owner: true });
  await s.append('src', [msg('1', 'u1')]);
  const [job] = await s.claim('d1', ALL, 10, 2000);
  const settled = s.settle('d1', [{ jobId: job.id, status: 'done' }], 3000);
  await s.close(); // in the same turn as the settle
  await settled;
  const again = new SqliteStore(file, { owner: true });
  try {
    assert.equal((await reconciled(again)).get('src>d1')!.delivered, 1);
    assert.deepEqual(await again.claim('d1', ALL, 10, 4000), [], 'not delivered again after the restart');
  } finally {
    await again.close();
  }
});
