// Group commit over the network: appends submitted while commits are in flight wait and go together in the
// next transaction, so one round of statements and one WAL flush on the server cover many requests.
// Up to `maxInFlight` transactions run at once (pipelining: the database works on one while this node
// prepares the next, and a 2-core server uses both cores), yet in arrival order where it matters: each
// commit runs its ordered steps (job ids first, counters and COMMIT last) only after the commit before it
// passed the same step. Job ids therefore follow arrival order and become visible in that order, so a
// claim never sees a user's later job without the earlier one.
import type { InOrder } from './jobs.js';

interface Queued<T, R> {
  item: T;
  resolve(r: R): void;
  reject(e: unknown): void;
}

/** Ordered steps per commit (0: dedupe and ids; 1: counters and COMMIT). */
const STEPS = 2;

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export class AsyncGroupCommit<T, R> {
  private queue: Queued<T, R>[] = [];
  private inFlight = 0;
  private scheduled = false;
  /** The steps of the last commit started: the next one waits for each before running its own. */
  private last: Promise<void>[] = Array.from({ length: STEPS }, () => Promise.resolve());
  private drained: (() => void)[] = [];

  /**
   * @param commit writes every item in one transaction and returns one result per item, or throws; it runs
   *   its ordered parts through inOrder (each step at most once, in increasing order).
   */
  constructor(
    private readonly commit: (items: T[], inOrder: InOrder) => Promise<R[]>,
    private readonly maxInFlight = 1,
    /** A commit takes queued items until their weight reaches maxWeight (at least one), leaving the rest to the next. */
    private readonly weight: (item: T) => number = () => 0,
    private readonly maxWeight = Infinity,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.kick();
    });
  }

  /** Starts a commit of everything queued on the next turn of the event loop, if a slot is free. */
  private kick(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.start();
    });
  }

  private start(): void {
    if (this.inFlight >= this.maxInFlight || this.queue.length === 0) return;
    let n = 0;
    for (let w = 0; n < this.queue.length && (n === 0 || w < this.maxWeight); n++) w += this.weight(this.queue[n].item);
    const batch = this.queue.splice(0, n);
    this.inFlight++;
    const before = this.last;
    const mine = Array.from({ length: STEPS }, deferred);
    this.last = mine.map((d) => d.promise);
    const inOrder: InOrder = async (step, fn) => {
      await before[step];
      try {
        return await fn();
      } finally {
        mine[step].resolve();
      }
    };
    this.commit(
      batch.map((q) => q.item),
      inOrder,
    )
      .then(
        (results) => batch.forEach((q, i) => q.resolve(results[i])),
        (err) => batch.forEach((q) => q.reject(err)),
      )
      .finally(() => {
        // A commit that failed or skipped a step must not hold the next one back.
        for (const d of mine) d.resolve();
        this.inFlight--;
        if (this.inFlight === 0 && this.queue.length === 0) for (const f of this.drained.splice(0)) f();
        this.kick();
      });
    this.kick();
  }

  /** Resolves once every submitted item is committed (or failed). */
  close(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.drained.push(r));
  }
}
