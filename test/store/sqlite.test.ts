import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import type { StoredMessage } from '../../src/store/types.js';
import { LANES, laneOf } from '../../src/store/lanes.js';

const ALL = Array.from({ length: LANES }, (_, i) => i);
import { tmpDir } from '../tmp.js';

const t = tmpDir();
after(() => t.cleanup());
let n = 0;
function open() {
  return new SqliteStore(join(t.dir, `s${n++}.sqlite`), { owner: true });
}
function msg(id: string, user: string, dests = ['d1']): StoredMessage {
  return { messageId: id, userKey: user, receivedAt: 1000, payload: JSON.stringify({ type: 'track', event: id, userId: user, messageId: id }), destinations: dests };
}

describe('sqlite store', () => {
  test('append is durable when the promise resolves and dedupes (source, messageId)', async () => {
    const s = open();
    const r = await s.append('src', [msg('a', 'u1'), msg('b', 'u1'), msg('a', 'u1')]);
    assert.equal(r.accepted, 2);
    assert.deepEqual(r.duplicates, [2]);
    const r2 = await s.append('src', [msg('b', 'u2')]);
    assert.deepEqual(r2.duplicates, [0]);
    const r3 = await s.append('other', [msg('b', 'u2')]);
    assert.equal(r3.accepted, 1, 'dedupe is per source');
    // a second handle on the same file sees the committed rows
    const file = (s.db as unknown as { name: string }).name;
    const reader = new SqliteStore(file);
    assert.equal((await reader.counts()).find((c) => c.sourceId === 'src')!.pending, 2);
    await reader.close();
    await s.close();
  });

  test('claim returns each user\'s jobs in order, only from the lanes asked for', async () => {
    const s = open();
    await s.append('src', [msg('1', 'u1'), msg('2', 'u2'), msg('3', 'u1'), msg('4', 'u3'), msg('5', 'u1')]);
    const all = await s.claim('d1', ALL, 10, 2000);
    assert.equal(all.length, 5);
    assert.deepEqual(all.filter((j) => j.userKey === 'u1').map((j) => j.message.event), ['1', '3', '5']);
    const others = ALL.filter((l) => l !== laneOf('u1'));
    const some = await s.claim('d1', others, 10, 2000);
    assert.ok(some.every((j) => j.userKey !== 'u1'), 'a lane not asked for is not touched (its request may be in flight)');
    const lane = await s.claim('d1', [laneOf('u1')], 10, 2000);
    assert.ok(lane.every((j) => laneOf(j.userKey) === laneOf('u1')));
    assert.deepEqual(lane.filter((j) => j.userKey === 'u1').map((j) => j.message.event), ['1', '3', '5']);
    await s.close();
  });

  test('a retrying job holds back only its own user', async () => {
    const s = open();
    await s.append('src', [msg('1', 'u1'), msg('2', 'u2'), msg('3', 'u1'), msg('4', 'u2')]);
    const jobs = await s.claim('d1', ALL, 10, 2000);
    const first = (u: string) => jobs.find((j) => j.userKey === u)!;
    await s.settle('d1', [
      { jobId: first('u1').id, status: 'retry_at', nextAt: 5000, reason: 'x' },
      { jobId: first('u2').id, status: 'done' },
    ], 2000);
    assert.deepEqual((await s.claim('d1', ALL, 10, 2000)).map((j) => j.message.event), ['4'], 'u1 waits for its retry, u2 goes on');
    const due = (await s.claim('d1', ALL, 10, 5000)).filter((j) => j.userKey === 'u1');
    assert.deepEqual(due.map((j) => [j.message.event, j.attempts]), [['1', 1], ['3', 0]], 'after the delay the retry goes first');
    await s.close();
  });

  test('counts reconcile through done, dead, filtered, release and replay', async () => {
    const s = open();
    await s.append('src', [msg('1', 'a'), msg('2', 'b'), msg('3', 'c'), msg('4', 'd')]);
    await s.append('src', [{ ...msg('5', 'e', []), filtered: [{ destination: 'd1', reason: 'loop_guard' }] }]);
    const jobs = await s.claim('d1', ALL, 10, 1);
    await s.settle('d1', [
      { jobId: jobs[0].id, status: 'done' },
      { jobId: jobs[1].id, status: 'dead', code: '515', reason: 'Email is not valid' },
      { jobId: jobs[2].id, status: 'filtered', reason: 'suppressed' },
      { jobId: jobs[3].id, status: 'release' },
    ], 2);
    let c = (await s.counts())[0];
    assert.deepEqual([c.received, c.delivered, c.dead, c.filtered, c.pending], [5, 1, 1, 2, 1]);
    const dl = await s.failures({ destination: 'd1', code: '515' });
    assert.equal(dl.length, 1);
    assert.equal(dl[0].messageId, '2');
    assert.equal((await s.failure(dl[0].id))?.reason, 'Email is not valid');
    assert.deepEqual(((await s.failure(dl[0].id))?.message as { event: string }).event, '2');
    assert.equal((await s.failures({ code: 'other' })).length, 0);
    assert.equal((await s.failures({ from: 3 })).length, 0, 'time range filters');
    assert.equal((await s.replay({ destination: 'd1' })), 1);
    c = (await s.counts())[0];
    assert.deepEqual([c.received, c.delivered, c.dead, c.filtered, c.pending], [5, 1, 0, 2, 2]);
    assert.equal(c.received, c.delivered + c.dead + c.filtered + c.pending);
    await s.close();
  });

  test('jobs left in flight by a crashed owner are claimable again after reopening', async () => {
    const file = join(t.dir, 'crash.sqlite');
    const s = new SqliteStore(file, { owner: true });
    await s.append('src', [msg('1', 'u1')]);
    assert.equal((await s.claim('d1', ALL, 10, 1)).length, 1);
    s.db.close(); // no settle: as if the process died
    const again = new SqliteStore(file, { owner: true });
    assert.equal((await again.claim('d1', ALL, 10, 1)).length, 1);
    await again.close();
  });

  test('suppressions persist; request ids dedupe', async () => {
    const file = join(t.dir, 'sup.sqlite');
    const s = new SqliteStore(file, { owner: true });
    await s.suppress(['u9'], 1);
    assert.equal((await s.seenRequest('src', 'r1')), false);
    await s.rememberRequests('src', ['r1'], 1);
    assert.equal((await s.seenRequest('src', 'r1')), true);
    await s.close();
    const again = new SqliteStore(file, { owner: true });
    assert.ok((await again.suppressed()).has('u9'));
    await again.close();
  });

  test('one delivering process per store file', async () => {
    const file = join(t.dir, 'lock.sqlite');
    const a = new SqliteStore(file, { owner: true });
    // Another live process holds the lock: simulate with this test runner's parent PID.
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${file}.lock`, String(process.ppid));
    assert.throws(() => new SqliteStore(file, { owner: true }), /in use by process/);
    writeFileSync(`${file}.lock`, '999999999'); // a dead process: taken over
    const b = new SqliteStore(file, { owner: true });
    await b.close();
    await a.close();
  });

  test('claim honours the byte budget but always takes one job', async () => {
    const s = open();
    const big = (id: string, user: string) => ({ ...msg(id, user), payload: JSON.stringify({ type: 'track', event: id, userId: user, messageId: id, pad: 'x'.repeat(1000) }) });
    await s.append('src', [big('1', 'a'), big('2', 'b'), big('3', 'c')]);
    assert.equal((await s.claim('d1', ALL, 10, 1, 100)).length, 1);
    await s.close();
  });
});
