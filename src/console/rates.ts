// Events per second over the last hour for the overview chart: the store's counters (the whole cluster's,
// whichever node reads them) sampled every SAMPLE_MS; rates are the differences between samples.
import type { Store } from '../store/types.js';

const SAMPLE_MS = 10_000;
const KEEP = 361; // one hour of samples and the one before it

interface Sample {
  t: number;
  received: number;
  delivered: number;
  dead: number;
}

export interface RatePoint {
  t: number;
  received: number;
  delivered: number;
  dead: number;
}

export class RateSampler {
  private readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly store: Store) {}

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Per-second rates between consecutive samples, oldest first. */
  points(): RatePoint[] {
    const out: RatePoint[] = [];
    for (let i = 1; i < this.samples.length; i++) {
      const a = this.samples[i - 1];
      const b = this.samples[i];
      const dt = (b.t - a.t) / 1000;
      if (dt <= 0) continue;
      const rate = (x: number, y: number) => Math.max(0, Math.round(((y - x) / dt) * 100) / 100);
      out.push({ t: b.t, received: rate(a.received, b.received), delivered: rate(a.delivered, b.delivered), dead: rate(a.dead, b.dead) });
    }
    return out;
  }

  private async sample(): Promise<void> {
    try {
      const counts = await this.store.counts();
      const sum = (k: 'received' | 'delivered' | 'dead') => counts.reduce((n, c) => n + c[k], 0);
      this.samples.push({ t: Date.now(), received: sum('received'), delivered: sum('delivered'), dead: sum('dead') });
      if (this.samples.length > KEEP) this.samples.shift();
    } catch {
      // A store that cannot be read now leaves a gap in the chart; the overview itself reports the error.
    }
  }
}
