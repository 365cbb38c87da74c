// A Deliverer whose answers the test scripts: it stands in for the destination's network answer only (the
// store is a real SqliteStore). Each call is recorded; an answer function settles it at once, otherwise the
// call stays in flight until the test answers it.
import type { Deliverer, Job, Outcome } from '../../src/destinations/types.js';
import type { Clock } from '../../src/router/worker.js';

/** Outcomes, or an error thrown for the whole request. */
export type Answer = Outcome[] | Error;

export interface Call {
  n: number;
  at: number;
  jobs: Job[];
  answered: boolean;
  answer(a: Answer): void;
}

export const allDone = (jobs: Job[]): Outcome[] => jobs.map((j) => ({ jobId: j.id, status: 'done' }));

export class ScriptedDeliverer implements Deliverer {
  readonly calls: Call[] = [];
  closed = false;

  constructor(
    readonly maxBatch: number,
    readonly maxInFlight: number,
    private readonly clock: Clock,
    /** Answers call n at once; undefined leaves it in flight. */
    public script?: (jobs: Job[], n: number) => Answer | undefined,
  ) {}

  deliver(jobs: Job[]): Promise<Outcome[]> {
    return new Promise((resolve, reject) => {
      const call: Call = {
        n: this.calls.length,
        at: this.clock.now(),
        jobs,
        answered: false,
        answer: (a) => {
          if (call.answered) throw new Error(`call ${call.n} answered twice`);
          call.answered = true;
          if (a instanceof Error) reject(a);
          else resolve(a);
        },
      };
      this.calls.push(call);
      const a = this.script?.(jobs, call.n);
      if (a !== undefined) call.answer(a);
    });
  }

  inFlight(): Call[] {
    return this.calls.filter((c) => !c.answered);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
