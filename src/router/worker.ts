// One worker per destination: claim due jobs → deliver (the destination maps and sends) → settle each job.
// Retry and dead-letter are first-class: a failing record holds back only its own user; a failing
// destination (5xx, 429, network) backs off as a whole and keeps every job where it is.
import type { Deliverer, Job, Outcome, Warning } from '../destinations/types.js';
import { batchFailureOutcomes, isBatchError } from '../core/batch.js';
import type { ConnectionStage } from '../connections/stage.js';
import { shapeJobs } from './shape.js';
import { LANES, laneOf } from '../store/lanes.js';
import type { Settlement, Store } from '../store/types.js';
import type { Logger } from '../util/logger.js';

export interface RetryPolicy {
  maxRetryAgeMs: number;
  baseMs: number;
  maxMs: number;
  /** How long to wait before trying a destination again after CleverTap refused its credentials. */
  authProbeMs: number;
  /** How long to wait for more jobs before sending a small batch. */
  lingerMs: number;
  pollMs: number;
  /** Payload bytes per request: bounds memory whatever the event size (jobs × size × 3 copies in flight). */
  maxRequestBytes: number;
}

/** setTimeout treats anything above 2^31-1 ms as 1 ms: never hand it more. */
const MAX_TIMER_MS = 2_147_483_647;

/** A pending timer; the real one can be unref'd so that a probe alone does not keep the process alive. */
export type Timer = { unref?(): unknown };

/** Time as the worker sees it: injected so that tests drive backoff and probes without waiting. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(timer: Timer): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

export type WorkerState = { state: 'running' } | { state: 'backoff'; until: number; reason: string } | { state: 'paused'; reason: string };

export interface DeliveryStats {
  requests: number;
  failures: number;
}

/** Which lanes this node may deliver (in a cluster, those whose lease it holds); absent: every lane. */
export interface LaneOwnership {
  owns(lane: number): boolean;
}

/** Jobs a probe request takes (after a failed request, until one succeeds). */
export const PROBE_BATCH = 50;

/**
 * A done job's warnings as the store takes them: it only counts them by code, so jobs whose warnings have the same
 * codes share one list. Settlements cross to the store thread by structured clone, which writes an object met again
 * as a reference: the mapping's warnings (two or three per event with real-world properties) no longer cost a copy
 * of their texts (about half the cost of cloning a request's settlements with them, measured on the realistic mix).
 */
function sharedByCodes(warnings: Warning[], lists: Map<string, Warning[]>): Warning[] {
  let key = '';
  for (const w of warnings) key += `${w.code}\u0000`;
  const list = lists.get(key);
  if (list) return list;
  lists.set(key, warnings);
  return warnings;
}

/** Exponential backoff with full jitter: a random delay in [base·2^n / 2, base·2^n], capped. */
export function backoffMs(attempt: number, p: Pick<RetryPolicy, 'baseMs' | 'maxMs'>): number {
  const cap = Math.min(p.maxMs, p.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(cap / 2 + Math.random() * (cap / 2));
}

export class DestinationWorker {
  private inflight = 0;
  /** Lanes with a request in flight: their later jobs wait, which keeps each user's events in order. */
  private readonly busyLanes = new Set<number>();
  private cursor = 0;
  private backoffUntil = 0;
  /** Consecutive failed requests (any cause): while above 0, one request at a time probes the destination. */
  private failures = 0;
  private paused: string | null = null;
  private timer: Timer | null = null;
  private probeTimer: Timer | null = null;
  /** While paused: polls the recorded state, so that `taproute destinations resume` reaches this process. */
  private watchTimer: Timer | null = null;
  /** Requests delivered whose outcome the store could not record yet: nothing new is sent meanwhile. */
  private unrecorded = 0;
  /** Wakes the waits between attempts to record an outcome (stop() must not wait for them). */
  private readonly recordWaits = new Set<() => void>();
  private stopped = false;
  /** Called whenever a request finishes (stop and drainLanes wait on it). */
  private requestDone: (() => void)[] = [];
  /** A pump is running (claims are asynchronous): a second one only marks that it should run again. */
  private pumping = false;
  private repump = false;
  readonly stats: DeliveryStats = { requests: 0, failures: 0 };

  constructor(
    readonly id: string,
    private readonly store: Store,
    private readonly deliverer: Deliverer,
    private readonly policy: RetryPolicy,
    private readonly log: Logger,
    private readonly onSettled?: (destinationId: string, outcomes: Outcome[], jobs: readonly Job[]) => void,
    private readonly clock: Clock = systemClock,
    /** Per source: the connection's dropFields and function, run on each job before delivery. */
    private readonly stages: ReadonlyMap<string, ConnectionStage> = new Map(),
    /** In a cluster: the lanes this node owns through its leases (src/cluster/); absent = every lane. */
    private readonly ownership?: LaneOwnership,
  ) {}

  start(): void {
    this.persistPaused(null);
    this.schedule(0);
  }

  /** New jobs were stored: claim soon (after a short linger so batches fill up). */
  wake(): void {
    if (this.timer === null && !this.stopped) this.schedule(this.policy.lingerMs);
  }

  /** Resumes a destination paused by an authentication failure. */
  resume(): void {
    for (const t of [this.probeTimer, this.watchTimer]) if (t) this.clock.clearTimeout(t);
    this.probeTimer = this.watchTimer = null;
    if (this.paused) this.persistPaused(null);
    this.paused = null;
    this.backoffUntil = 0;
    this.schedule(0);
  }

  status(): WorkerState {
    if (this.paused) return { state: 'paused', reason: this.paused };
    if (this.backoffUntil > this.clock.now()) return { state: 'backoff', until: this.backoffUntil, reason: `retrying after ${this.failures} failed attempts` };
    return { state: 'running' };
  }

  /** True while a request of this lane is in flight (a cluster keeps the lane's lease until it is settled). */
  laneBusy(lane: number): boolean {
    return this.busyLanes.has(lane);
  }

  inFlight(): number {
    return this.inflight;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.pumpSafely();
    }, Math.min(Math.max(ms, 0), MAX_TIMER_MS));
  }

  /** A store error while claiming must not kill the process: log, back off, try again later. */
  private pumpSafely(): void {
    if (this.pumping) {
      this.repump = true;
      return;
    }
    this.pumping = true;
    this.pump()
      .catch((err) => {
        this.log.error({ destination: this.id, err }, 'router: claim failed');
        this.schedule(this.policy.maxMs);
      })
      .finally(() => {
        this.pumping = false;
        if (this.repump && !this.stopped) {
          this.repump = false;
          setImmediate(() => this.pumpSafely());
        }
      });
  }

  /** Resolves once none of the given lanes has a request in flight (used before deleting users). */
  async drainLanes(lanes: ReadonlySet<number>, timeoutMs = 30_000): Promise<void> {
    const end = this.clock.now() + timeoutMs;
    while ([...lanes].some((l) => this.busyLanes.has(l)) && this.clock.now() < end) await this.nextRequestDone(end - this.clock.now());
  }

  /** Resolves when a request in flight finishes, or after at most ms. */
  private nextRequestDone(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(resolve, ms);
      this.requestDone.push(() => {
        this.clock.clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Records the paused state in the store (the CLI shows it); a failure to record it must not stop delivery. */
  private persistPaused(reason: string | null): void {
    this.store.setDestinationPaused(this.id, reason, this.clock.now()).catch((err) => this.log.warn({ destination: this.id, err }, 'router: could not record the destination state'));
  }

  /** While paused, reads the recorded state: resumed there (by the CLI), it resumes here. */
  private watchPaused(): void {
    this.watchTimer = this.clock.setTimeout(() => {
      this.watchTimer = null;
      if (!this.paused || this.stopped) return;
      this.store
        .destinationStates()
        .then((states) => {
          if (!this.paused || this.stopped) return;
          if (states.find((d) => d.destinationId === this.id)?.paused === null) {
            this.log.info({ destination: this.id }, 'destination resumed');
            this.resume();
          } else this.watchPaused();
        })
        .catch(() => this.watchPaused());
    }, Math.max(this.policy.pollMs, 1000));
    this.watchTimer.unref?.();
  }

  private async pump(): Promise<void> {
    for (;;) {
      // Checked before every claim, not once per pump: a request this loop started can fail while a claim is
      // awaited, and the loop must then back off too, or it sends the backlog to a dead destination over and over.
      if (this.stopped || this.paused || this.unrecorded > 0) return;
      const now = this.clock.now();
      if (now < this.backoffUntil) return this.schedule(this.backoffUntil - now);
      // After a failed request only one request probes the destination until one succeeds.
      if (this.inflight >= (this.failures > 0 ? 1 : this.deliverer.maxInFlight)) return;
      // Free lanes, starting after the last one served so that every lane gets its turn.
      const free: number[] = [];
      for (let i = 0; i < LANES; i++) {
        const lane = (this.cursor + i) % LANES;
        if (!this.busyLanes.has(lane) && (this.ownership?.owns(lane) ?? true)) free.push(lane);
      }
      if (free.length === 0) break;
      // A probe only asks whether the destination is back: a small batch, so a destination that stays down costs
      // little mapping work per probe (and the HTTP thread is not held up by mapping a full batch for nothing).
      const max = this.failures > 0 ? Math.min(this.deliverer.maxBatch, PROBE_BATCH) : this.deliverer.maxBatch;
      const jobs = await this.store.claim(this.id, free, max, this.clock.now(), this.policy.maxRequestBytes);
      if (jobs.length === 0 || this.stopped) {
        for (const j of jobs) this.store.forget(j.id);
        break;
      }
      const lanes = new Set(jobs.map((j) => laneOf(j.userKey)));
      for (const l of lanes) this.busyLanes.add(l);
      this.cursor = (laneOf(jobs[jobs.length - 1].userKey) + 1) % LANES;
      this.inflight++;
      this.run(jobs)
        .catch((err) => {
          // Not delivered and not settled (the worker stopped while the store could not write): the jobs stay
          // pending in the store and are claimed again later.
          this.log.error({ destination: this.id, err }, 'router: settle failed');
          this.backoffUntil = this.clock.now() + this.policy.maxMs;
          for (const j of jobs) this.store.forget(j.id);
        })
        .finally(() => {
          for (const l of lanes) this.busyLanes.delete(l);
          this.inflight--;
          for (const f of this.requestDone.splice(0)) f();
          // Yield to the event loop first: jobs settled without I/O must not starve the HTTP server.
          if (!this.stopped) setImmediate(() => this.pumpSafely());
        });
    }
    // Nothing more to claim now (no free lane or no due job): look again after the poll interval.
    if (this.timer === null) this.schedule(this.policy.pollMs);
  }

  private async run(jobs: Job[]): Promise<void> {
    const suppressed = await this.store.suppressed();
    const out: Outcome[] = [];
    const send: Job[] = [];
    for (const j of jobs) {
      const uid = j.message.userId;
      if (suppressed.size && uid && suppressed.has(uid)) out.push({ jobId: j.id, status: 'filtered', rule: 'suppressed', reason: 'suppressed: user deleted on request' });
      else send.push(j);
    }
    const shaped = this.stages.size ? await shapeJobs(send, this.stages) : null;
    if (shaped) {
      out.push(...shaped.settled);
      send.length = 0;
      send.push(...shaped.send);
    }
    if (send.length) {
      this.stats.requests++;
      try {
        const delivered = await this.deliverer.deliver(send);
        out.push(...(shaped ? shaped.fold(delivered) : delivered));
      } catch (err) {
        this.stats.failures++;
        if (!isBatchError(err)) this.log.error({ destination: this.id, err }, 'delivery failed unexpectedly');
        const failed = batchFailureOutcomes(send, err);
        out.push(...(shaped ? shaped.fold(failed) : failed));
      }
    }
    await this.settle(out, jobs);
  }

  /** Turns outcomes into settlements: retries past the age limit become dead letters. */
  private async settle(outcomes: Outcome[], jobs: Job[]): Promise<void> {
    const now = this.clock.now();
    // Only a retry needs its job (attempts, age): the map is built when the first one is met.
    let byId: Map<number, Job> | undefined;
    const settlements: Settlement[] = [];
    let requestFailure: { retryAfterMs?: number; reason: string } | null = null;
    let authFailure: string | null = null;
    const seen = new Set<number>();
    const warningLists = new Map<string, Warning[]>();
    for (const o of outcomes) {
      seen.add(o.jobId);
      if (o.status !== 'retry') {
        settlements.push(o.status === 'done' && o.warnings?.length ? { jobId: o.jobId, status: 'done', warnings: sharedByCodes(o.warnings, warningLists) } : o);
        continue;
      }
      byId ??= new Map(jobs.map((j) => [j.id, j]));
      const job = byId.get(o.jobId);
      if (o.scope === 'auth') {
        // Credentials refused: keep the job as it is (no attempt counted, no age limit) and pause.
        authFailure = o.reason;
        this.store.forget(o.jobId);
      } else if (job && now - job.receivedAt > this.policy.maxRetryAgeMs) {
        settlements.push({ jobId: o.jobId, status: 'dead', code: o.code ?? 'retry_exhausted', reason: `gave up after ${job.attempts + 1} attempts: ${o.reason}` });
      } else if (o.scope === 'request') {
        requestFailure = { retryAfterMs: o.retryAfterMs, reason: o.reason };
        settlements.push({ jobId: o.jobId, status: 'release', code: o.code, reason: o.reason });
      } else {
        const delay = Math.min(o.retryAfterMs ?? backoffMs(job?.attempts ?? 0, this.policy), this.policy.maxMs);
        settlements.push({ jobId: o.jobId, status: 'retry_at', nextAt: now + delay, code: o.code, reason: o.reason });
      }
    }
    // A job the destination forgot to answer for is retried rather than lost.
    for (const j of jobs) if (!seen.has(j.id)) settlements.push({ jobId: j.id, status: 'release' });
    if (settlements.length) await this.record(settlements, now);
    if (authFailure) {
      // A refused request is a failed one: after the pause, one request probes before the others follow.
      this.failures++;
      this.paused = authFailure;
      this.persistPaused(authFailure);
      if (this.watchTimer) this.clock.clearTimeout(this.watchTimer);
      this.watchPaused();
      this.log.error({ destination: this.id }, 'destination paused: credentials refused');
      if (this.probeTimer) this.clock.clearTimeout(this.probeTimer);
      this.probeTimer = this.clock.setTimeout(() => {
        this.probeTimer = null;
        if (this.paused) this.resume();
      }, Math.min(this.policy.authProbeMs, MAX_TIMER_MS));
      this.probeTimer.unref?.();
    } else if (requestFailure) {
      this.failures++;
      const delay = Math.min(requestFailure.retryAfterMs ?? backoffMs(this.failures - 1, this.policy), this.policy.maxMs);
      this.backoffUntil = Math.max(this.backoffUntil, now + delay);
      this.log.warn({ destination: this.id, delayMs: delay, reason: requestFailure.reason }, 'destination backing off');
    } else this.failures = 0; // the destination answered: the probe succeeded
    this.onSettled?.(this.id, outcomes, jobs);
  }

  /**
   * Records settlements, trying again while the store cannot write (disk full). The request was delivered:
   * sending it again because its outcome could not be written would duplicate it at the destination, so the
   * outcome is kept, its lanes stay busy and nothing new is claimed until it is recorded. Only stop() gives up
   * (the jobs are then sent again after a restart, as after a crash).
   */
  private async record(settlements: Settlement[], now: number): Promise<void> {
    let kept = false;
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await this.store.settle(this.id, settlements, now);
          if (kept) this.log.info({ destination: this.id, attempts: attempt + 1 }, 'router: outcome recorded');
          return;
        } catch (err) {
          if (this.stopped) throw err;
          if (!kept) {
            kept = true;
            this.unrecorded++;
            this.log.error({ destination: this.id, err }, 'router: cannot record an outcome; keeping it until the store can write');
          }
          await this.waitToRecord(Math.min(backoffMs(attempt, this.policy), this.policy.maxMs));
        }
      }
    } finally {
      if (kept) this.unrecorded--;
    }
  }

  /** Waits ms, or until stop(). */
  private waitToRecord(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.clock.clearTimeout(timer);
        this.recordWaits.delete(wake);
        resolve();
      };
      const timer = this.clock.setTimeout(wake, ms);
      this.recordWaits.add(wake);
    });
  }

  /** Stops claiming and waits for requests in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of [this.timer, this.probeTimer, this.watchTimer]) if (t) this.clock.clearTimeout(t);
    this.timer = this.probeTimer = this.watchTimer = null;
    for (const wake of [...this.recordWaits]) wake();
    while (this.inflight > 0) await new Promise<void>((r) => this.requestDone.push(r));
    await this.deliverer.close();
  }
}
