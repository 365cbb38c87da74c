// A clock the test moves by hand: timers fire in time order when the test advances it, and the event loop
// gets a few turns after each so that the promise chains they start run to their next wait.
import type { Clock, Timer } from '../../src/router/worker.js';

interface Pending extends Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/** Lets promise chains and setImmediate callbacks run: no time passes on the fake clock. */
export async function turns(n = 50): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

export class FakeClock implements Clock {
  private timers: Pending[] = [];
  private seq = 0;

  constructor(private t: number) {}

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const timer: Pending = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(timer: Timer): void {
    this.timers = this.timers.filter((x) => x !== timer);
  }

  /** When the next timer is due, if any. */
  next(): number | undefined {
    return this.first()?.at;
  }

  /** Moves time forward by ms, firing every timer that falls due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await turns();
      const first = this.first();
      if (!first || first.at > end) break;
      this.fire(first);
    }
    this.t = end;
    await turns();
  }

  /** Jumps to the next timer and fires it (and any due at the same time); false if none is set. */
  async runNext(): Promise<boolean> {
    await turns();
    const at = this.next();
    if (at === undefined) return false;
    await this.advance(at - this.t);
    return true;
  }

  private first(): Pending | undefined {
    let best: Pending | undefined;
    for (const x of this.timers) if (!best || x.at < best.at || (x.at === best.at && x.seq < best.seq)) best = x;
    return best;
  }

  private fire(timer: Pending): void {
    this.timers = this.timers.filter((x) => x !== timer);
    this.t = Math.max(this.t, timer.at);
    timer.fn();
  }
}
