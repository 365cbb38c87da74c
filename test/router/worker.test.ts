// The router worker on its own: a real SqliteStore, a scripted destination answer and a clock the test
// moves, so backoff, probes and pauses are checked by their times without waiting for them.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { AuthError, RetryableError, type Job, type Outcome } from '../../src/destinations/types.js';
import { backoffMs, DestinationWorker, PROBE_BATCH, type RetryPolicy } from '../../src/router/worker.js';
import { StoreUnavailableError } from '../../src/store/errors.js';
import { laneOf } from '../../src/store/lanes.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { createLogger } from '../../src/util/logger.js';
import { tmpDir } from '../tmp.js';
import { msg, reconciled, usersInDistinctLanes } from '../store/contract.js';
import { FakeClock, turns } from './fake-clock.js';
import { allDone, ScriptedDeliverer, type Answer } from './scripted-deliverer.js';

const T0 = 1_700_000_000_000;
const POLICY: RetryPolicy = {
  maxRetryAgeMs: 3_600_000,
  baseMs: 100,
  maxMs: 1000,
  authProbeMs: 5000,
  lingerMs: 10,
  pollMs: 50,
  maxRequestBytes: 1024 * 1024,
};
const log = createLogger('silent');
const t = tmpDir();
after(() => t.cleanup());
let files = 0;

interface Setup {
  maxBatch?: number;
  maxInFlight?: number;
  policy?: Partial<RetryPolicy>;
  script?: (jobs: Job[], n: number) => Answer | undefined;
  /** [user, how many events] appended in turns (user a event 0, user b event 0, user a event 1, ...). */
  events: [string, number][];
  /** Settles that fail (as on a full disk) before one succeeds. */
  failSettles?: number;
}

/** The real store, whose settle fails the first n times as it does while the disk is full. */
class StoreFailingSettle extends SqliteStore {
  settleCalls = 0;

  constructor(file: string, private failSettles: number) {
    super(file, { owner: true });
  }

  override async settle(...args: Parameters<SqliteStore['settle']>): Promise<void> {
    this.settleCalls++;
    if (this.failSettles > 0) {
      this.failSettles--;
      throw new StoreUnavailableError('store cannot write: database or disk is full');
    }
    return super.settle(...args);
  }
}

async function setup(o: Setup) {
  const clock = new FakeClock(T0);
  const file = join(t.dir, `w${files++}.sqlite`);
  const store = new StoreFailingSettle(file, o.failSettles ?? 0);
  const msgs = [];
  for (let i = 0; i < Math.max(...o.events.map(([, n]) => n)); i++)
    for (const [user, n] of o.events) if (i < n) msgs.push(msg(`${user}-${i}`, user, ['d1'], T0));
  await store.append('src', msgs);
  const deliverer = new ScriptedDeliverer(o.maxBatch ?? 10, o.maxInFlight ?? 1, clock, o.script);
  const settled: Outcome[] = [];
  const worker = new DestinationWorker('d1', store, deliverer, { ...POLICY, ...o.policy }, log, (_, list) => settled.push(...list), clock);
  return {
    clock,
    file,
    store,
    deliverer,
    worker,
    settled,
    async counts() {
      return (await reconciled(store)).get('src>d1')!;
    },
    async close() {
      const stopped = worker.stop();
      for (const c of deliverer.inFlight()) c.answer(allDone(c.jobs));
      await stopped;
      await store.close();
    },
  };
}

const retryable = (status = 503, retryAfterMs?: number) => new RetryableError(`CleverTap answered ${status}`, retryAfterMs);
const laneSet = (jobs: Job[]) => new Set(jobs.map((j) => laneOf(j.userKey)));

describe('router worker', () => {
  test('backoffMs: exponential, capped, with jitter between half the cap and the cap', () => {
    const p = { baseMs: 100, maxMs: 5000 };
    for (let attempt = 0; attempt <= 40; attempt++) {
      const cap = Math.min(p.maxMs, p.baseMs * 2 ** attempt);
      const seen = Array.from({ length: 200 }, () => backoffMs(attempt, p));
      for (const d of seen) assert.ok(d >= cap / 2 && d <= cap, `attempt ${attempt}: ${d} not in [${cap / 2}, ${cap}]`);
      if (cap >= 100) assert.ok(new Set(seen).size > 1, `attempt ${attempt}: the delay is jittered`);
    }
  });

  test('a failing destination backs off exponentially and keeps every job (an attempt counted each time)', async () => {
    const failures = 5;
    const s = await setup({ events: usersInDistinctLanes(3).map((u) => [u, 1]), script: (jobs, n) => (n < failures ? retryable() : allDone(jobs)) });
    try {
      s.worker.start();
      while (s.deliverer.calls.length <= failures) assert.ok(await s.clock.runNext(), 'a timer is set while jobs wait');
      const at = s.deliverer.calls.map((c) => c.at);
      for (let k = 1; k <= failures; k++) {
        const cap = Math.min(POLICY.maxMs, POLICY.baseMs * 2 ** (k - 1));
        const gap = at[k] - at[k - 1];
        assert.ok(gap >= cap / 2 && gap <= cap, `after failure ${k} the next request waits ${gap} ms, expected [${cap / 2}, ${cap}]`);
      }
      assert.deepEqual(s.deliverer.calls[failures].jobs.map((j) => j.attempts), [failures, failures, failures]);
      const c = await s.counts();
      assert.deepEqual([c.delivered, c.dead, c.pending], [3, 0, 0]);
      assert.equal(s.worker.status().state, 'running');
    } finally {
      await s.close();
    }
  });

  test('while backing off, status says so and nothing is sent; the destination\'s retry-after sets the delay, capped at retryMax', async () => {
    const s = await setup({ events: [['u1', 1]] });
    try {
      s.worker.start();
      await s.clock.advance(0);
      s.deliverer.calls[0].answer(retryable(429, 700));
      await turns();
      const st = s.worker.status();
      assert.equal(st.state, 'backoff');
      assert.equal(st.state === 'backoff' && st.until, T0 + 700);
      await s.clock.advance(699);
      assert.equal(s.deliverer.calls.length, 1, 'nothing sent during the backoff');
      await s.clock.advance(1);
      assert.equal(s.deliverer.calls.length, 2);
      s.deliverer.calls[1].answer(retryable(429, 60_000));
      await turns();
      await s.clock.advance(POLICY.maxMs - 1);
      assert.equal(s.deliverer.calls.length, 2);
      await s.clock.advance(1);
      assert.equal(s.deliverer.calls.length, 3, 'a retry-after beyond retryMax waits retryMax');
    } finally {
      await s.close();
    }
  });

  test('after a failed request only one probe request is in flight until one succeeds', async () => {
    const s = await setup({ maxBatch: 1, maxInFlight: 4, events: usersInDistinctLanes(12).map((u) => [u, 1]) });
    try {
      s.worker.start();
      await s.clock.advance(0);
      assert.equal(s.deliverer.inFlight().length, 4, 'up to maxInFlight requests while the destination is healthy');
      for (const c of s.deliverer.inFlight()) c.answer(retryable());
      for (let probe = 0; probe < 3; probe++) {
        // Run every timer (backoff, polls) for a while: one probe goes out and stays alone in flight.
        const end = s.clock.now() + 5 * POLICY.maxMs;
        while (s.clock.now() < end) await s.clock.advance(POLICY.pollMs);
        assert.equal(s.deliverer.inFlight().length, 1, `probe ${probe}: exactly one request in flight`);
        if (probe < 2) s.deliverer.inFlight()[0].answer(retryable());
      }
      s.deliverer.inFlight()[0].answer(allDone(s.deliverer.inFlight()[0].jobs));
      await s.clock.advance(0);
      assert.equal(s.deliverer.inFlight().length, 4, 'the probe succeeded: back to maxInFlight');
    } finally {
      await s.close();
    }
  });

  test('a destination that fails at once is not claimed in a loop: requests of one pump back off too', async () => {
    // Every request fails as soon as it is sent (a refused connection). A failure that lands while the pump awaits
    // its next claim must stop that pump, or it claims and sends the whole backlog over and over, with no backoff.
    const s = await setup({ maxBatch: 1, maxInFlight: 4, events: usersInDistinctLanes(12).map((u) => [u, 5]) });
    // The answers land while the pump waits for the store's next claim (as with a slower store, e.g. PostgreSQL).
    const claim = s.store.claim.bind(s.store);
    s.store.claim = async (...args) => {
      for (const c of s.deliverer.inFlight()) c.answer(retryable());
      await turns();
      return claim(...args);
    };
    try {
      s.worker.start();
      const end = s.clock.now() + 3 * POLICY.maxMs;
      while (s.clock.now() < end && s.deliverer.calls.length < 1000) await s.clock.advance(POLICY.pollMs);
      // Backoff from 100 ms doubling to 1 s: about 6 probes in 3 s, after the first round of up to maxInFlight.
      assert.ok(s.deliverer.calls.length <= 4 + 8, `${s.deliverer.calls.length} requests in 3 s to a destination that is down`);
    } finally {
      await s.close();
    }
  });

  test('a probe takes a small batch; once it succeeds, full batches again', async () => {
    const s = await setup({ maxBatch: 500, maxInFlight: 1, events: usersInDistinctLanes(8).map((u) => [u, 100]) });
    try {
      s.worker.start();
      await s.clock.advance(0);
      assert.equal(s.deliverer.inFlight()[0].jobs.length, 500, 'a healthy destination gets full batches');
      s.deliverer.inFlight()[0].answer(retryable());
      const end = s.clock.now() + 5 * POLICY.maxMs;
      while (s.deliverer.inFlight().length === 0 && s.clock.now() < end) await s.clock.advance(POLICY.pollMs);
      const probe = s.deliverer.inFlight()[0];
      assert.equal(probe.jobs.length, PROBE_BATCH, 'the probe is small');
      probe.answer(allDone(probe.jobs));
      await s.clock.advance(0);
      assert.equal(s.deliverer.inFlight()[0].jobs.length, 500, 'the probe succeeded: full batches again');
    } finally {
      await s.close();
    }
  });

  test('credentials refused: the destination pauses, keeps its jobs (no attempt counted), probes after authProbeMs, resume()', async () => {
    const users = usersInDistinctLanes(4);
    const s = await setup({ maxBatch: 2, maxInFlight: 2, events: users.map((u) => [u, 1]) });
    try {
      s.worker.start();
      await s.clock.advance(0);
      assert.equal(s.deliverer.inFlight().length, 2);
      for (const c of s.deliverer.inFlight()) c.answer(new AuthError('CleverTap answered 401: invalid credentials'));
      await turns();
      const st = s.worker.status();
      assert.equal(st.state, 'paused');
      assert.match(st.state === 'paused' ? st.reason : '', /401/);
      let c = await s.counts();
      assert.deepEqual([c.pending, c.dead, c.delivered], [4, 0, 0]);

      await s.clock.advance(POLICY.authProbeMs - 1);
      assert.equal(s.deliverer.calls.length, 2, 'nothing is sent while paused');
      await s.clock.advance(1);
      assert.equal(s.deliverer.calls.length, 3, 'one probe after authProbeMs');
      const probe = s.deliverer.calls[2];
      assert.deepEqual(probe.jobs.map((j) => j.attempts), probe.jobs.map(() => 0), 'a refused request counts no attempt');
      await s.clock.advance(POLICY.pollMs * 4);
      assert.equal(s.deliverer.inFlight().length, 1, 'the probe is alone in flight');

      probe.answer(new AuthError('CleverTap answered 401 again'));
      await turns();
      assert.equal(s.worker.status().state, 'paused');
      // An operator fixed the credentials: resume() probes at once, without waiting for authProbeMs.
      s.worker.resume();
      await s.clock.advance(0);
      assert.equal(s.deliverer.calls.length, 4);
      assert.equal(s.worker.status().state, 'running');
      s.deliverer.script = allDone;
      s.deliverer.calls[3].answer(allDone(s.deliverer.calls[3].jobs));
      await s.clock.advance(POLICY.pollMs);
      c = await s.counts();
      assert.deepEqual([c.pending, c.dead, c.delivered], [0, 0, 4]);
      const callsBefore = s.deliverer.calls.length;
      await s.clock.advance(POLICY.authProbeMs * 2);
      assert.equal(s.deliverer.calls.length, callsBefore, 'no probe timer left behind by resume()');
    } finally {
      await s.close();
    }
  });

  test('at most one request per lane in flight, so each user\'s events go out in order', async () => {
    // Two users per lane in three lanes: a lane's request carries both users' jobs.
    const byLane = new Map<number, string[]>();
    for (let i = 0; [...byLane.values()].filter((u) => u.length >= 2).length < 3; i++) {
      const u = `user${i}`;
      byLane.set(laneOf(u), [...(byLane.get(laneOf(u)) ?? []), u]);
    }
    const users = [...byLane.values()].filter((u) => u.length >= 2).slice(0, 3).flatMap((u) => u.slice(0, 2));
    const perUser = 6;
    const s = await setup({ maxBatch: 3, maxInFlight: 4, events: users.map((u) => [u, perUser]) });
    try {
      s.worker.start();
      let most = 0;
      for (let round = 0; round < 200 && s.deliverer.calls.flatMap((c) => c.jobs).length < users.length * perUser; round++) {
        await s.clock.advance(POLICY.pollMs);
        const open = s.deliverer.inFlight();
        most = Math.max(most, open.length);
        const lanes = open.flatMap((c) => [...laneSet(c.jobs)]);
        assert.equal(new Set(lanes).size, lanes.length, 'no lane is in two requests at once');
        // Answer the newest first, to shake out any reliance on answer order.
        for (const c of open.reverse()) c.answer(allDone(c.jobs));
      }
      await turns();
      assert.ok(most > 1, 'requests ran in parallel across lanes');
      for (const u of users) {
        const sent = s.deliverer.calls.flatMap((c) => c.jobs).filter((j) => j.userKey === u).map((j) => j.message.event);
        assert.deepEqual(sent, Array.from({ length: perUser }, (_, i) => `${u}-${i}`), `${u}'s events once each, in order`);
      }
      assert.equal((await s.counts()).delivered, users.length * perUser);
    } finally {
      await s.close();
    }
  });

  test('jobs the destination did not answer for are released, not lost', async () => {
    const users = usersInDistinctLanes(5);
    const s = await setup({
      maxBatch: 5,
      events: users.map((u) => [u, 1]),
      script: (jobs, n) => (n === 0 ? allDone(jobs.slice(0, 2)) : allDone(jobs)),
    });
    try {
      s.worker.start();
      await s.clock.advance(0);
      assert.equal(s.deliverer.calls.length, 2);
      const [first, second] = s.deliverer.calls;
      assert.equal(first.jobs.length, 5);
      assert.deepEqual(second.jobs.map((j) => j.id).sort(), first.jobs.slice(2).map((j) => j.id).sort(), 'the unanswered jobs are sent again');
      assert.deepEqual(second.jobs.map((j) => j.attempts), [1, 1, 1]);
      const c = await s.counts();
      assert.deepEqual([c.delivered, c.dead, c.pending], [5, 0, 0]);
    } finally {
      await s.close();
    }
  });

  test('retries stop at the age limit: the job is dead-lettered with the last code and reason', async () => {
    const maxRetryAgeMs = 2000;
    const s = await setup({
      events: [['u1', 1], ['u2', 1]],
      policy: { maxRetryAgeMs },
      script: (jobs, n) =>
        jobs.map((j): Outcome => (j.userKey === 'u1'
          ? { jobId: j.id, status: 'retry', code: `c${n}`, reason: `record refused (${n})`, scope: 'record' }
          : { jobId: j.id, status: 'retry', code: `r${n}`, reason: `server busy (${n})`, scope: 'request' })),
    });
    try {
      s.worker.start();
      for (let i = 0; i < 500 && (await s.store.failures({})).length < 2; i++) await s.clock.runNext();
      const dead = await s.store.failures({});
      assert.equal(dead.length, 2);
      for (const d of dead) {
        const calls = s.deliverer.calls.filter((c) => c.jobs.some((j) => j.userKey === d.userKey));
        const last = calls[calls.length - 1];
        assert.ok(last.at - T0 > maxRetryAgeMs, 'dead-lettered only once past the age limit');
        assert.ok(calls[calls.length - 2].at - T0 <= maxRetryAgeMs, 'and not before');
        const [prefix, what] = d.userKey === 'u1' ? ['c', 'record refused'] : ['r', 'server busy'];
        assert.equal(d.code, `${prefix}${last.n}`);
        assert.equal(d.reason, `gave up after ${calls.length} attempts: ${what} (${last.n})`);
        assert.equal(d.attempts, calls.length);
      }
      const c = await s.counts();
      assert.deepEqual([c.dead, c.pending], [2, 0]);
    } finally {
      await s.close();
    }
  });

  test('an outcome the store cannot record is kept and recorded later: the request is never sent again', async () => {
    const users = usersInDistinctLanes(4);
    const failures = 3;
    const s = await setup({ failSettles: failures, events: users.slice(0, 3).map((u) => [u, 1]), script: allDone });
    try {
      s.worker.start();
      await s.clock.advance(0);
      assert.equal(s.deliverer.calls.length, 1);
      assert.equal(s.store.settleCalls, 1, 'the first settle failed');
      // New events arrive while the outcome waits: nothing new is sent until it is recorded.
      await s.store.append('src', [msg('late', users[3], ['d1'], T0)]);
      s.worker.wake();
      while (s.store.settleCalls <= failures) {
        assert.equal(s.deliverer.calls.length, 1, `nothing is sent while the outcome is not recorded (settle ${s.store.settleCalls})`);
        assert.ok(await s.clock.runNext(), 'a retry of the settle is scheduled');
      }
      await s.clock.advance(POLICY.pollMs);
      const sent = s.deliverer.calls.flatMap((c) => c.jobs.map((j) => j.message.event));
      assert.deepEqual(sent.sort(), [...users.slice(0, 3).map((u) => `${u}-0`), 'late'].sort(), 'every event sent exactly once');
      const c = await s.counts();
      assert.deepEqual([c.delivered, c.pending, c.dead], [4, 0, 0]);
    } finally {
      await s.close();
    }
  });

  test('a whole request that failed leaves its reason as the connection\'s last error', async () => {
    const s = await setup({ events: [['u1', 1]], script: (jobs, n) => (n === 0 ? retryable(503) : allDone(jobs)) });
    try {
      s.worker.start();
      await s.clock.advance(0);
      const c = await s.counts();
      assert.equal(c.pending, 1);
      assert.equal(c.lastError?.reason, 'CleverTap answered 503');
      assert.equal(c.lastError?.at, T0);
    } finally {
      await s.close();
    }
  });

  test('a paused destination is recorded in the store with its reason; a resume recorded there (the CLI) resumes it', async () => {
    const s = await setup({ events: [['u1', 1]], script: (jobs, n) => (n === 0 ? new AuthError('CleverTap answered 401: invalid credentials') : allDone(jobs)) });
    try {
      s.worker.start();
      await s.clock.advance(0);
      assert.equal(s.worker.status().state, 'paused');
      const [state] = await s.store.destinationStates();
      assert.equal(state.destinationId, 'd1');
      assert.match(state.paused ?? '', /401: invalid credentials/);
      // `taproute destinations resume d1` from another process: another handle on the same file.
      const cli = new SqliteStore(s.file);
      await cli.setDestinationPaused('d1', null, T0 + 1);
      await cli.close();
      for (let i = 0; i < 20 && s.worker.status().state === 'paused'; i++) await s.clock.runNext();
      assert.equal(s.worker.status().state, 'running');
      await s.clock.advance(POLICY.pollMs);
      assert.equal(s.deliverer.calls.length, 2, 'resumed long before the automatic probe');
      assert.ok(s.clock.now() - T0 < POLICY.authProbeMs);
      assert.equal((await s.counts()).delivered, 1);
      assert.equal((await s.store.destinationStates())[0].paused, null);
    } finally {
      await s.close();
    }
  });

  test('suppressed users are filtered and never sent', async () => {
    const [gone, kept] = usersInDistinctLanes(2);
    const s = await setup({ events: [[gone, 3], [kept, 2]], script: allDone });
    try {
      await s.store.suppress([gone], T0);
      s.worker.start();
      await s.clock.advance(POLICY.pollMs);
      assert.ok(s.deliverer.calls.flatMap((c) => c.jobs).every((j) => j.userKey === kept));
      const c = await s.counts();
      assert.deepEqual([c.delivered, c.filtered, c.pending], [2, 3, 0]);
      assert.equal(s.settled.filter((o) => o.status === 'filtered').length, 3);
    } finally {
      await s.close();
    }
  });

  test('drainLanes waits for the lane\'s request (or the timeout); stop() waits for requests in flight', async () => {
    const [u1] = usersInDistinctLanes(1);
    const s = await setup({ events: [[u1, 1]] });
    try {
      s.worker.start();
      await s.clock.advance(0);
      let drained = false;
      void s.worker.drainLanes(new Set([laneOf(u1)]), 1000).then(() => (drained = true));
      await s.clock.advance(999);
      assert.equal(drained, false);
      await s.clock.advance(1);
      assert.equal(drained, true, 'gives up after the timeout');
      drained = false;
      void s.worker.drainLanes(new Set([laneOf(u1)])).then(() => (drained = true));
      let stopped = false;
      const stopping = s.worker.stop().then(() => (stopped = true));
      await turns();
      assert.deepEqual([drained, stopped], [false, false]);
      s.deliverer.calls[0].answer(allDone(s.deliverer.calls[0].jobs));
      await stopping;
      assert.deepEqual([drained, stopped, s.deliverer.closed], [true, true, true]);
    } finally {
      await s.close();
    }
  });
});
