// The Store contract (src/store/types.ts), written against the interface only so that every backend runs
// the same suite: `storeContract('sqlite', open, secondHandle)` in sqlite.test.ts, and a PostgreSQL store
// the same way. Times are plain numbers: the store never reads the clock for what is tested here.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Job } from '../../src/core/job.js';
import { LANES, laneOf } from '../../src/store/lanes.js';
import type { Counts, Store, StoredMessage } from '../../src/store/types.js';

const ALL = Array.from({ length: LANES }, (_, i) => i);

export function msg(id: string, user: string, dests = ['d1'], receivedAt = 1000, pad = ''): StoredMessage {
  const payload = JSON.stringify({ type: 'track', event: id, userId: user, messageId: id, ...(pad ? { pad } : {}) });
  return { messageId: id, userKey: user, receivedAt, payload, destinations: dests };
}

/** n user keys that fall into n different lanes, so tests can reason about lanes. */
export function usersInDistinctLanes(n: number, prefix = 'u'): string[] {
  const byLane = new Map<number, string>();
  for (let i = 0; byLane.size < n; i++) {
    const u = `${prefix}${i}`;
    if (!byLane.has(laneOf(u))) byLane.set(laneOf(u), u);
  }
  return [...byLane.values()];
}

/**
 * received = delivered + dead + filtered + pending for every connection, and pendingTotal() is the sum of
 * the pending jobs. Returns the counts by `source>destination`.
 */
export async function reconciled(s: Store): Promise<Map<string, Counts>> {
  const counts = await s.counts();
  for (const c of counts) assert.equal(c.received, c.delivered + c.dead + c.filtered + c.pending, `counts reconcile for ${c.sourceId} → ${c.destinationId}: ${JSON.stringify(c)}`);
  assert.equal(await s.pendingTotal(), counts.reduce((a, c) => a + c.pending, 0), 'pendingTotal is the sum of the pending jobs');
  return new Map(counts.map((c) => [`${c.sourceId}>${c.destinationId}`, c]));
}

const tally = (c: Counts | undefined) => (c ? [c.received, c.delivered, c.dead, c.filtered, c.pending] : undefined);
const events = (jobs: Job[]) => jobs.map((j) => j.message.event);

/**
 * @param open a new, empty store
 * @param secondHandle another handle on the same storage as `store`, opened as another process would
 */
export function storeContract(name: string, open: () => Promise<Store>, secondHandle: (store: Store) => Promise<Store>): void {
  /** Runs fn with a fresh store and always closes it. */
  const withStore = (fn: (s: Store) => Promise<void>) => async () => {
    const s = await open();
    try {
      await fn(s);
    } finally {
      await s.close();
    }
  };

  describe(`store contract: ${name}`, () => {
    test('a fresh store is healthy and empty', withStore(async (s) => {
      assert.equal(s.healthy(), true);
      assert.deepEqual(await s.counts(), []);
      assert.deepEqual(await s.sourceCounts(), []);
      assert.equal(await s.pendingTotal(), 0);
      assert.deepEqual(await s.failures({}), []);
      assert.equal((await s.suppressed()).size, 0);
    }));

    test('append is durable when the promise resolves and dedupes (source, messageId)', withStore(async (s) => {
      const r = await s.append('src', [msg('a', 'u1'), msg('b', 'u1'), msg('a', 'u1')]);
      assert.equal(r.accepted, 2);
      assert.deepEqual(r.duplicates, [2], 'a repeat within one call is a duplicate');
      const r2 = await s.append('src', [msg('c', 'u2'), msg('b', 'u2')]);
      assert.deepEqual([r2.accepted, r2.duplicates], [1, [1]], 'a repeat of an earlier call is a duplicate');
      const r3 = await s.append('other', [msg('b', 'u2')]);
      assert.equal(r3.accepted, 1, 'dedupe is per source');
      await reconciled(s);
      // Another handle (another process) sees every resolved append.
      const reader = await secondHandle(s);
      try {
        const c = await reconciled(reader);
        assert.deepEqual(tally(c.get('src>d1')), [3, 0, 0, 0, 3]);
        assert.deepEqual(tally(c.get('other>d1')), [1, 0, 0, 0, 1]);
        const src = (await reader.sourceCounts()).find((x) => x.sourceId === 'src');
        assert.deepEqual([src?.received, src?.duplicates, src?.rejected], [3, 2, 0]);
      } finally {
        await reader.close();
      }
    }));

    test('appends made together each get their own result; a message id is accepted once', withStore(async (s) => {
      const [a, b, c] = await Promise.all([
        s.append('src', [msg('x', 'u1'), msg('y', 'u1')]),
        s.append('src', [msg('x', 'u2')]),
        s.append('src', [msg('z', 'u3')]),
      ]);
      assert.deepEqual([a.accepted, a.duplicates], [2, []]);
      assert.deepEqual([b.accepted, b.duplicates], [0, [0]]);
      assert.deepEqual([c.accepted, c.duplicates], [1, []]);
      assert.equal(await s.pendingTotal(), 3);
    }));

    test('a large append (more rows than one statement writes) keeps every message, its jobs and its order', withStore(async (s) => {
      await s.append('src', [msg('m10', 'u0')]);
      // 150 messages of 3 users, 2 destinations each; m10 was stored before, m70 and m140 repeat within the call.
      const batch = Array.from({ length: 150 }, (_, i) => msg(`m${i}`, `u${i % 3}`, ['d1', 'd2']));
      batch[100] = msg('m70', 'u1', ['d1', 'd2']);
      batch[149] = msg('m140', 'u2', ['d1', 'd2']);
      const r = await s.append('src', batch);
      assert.deepEqual(r.duplicates, [10, 100, 149]);
      assert.equal(r.accepted, 147);
      assert.equal(await s.pendingTotal(), 1 + 147 * 2);
      const jobs = await s.claim('d2', ALL, 1000, 2000);
      assert.equal(jobs.length, 147);
      for (const u of ['u0', 'u1', 'u2']) {
        const mine = events(jobs.filter((j) => j.userKey === u)).map((e) => Number(String(e).slice(1)));
        assert.deepEqual(mine, [...mine].sort((a, b) => a - b), `${u}'s jobs in append order`);
      }
      const page = await s.userMessages('u1', { limit: 500 });
      assert.equal(page.messages.length, 48, "u1's 50 messages of the call less m10 (stored before) and the repeat at 100");
      assert.deepEqual(page.messages.map((m) => m.messageId).slice(0, 2), ['m148', 'm145'], 'newest first');
      await reconciled(s);
    }));

    test('append creates one job per destination and counts loop-guard filtering', withStore(async (s) => {
      await s.append('src', [msg('1', 'u1', ['d1', 'd2']), { ...msg('2', 'u2', ['d2']), filtered: [{ destination: 'd1', reason: 'loop_guard' }] }]);
      const c = await reconciled(s);
      assert.deepEqual(tally(c.get('src>d1')), [2, 0, 0, 1, 1]);
      assert.deepEqual(tally(c.get('src>d2')), [2, 0, 0, 0, 2]);
      assert.equal(await s.pendingTotal(), 3);
      assert.deepEqual(events(await s.claim('d1', ALL, 10, 2000)), ['1'], 'a destination claims only its own jobs');
    }));

    test('claim returns each user\'s jobs in order, only from the lanes asked for, lane by lane', withStore(async (s) => {
      const [u1, u2, u3] = usersInDistinctLanes(3);
      await s.append('src', [msg('1', u1), msg('2', u2), msg('3', u1), msg('4', u3), msg('5', u1)]);
      const all = await s.claim('d1', ALL, 10, 2000);
      assert.equal(all.length, 5);
      assert.deepEqual(events(all.filter((j) => j.userKey === u1)), ['1', '3', '5']);
      const j = all.find((x) => x.message.event === '1')!;
      assert.deepEqual([j.sourceId, j.destinationId, j.userKey, j.attempts, j.receivedAt], ['src', 'd1', u1, 0, 1000]);
      assert.deepEqual(j.message, JSON.parse(msg('1', u1).payload));
      const others = ALL.filter((l) => l !== laneOf(u1));
      const some = await s.claim('d1', others, 10, 2000);
      assert.deepEqual(events(some).sort(), ['2', '4'], 'a lane not asked for is not touched (its request may be in flight)');
      assert.deepEqual(events(await s.claim('d1', [laneOf(u3), laneOf(u1)], 10, 2000)), ['4', '1', '3', '5'], 'lane order, then id order');
      assert.deepEqual(events(await s.claim('d1', [laneOf(u1)], 2, 2000)), ['1', '3'], 'at most max');
      const c = await reconciled(s);
      assert.equal(c.get('src>d1')?.pending, 5, 'claiming changes nothing in the store');
    }));

    test('a claim pages through a lane longer than one read: every job once, in order, at most max', withStore(async (s) => {
      const [u1] = usersInDistinctLanes(1);
      const ids = Array.from({ length: 300 }, (_, i) => String(i));
      await s.append('src', ids.map((id) => msg(id, u1)));
      assert.deepEqual(events(await s.claim('d1', ALL, 150, 2000)), ids.slice(0, 150));
      assert.deepEqual(events(await s.claim('d1', [laneOf(u1)], 1000, 2000)), ids, 'claiming changes nothing in the store');
    }));

    test('a retrying job holds back only its own user', withStore(async (s) => {
      const [u1, u2] = usersInDistinctLanes(2);
      await s.append('src', [msg('1', u1), msg('2', u2), msg('3', u1), msg('4', u2)]);
      const jobs = await s.claim('d1', ALL, 10, 2000);
      const first = (u: string) => jobs.find((j) => j.userKey === u)!;
      await s.settle('d1', [
        { jobId: first(u1).id, status: 'retry_at', nextAt: 5000, reason: 'x' },
        { jobId: first(u2).id, status: 'done' },
      ], 2000);
      await reconciled(s);
      assert.deepEqual(events(await s.claim('d1', ALL, 10, 4999)), ['4'], `${u1} waits for its retry, ${u2} goes on`);
      const due = (await s.claim('d1', ALL, 10, 5000)).filter((j) => j.userKey === u1);
      assert.deepEqual(due.map((j) => [j.message.event, j.attempts]), [['1', 1], ['3', 0]], 'after the delay the retry goes first');
    }));

    test('claim honours the byte budget but always takes one job', withStore(async (s) => {
      const pad = 'x'.repeat(1000);
      const [a, b, c] = usersInDistinctLanes(3);
      const msgs = [msg('1', a, ['d1'], 1000, pad), msg('2', b, ['d1'], 1000, pad), msg('3', c, ['d1'], 1000, pad)];
      await s.append('src', msgs);
      assert.equal((await s.claim('d1', ALL, 10, 2000, 100)).length, 1, 'one job even over the budget');
      const size = msgs[0].payload.length;
      assert.equal((await s.claim('d1', ALL, 10, 2000, Math.floor(2.5 * size))).length, 2);
      assert.equal((await s.claim('d1', ALL, 10, 2000)).length, 3, 'no budget: every job');
    }));

    test('settle: done, dead, filtered, retry_at and release; counts reconcile after every step', withStore(async (s) => {
      const users = usersInDistinctLanes(5);
      await s.append('src', users.map((u, i) => msg(String(i), u)));
      const jobs = await s.claim('d1', ALL, 10, 1500);
      const job = (i: number) => jobs.find((j) => j.message.event === String(i))!;
      const step = async (settlement: Parameters<Store['settle']>[1][number], now: number, expect: number[]) => {
        await s.settle('d1', [settlement], now);
        assert.deepEqual(tally((await reconciled(s)).get('src>d1')), expect, JSON.stringify(settlement));
      };
      await step({ jobId: job(0).id, status: 'done' }, 2000, [5, 1, 0, 0, 4]);
      await step({ jobId: job(1).id, status: 'dead', code: '515', reason: 'Email is not valid' }, 2001, [5, 1, 1, 0, 3]);
      await step({ jobId: job(2).id, status: 'filtered', reason: 'suppressed' }, 2002, [5, 1, 1, 1, 2]);
      await step({ jobId: job(3).id, status: 'retry_at', nextAt: 5000, code: '500', reason: 'try later' }, 2003, [5, 1, 1, 1, 2]);
      await step({ jobId: job(4).id, status: 'release' }, 2004, [5, 1, 1, 1, 2]);
      // A job is never counted twice, and an unknown job changes nothing.
      await step({ jobId: job(0).id, status: 'done' }, 2005, [5, 1, 1, 1, 2]);
      await step({ jobId: job(1).id, status: 'dead', code: 'x', reason: 'again' }, 2006, [5, 1, 1, 1, 2]);
      await step({ jobId: 987_654_321, status: 'done' }, 2007, [5, 1, 1, 1, 2]);

      const dead = await s.failures({});
      assert.equal(dead.length, 1);
      assert.deepEqual(
        [dead[0].jobId, dead[0].sourceId, dead[0].destinationId, dead[0].userKey, dead[0].messageId, dead[0].code, dead[0].reason, dead[0].attempts, dead[0].receivedAt, dead[0].failedAt],
        [job(1).id, 'src', 'd1', users[1], '1', '515', 'Email is not valid', 1, 1000, 2001],
      );
      // release: claimable at once, one attempt counted; retry_at: not before nextAt.
      assert.deepEqual((await s.claim('d1', ALL, 10, 4999)).map((j) => [j.message.event, j.attempts]), [['4', 1]]);
      const later = await s.claim('d1', ALL, 10, 5000);
      assert.deepEqual(later.map((j) => [j.message.event, j.attempts]).sort(), [['3', 1], ['4', 1]]);
      await s.settle('d1', later.map((j) => ({ jobId: j.id, status: 'done' as const })), 5000);
      assert.deepEqual(tally((await reconciled(s)).get('src>d1')), [5, 3, 1, 1, 0]);
    }));

    test('settle counts warnings of done and dead jobs per connection; a dead letter keeps its records and warnings', withStore(async (s) => {
      const users = usersInDistinctLanes(4);
      await s.append('src', users.map((u, i) => msg(String(i), u)));
      const jobs = await s.claim('d1', ALL, 10, 1500);
      const job = (i: number) => jobs.find((j) => j.message.event === String(i))!;
      const w = (code: string) => ({ code, message: `${code} happened`, field: 'Email' });
      const records = [{ type: 'profile', identity: 'u', profileData: { plan: 'pro' } }];
      await s.settle('d1', [
        { jobId: job(0).id, status: 'done', warnings: [w('invalid_email'), w('value_truncated')] },
        { jobId: job(1).id, status: 'dead', code: '512', reason: 'refused', records, warnings: [w('invalid_gender')] },
        { jobId: job(2).id, status: 'dead', code: 'missing_identity', reason: 'no id' },
        { jobId: job(3).id, status: 'done' },
      ], 2000);
      const c = (await reconciled(s)).get('src>d1')!;
      assert.deepEqual([c.delivered, c.dead, c.warnings], [2, 2, 3]);
      assert.deepEqual((await s.warningsByCode()).map((x) => [x.code, x.warnings]), [['invalid_email', 1], ['invalid_gender', 1], ['value_truncated', 1]]);
      const [withRecords, without] = await s.failures({});
      const full = await s.failure(withRecords.id);
      assert.deepEqual(full?.records, records);
      assert.deepEqual(full?.warnings, [w('invalid_gender')]);
      assert.deepEqual(full?.message, JSON.parse(msg('1', users[1]).payload), 'beside the original message');
      const bare = await s.failure(without.id);
      assert.equal(bare?.records, undefined);
      assert.equal(bare?.warnings, undefined);
      // Settling again counts nothing twice.
      await s.settle('d1', [{ jobId: job(0).id, status: 'done', warnings: [w('x')] }], 2001);
      assert.equal((await reconciled(s)).get('src>d1')!.warnings, 3);
    }));

    test('warnings by code per connection add up to its warnings, summed over settles, seen by another handle', withStore(async (s) => {
      const users = usersInDistinctLanes(3, 'w');
      await s.append('src', [msg('a', users[0], ['d1', 'd2']), msg('b', users[1]), msg('c', users[2])]);
      const w = (code: string) => ({ code, message: code });
      const d1 = await s.claim('d1', ALL, 10, 1000);
      const [d2] = await s.claim('d2', ALL, 10, 1000);
      const id = (ev: string) => d1.find((j) => j.message.event === ev)!.id;
      await s.settle('d1', [{ jobId: id('a'), status: 'done', warnings: [w('invalid_email'), w('truncated'), w('truncated')] }], 1000);
      await s.settle('d1', [
        { jobId: id('b'), status: 'dead', code: '512', reason: 'refused', warnings: [w('truncated')] },
        { jobId: id('c'), status: 'done' },
      ], 1001);
      await s.settle('d2', [{ jobId: d2.id, status: 'done', warnings: [w('invalid_email')] }], 1002);
      const expected = [
        { sourceId: 'src', destinationId: 'd1', code: 'invalid_email', warnings: 1 },
        { sourceId: 'src', destinationId: 'd1', code: 'truncated', warnings: 3 },
        { sourceId: 'src', destinationId: 'd2', code: 'invalid_email', warnings: 1 },
      ];
      assert.deepEqual(await s.warningsByCode(), expected);
      const c = await reconciled(s);
      assert.equal(c.get('src>d1')!.warnings, 4);
      assert.equal(c.get('src>d2')!.warnings, 1);
      const reader = await secondHandle(s);
      try {
        assert.deepEqual(await reader.warningsByCode(), expected);
      } finally {
        await reader.close();
      }
    }));

    test('filtered counts by rule: routing-time reasons and settled rules add up to filtered', withStore(async (s) => {
      const users = usersInDistinctLanes(4);
      await s.append('src', [
        { ...msg('a', users[0], ['d2']), filtered: [{ destination: 'd1', reason: 'loop_guard' }] },
        { ...msg('b', users[1], []), filtered: [{ destination: 'd1', reason: 'where' }, { destination: 'd2', reason: 'types' }] },
        msg('c', users[2], ['d1']),
        msg('d', users[3], ['d1']),
      ]);
      const jobs = await s.claim('d1', ALL, 10, 2000);
      await s.settle('d1', jobs.map((j) => (j.message.event === 'c' ? { jobId: j.id, status: 'filtered' as const, rule: 'function', reason: 'function: returned null' } : { jobId: j.id, status: 'filtered' as const, reason: 'anonymous' })), 2001);
      await s.settle('d1', jobs.map((j) => ({ jobId: j.id, status: 'filtered' as const, rule: 'again', reason: 'settled twice' })), 2002);
      const rules = (await s.filteredByRule()).map((r) => [r.sourceId, r.destinationId, r.rule, r.filtered]);
      assert.deepEqual(rules, [
        ['src', 'd1', 'destination', 1],
        ['src', 'd1', 'function', 1],
        ['src', 'd1', 'loop_guard', 1],
        ['src', 'd1', 'where', 1],
        ['src', 'd2', 'types', 1],
      ]);
      const c = await reconciled(s);
      assert.equal(c.get('src>d1')?.filtered, 4);
      assert.equal(c.get('src>d2')?.filtered, 1);
    }));

    test('failures list the message type and event name', withStore(async (s) => {
      await s.append('src', [msg('Order Completed', 'u1')]);
      const [j] = await s.claim('d1', ALL, 10, 2000);
      await s.settle('d1', [{ jobId: j.id, status: 'dead', code: 'function_error', reason: 'function threw: x' }], 2001);
      const [f] = await s.failures({});
      assert.deepEqual([f.messageType, f.event, f.reason], ['track', 'Order Completed', 'function threw: x']);
    }));

    test('a forgotten claim stays pending and can be claimed and settled again', withStore(async (s) => {
      await s.append('src', [msg('1', 'u1')]);
      const [j] = await s.claim('d1', ALL, 10, 2000);
      s.forget(j.id);
      assert.equal((await reconciled(s)).get('src>d1')?.pending, 1);
      const [again] = await s.claim('d1', ALL, 10, 2000);
      assert.equal(again.id, j.id);
      s.forget(again.id);
      await s.settle('d1', [{ jobId: j.id, status: 'done' }], 2000);
      assert.deepEqual(tally((await reconciled(s)).get('src>d1')), [1, 1, 0, 0, 0], 'settled without a claim in memory');
    }));

    test('a job settled through another handle is not counted again by the handle that claimed it', withStore(async (s) => {
      await s.append('src', [msg('1', 'u1')]);
      const [j] = await s.claim('d1', ALL, 10, 2000);
      const other = await secondHandle(s);
      try {
        await other.settle('d1', [{ jobId: j.id, status: 'done' }], 2000);
      } finally {
        await other.close();
      }
      await s.settle('d1', [{ jobId: j.id, status: 'dead', code: 'c', reason: 'late' }], 2001);
      // Not reconciled(): pendingTotal() may lag what another handle did until the next prune().
      assert.deepEqual(tally((await s.counts())[0]), [1, 1, 0, 0, 0]);
      assert.deepEqual(await s.failures({}), []);
    }));

    /** Dead-letters one job per entry: [event, destination, code, failedAt]. */
    async function deadLetters(s: Store, entries: [string, string, string, number][]) {
      const users = usersInDistinctLanes(entries.length, 'dead');
      await s.append('src', entries.map(([ev, dest], i) => msg(ev, users[i], [dest])));
      for (const [ev, dest, code, at] of entries) {
        const j = (await s.claim(dest, ALL, 100, 1000)).find((x) => x.message.event === ev)!;
        await s.settle(dest, [{ jobId: j.id, status: 'dead', code, reason: `${code} for ${ev}` }], at);
        await reconciled(s);
      }
      return s.failures({});
    }

    test('failures filter by destination, code, time range, ids and limit; failure(id) carries the message', withStore(async (s) => {
      const all = await deadLetters(s, [['a', 'd1', 'A', 10], ['b', 'd1', 'B', 20], ['c', 'd2', 'A', 30]]);
      const ev = (f: Parameters<Store['failures']>[0]) => s.failures(f).then((l) => l.map((d) => d.messageId));
      assert.deepEqual(all.map((d) => d.messageId), ['a', 'b', 'c'], 'in the order they failed');
      assert.deepEqual(await ev({ destination: 'd1' }), ['a', 'b']);
      assert.deepEqual(await ev({ code: 'A' }), ['a', 'c']);
      assert.deepEqual(await ev({ destination: 'd1', code: 'A' }), ['a'], 'every field must match');
      assert.deepEqual(await ev({ code: 'none' }), []);
      assert.deepEqual(await ev({ code: '_' }), [], 'a code is not a pattern');
      assert.deepEqual(await ev({ from: 20 }), ['b', 'c'], 'from is included');
      assert.deepEqual(await ev({ to: 20 }), ['a', 'b'], 'to is included');
      assert.deepEqual(await ev({ from: 15, to: 25 }), ['b']);
      assert.deepEqual(await ev({ from: 31 }), []);
      assert.deepEqual(await ev({ ids: [all[2].id, all[0].id] }), ['a', 'c']);
      assert.deepEqual(await ev({ ids: [] }), [], 'an empty id list matches nothing');
      assert.deepEqual(await ev({ limit: 2 }), ['a', 'b']);
      const one = await s.failure(all[1].id);
      assert.equal(one?.reason, 'B for b');
      assert.equal(one?.code, 'B');
      assert.deepEqual(one?.message, JSON.parse(msg('b', all[1].userKey).payload));
      assert.equal(await s.failure(987_654_321), undefined);
    }));

    test('a code matches the destination\'s own code named in the reason as well as the dead letter\'s code', withStore(async (s) => {
      const users = usersInDistinctLanes(3, 'code');
      await s.append('src', [msg('a', users[0]), msg('b', users[1]), msg('c', users[2])]);
      const jobs = await s.claim('d1', ALL, 10, 1000);
      const id = (ev: string) => jobs.find((j) => j.message.event === ev)!.id;
      await s.settle('d1', [
        { jobId: id('a'), status: 'dead', code: 'invalid_email', reason: 'Email is not valid (CleverTap code 515)' },
        { jobId: id('b'), status: 'dead', code: '515', reason: 'Email is not valid' },
        { jobId: id('c'), status: 'dead', code: 'invalid_phone', reason: 'Phone is not valid (CleverTap code 5150)' },
      ], 1000);
      assert.deepEqual((await s.failures({ code: '515' })).map((d) => d.messageId), ['a', 'b']);
      assert.deepEqual((await s.failures({ code: 'invalid_email' })).map((d) => d.messageId), ['a']);
      // CleverTap's code alone: Taproute's own codes never match it, nor does a longer code that starts alike.
      assert.deepEqual((await s.failures({ clevertapCode: '515' })).map((d) => d.messageId), ['a', 'b']);
      assert.deepEqual((await s.failures({ clevertapCode: '5150' })).map((d) => d.messageId), ['c']);
      assert.deepEqual((await s.failures({ clevertapCode: 'invalid_email' })).map((d) => d.messageId), []);
      assert.deepEqual((await s.failures({ clevertapCode: '515', code: 'invalid_email' })).map((d) => d.messageId), ['a'], 'beside the Taproute code');
      assert.equal(await s.replay({ clevertapCode: '5150' }, 2000), 1, 'replay takes the same filter');
    }));

    test('replay moves matching dead letters back to pending jobs with a fresh retry window', withStore(async (s) => {
      const all = await deadLetters(s, [['a', 'd1', 'A', 10], ['b', 'd1', 'A', 20], ['c', 'd2', 'A', 30]]);
      assert.equal(await s.replay({ ids: [] }, 500), 0);
      assert.equal(await s.replay({ destination: 'd2' }, 500), 1);
      let c = await reconciled(s);
      assert.deepEqual(tally(c.get('src>d2')), [1, 0, 0, 0, 1]);
      assert.deepEqual((await s.failures({})).map((d) => d.messageId), ['a', 'b']);
      const [j] = await s.claim('d2', ALL, 10, 600);
      assert.deepEqual([j.message.event, j.userKey, j.attempts, j.receivedAt], ['c', all[2].userKey, 0, 500]);
      assert.equal(await s.replay({ destination: 'd1', limit: 1 }, 700), 1, 'limit');
      c = await reconciled(s);
      assert.deepEqual(tally(c.get('src>d1')), [2, 0, 1, 0, 1]);
      assert.deepEqual((await s.failures({})).map((d) => d.messageId), ['b']);
      assert.equal(await s.replay({ destination: 'd1' }, 800), 1);
      assert.equal(await s.replay({}, 900), 0, 'nothing left');
      assert.equal(await s.pendingTotal(), 3);
      await reconciled(s);
    }));

    test('userMessages: a user\'s messages newest first, each destination\'s outcome, paged by a cursor', withStore(async (s) => {
      const alice = (id: string, dests: string[], filtered?: { destination: string; reason: string }[]) => ({ ...msg(id, 'alice', dests), ...(filtered ? { filtered } : {}) });
      await s.append('src', [alice('a', ['d1', 'd2']), alice('b', ['d1'], [{ destination: 'd2', reason: 'types' }]), msg('x', 'bob'), alice('c', ['d1'])]);
      const d1 = await s.claim('d1', ALL, 10, 1000);
      const id = (ev: string) => d1.find((j) => j.message.event === ev)!.id;
      await s.settle('d1', [
        { jobId: id('a'), status: 'done' },
        { jobId: id('b'), status: 'dead', code: '512', reason: 'refused' },
        { jobId: id('c'), status: 'filtered', reason: 'function: returned null', rule: 'function' },
      ], 1500);
      const [d2] = await s.claim('d2', ALL, 10, 1000);
      await s.settle('d2', [{ jobId: d2.id, status: 'retry_at', nextAt: 9000, code: '503', reason: 'unavailable' }], 1600);
      const view = (p: Awaited<ReturnType<Store['userMessages']>>) =>
        p.messages.map((m) => [m.messageId, Object.fromEntries(m.outcomes.map((o) => [o.destinationId, o.status === 'filtered' ? `filtered:${o.rule}` : o.status === 'dead' ? `dead:${o.code}:${o.reason}` : o.status]))]);
      const all = await s.userMessages('alice');
      assert.deepEqual(view(all), [
        ['c', { d1: 'filtered:function' }],
        ['b', { d1: 'dead:512:refused', d2: 'filtered:types' }],
        ['a', { d1: 'delivered', d2: 'pending' }],
      ]);
      assert.equal(all.next, undefined, 'one page');
      const a = all.messages[2];
      assert.deepEqual(a.message, JSON.parse(msg('a', 'alice').payload));
      assert.equal(a.sourceId, 'src');
      const pending = a.outcomes.find((o) => o.destinationId === 'd2')!;
      assert.ok(pending.status === 'pending' && pending.attempts === 1 && pending.nextAt === 9000 && /unavailable/.test(pending.lastError ?? ''), JSON.stringify(pending));
      const dead = all.messages[1].outcomes.find((o) => o.destinationId === 'd1')!;
      assert.ok(dead.status === 'dead' && (await s.failure(dead.deadLetterId))?.messageId === 'b', 'the dead letter to open');
      // Pages: limit and the cursor.
      const first = await s.userMessages('alice', { limit: 2 });
      assert.deepEqual(first.messages.map((m) => m.messageId), ['c', 'b']);
      assert.ok(first.next !== undefined);
      const second = await s.userMessages('alice', { limit: 2, before: first.next });
      assert.deepEqual(second.messages.map((m) => m.messageId), ['a']);
      assert.equal(second.next, undefined);
      assert.deepEqual((await s.userMessages('bob')).messages.map((m) => m.messageId), ['x']);
      assert.deepEqual(await s.userMessages('nobody'), { messages: [] });
      // Replayed, the dead letter is pending again; another handle reads the same.
      await s.replay({ ids: [dead.deadLetterId] }, 2000);
      const reader = await secondHandle(s);
      try {
        assert.deepEqual(view(await reader.userMessages('alice', { limit: 2 })), [['c', { d1: 'filtered:function' }], ['b', { d1: 'pending', d2: 'filtered:types' }]]);
      } finally {
        await reader.close();
      }
    }));

    test('userMessages: an anonymousId finds the visitor\'s anonymous and identified messages, the userId only the identified', withStore(async (s) => {
      // As ingest stores them: before identify the anonymousId is the user key; after, the userId is, and
      // the anonymousId rides along.
      const anon = (id: string, anonymousId: string) => {
        const payload = JSON.stringify({ type: 'track', event: id, anonymousId, messageId: id });
        return { messageId: id, userKey: anonymousId, receivedAt: 1000, payload, destinations: ['d1'] };
      };
      const identified = (id: string, userId: string, anonymousId: string) => {
        const payload = JSON.stringify({ type: 'track', event: id, userId, anonymousId, messageId: id });
        return { messageId: id, userKey: userId, anonymousId, receivedAt: 1000, payload, destinations: ['d1'] };
      };
      await s.append('src', [anon('a1', 'anon-1'), anon('o1', 'anon-2'), identified('i1', 'carol', 'anon-1'), msg('c1', 'carol')]);
      await s.append('src', [identified('o2', 'dave', 'anon-2'), anon('a2', 'anon-1'), identified('i2', 'carol', 'anon-1'), identified('o3', 'anon-1x', 'anon-3')]);
      const ids = (p: Awaited<ReturnType<Store['userMessages']>>) => p.messages.map((m) => m.messageId);
      const all = await s.userMessages('anon-1');
      assert.deepEqual(ids(all), ['i2', 'a2', 'i1', 'a1']);
      assert.equal(all.next, undefined);
      assert.deepEqual(all.messages.map((m) => m.outcomes.map((o) => o.status)), [['pending'], ['pending'], ['pending'], ['pending']]);
      assert.deepEqual(all.messages[0].message, JSON.parse(identified('i2', 'carol', 'anon-1').payload));
      // Paged by the cursor across both reads.
      const seen: string[] = [];
      let before: number | undefined;
      for (let n = 0; n < 10; n++) {
        const p = await s.userMessages('anon-1', { limit: 3, ...(before !== undefined ? { before } : {}) });
        seen.push(ids(p).join(','));
        if (p.next === undefined) break;
        before = p.next;
      }
      assert.deepEqual(seen, ['i2,a2,i1', 'a1']);
      const one = await s.userMessages('anon-1', { limit: 1 });
      assert.deepEqual(ids(one), ['i2']);
      assert.deepEqual(ids(await s.userMessages('anon-1', { limit: 2, before: one.next })), ['a2', 'i1']);
      // The userId: its own messages and the identified ones, never another visitor's.
      assert.deepEqual(ids(await s.userMessages('carol')), ['i2', 'c1', 'i1']);
      assert.deepEqual(ids(await s.userMessages('anon-2')), ['o2', 'o1']);
      assert.deepEqual(ids(await s.userMessages('dave')), ['o2']);
      assert.deepEqual(ids(await s.userMessages('anon-3')), ['o3']);
      assert.deepEqual(await s.userMessages('anon'), { messages: [] });
    }));

    test('suppress: suppressed users are kept, repeats are harmless, another handle sees them', withStore(async (s) => {
      await s.suppress(['u1', 'u2'], 1);
      await s.suppress(['u2', 'u3'], 2);
      assert.deepEqual([...(await s.suppressed())].sort(), ['u1', 'u2', 'u3']);
      const other = await secondHandle(s);
      try {
        assert.deepEqual([...(await other.suppressed())].sort(), ['u1', 'u2', 'u3']);
      } finally {
        await other.close();
      }
    }));

    test('request ids are remembered per source', withStore(async (s) => {
      assert.equal(await s.seenRequest('src', 'r1'), false);
      await s.rememberRequests('src', ['r1', 'r2'], 1);
      await s.rememberRequests('src', ['r2'], 2);
      assert.equal(await s.seenRequest('src', 'r1'), true);
      assert.equal(await s.seenRequest('src', 'r2'), true);
      assert.equal(await s.seenRequest('other', 'r1'), false, 'per source');
      const reader = await secondHandle(s);
      try {
        assert.equal(await reader.seenRequest('src', 'r1'), true);
      } finally {
        await reader.close();
      }
    }));

    test('append counts the request\'s rejected messages with it; sourceCounts: received, duplicates and rejected per source', withStore(async (s) => {
      await s.append('a', [msg('1', 'u'), msg('2', 'u'), msg('1', 'u')], 3);
      await s.append('a', [], 2);
      await s.append('b', [msg('1', 'u')]);
      await s.append('c', [], 1);
      const by = new Map((await s.sourceCounts()).map((x) => [x.sourceId, [x.received, x.duplicates, x.rejected]]));
      assert.deepEqual(by.get('a'), [2, 1, 5]);
      assert.deepEqual(by.get('b'), [1, 0, 0]);
      assert.deepEqual(by.get('c'), [0, 0, 1], 'a source with only rejections');
    }));

    test('a retry or a whole request that failed is the connection\'s last error', withStore(async (s) => {
      const [u1, u2] = usersInDistinctLanes(2);
      await s.append('src', [msg('1', u1, ['d1', 'd2']), msg('2', u2, ['d1'])]);
      assert.equal((await s.counts())[0].lastError, undefined, 'no error yet');
      const jobs = await s.claim('d1', ALL, 10, 2000);
      await s.settle('d1', jobs.map((j) => ({ jobId: j.id, status: 'release' as const, code: '503', reason: 'CleverTap answered 503' })), 2000);
      let c = await reconciled(s);
      assert.deepEqual(c.get('src>d1')?.lastError, { code: '503', reason: 'CleverTap answered 503', at: 2000 });
      assert.equal(c.get('src>d2')?.lastError, undefined, 'per connection');
      const again = await s.claim('d1', ALL, 10, 3000);
      await s.settle('d1', [
        { jobId: again[0].id, status: 'retry_at', nextAt: 9000, code: '555', reason: 'try again' },
        { jobId: again[1].id, status: 'done' },
      ], 3000);
      c = await reconciled(s);
      assert.deepEqual(c.get('src>d1')?.lastError, { code: '555', reason: 'try again', at: 3000 });
      const reader = await secondHandle(s);
      try {
        assert.deepEqual((await reader.counts()).find((x) => x.destinationId === 'd1')?.lastError, { code: '555', reason: 'try again', at: 3000 }, 'another handle (the CLI) sees it');
      } finally {
        await reader.close();
      }
    }));

    test('destination states: paused with a reason, resumed, seen by another handle', withStore(async (s) => {
      assert.deepEqual(await s.destinationStates(), []);
      await s.setDestinationPaused('d1', 'CleverTap answered 401', 10);
      await s.setDestinationPaused('d2', null, 11);
      const other = await secondHandle(s);
      try {
        assert.deepEqual(await other.destinationStates(), [
          { destinationId: 'd1', paused: 'CleverTap answered 401', since: 10 },
          { destinationId: 'd2', paused: null, since: 11 },
        ]);
        await other.setDestinationPaused('d1', null, 12);
      } finally {
        await other.close();
      }
      assert.deepEqual((await s.destinationStates())[0], { destinationId: 'd1', paused: null, since: 12 }, 'a resume through another handle (the CLI) is seen');
    }));

    test('prune: message ids leave the dedupe window, request ids expire, pending jobs and dead letters keep their messages', withStore(async (s) => {
      const window = 10_000;
      const [u1, u2, u3] = usersInDistinctLanes(3);
      await s.append('src', [msg('done', u1), msg('pending', u2), msg('dead', u3)]);
      const jobs = await s.claim('d1', ALL, 10, 1000);
      const id = (ev: string) => jobs.find((j) => j.message.event === ev)!.id;
      await s.settle('d1', [{ jobId: id('done'), status: 'done' }, { jobId: id('dead'), status: 'dead', code: 'c', reason: 'r' }, { jobId: id('pending'), status: 'release' }], 1000);
      await s.rememberRequests('src', ['r1'], 1000);

      await s.prune(1000 + window - 1, window);
      assert.deepEqual((await s.append('src', [msg('done', u1)])).duplicates, [0], 'still within the window');
      assert.equal(await s.seenRequest('src', 'r1'), true);

      const later = 1000 + 31 * 86_400_000;
      await s.prune(later, window);
      assert.equal(await s.seenRequest('src', 'r1'), false, 'request ids are kept 30 days');
      const again = await s.append('src', [msg('done', u1, ['d1'], later)]);
      assert.equal(again.accepted, 1, 'accepted again once out of the dedupe window');
      const [dl] = await s.failures({});
      assert.equal(dl.messageId, 'dead');
      assert.equal(((await s.failure(dl.id))?.message as { event: string }).event, 'dead', 'a dead letter keeps its message');
      const pending = await s.claim('d1', ALL, 10, later);
      assert.deepEqual(pending.map((j) => [j.message.event, j.attempts]).sort(), [['done', 0], ['pending', 1]], 'pending jobs keep their messages');
      assert.deepEqual(tally((await reconciled(s)).get('src>d1')), [4, 1, 1, 0, 2]);
    }));
  });
}
