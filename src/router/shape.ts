// Runs each claimed job through its connection's stage (dropFields, the transformation function) before the
// destination sees it. A job the function drops, or that fails in it, is settled without delivery; a job the
// function splits goes out as several jobs, in the order returned, and is settled once: delivered when every
// part is, retried when a part is (the whole job is sent again: delivery is at-least-once), dead when a part is.
import type { ConnectionStage } from '../connections/stage.js';
import type { Job, Outcome } from '../core/job.js';

export interface Shaped {
  /** What to hand the destination, in the claimed order (a split job's parts stay together, in order). */
  send: Job[];
  /** Jobs settled by their connection (filtered by the function, dead-lettered by it). */
  settled: Outcome[];
  /** Turns the destination's outcomes for `send` back into one outcome per claimed job. */
  fold(outcomes: Outcome[]): Outcome[];
}

/** Part ids are negative: they never collide with a stored job's id. */
let nextPartId = -1;

export async function shapeJobs(jobs: Job[], stages: ReadonlyMap<string, ConnectionStage>): Promise<Shaped> {
  const bySource = new Map<ConnectionStage, number[]>();
  jobs.forEach((j, i) => {
    const stage = stages.get(j.sourceId);
    if (stage?.active) bySource.set(stage, [...(bySource.get(stage) ?? []), i]);
  });
  const prepared = new Map<number, Awaited<ReturnType<ConnectionStage['prepare']>>[number]>();
  await Promise.all(
    [...bySource].map(async ([stage, idx]) => {
      const res = await stage.prepare(idx.map((i) => jobs[i].message));
      idx.forEach((i, k) => prepared.set(i, res[k]));
    }),
  );
  const send: Job[] = [];
  const settled: Outcome[] = [];
  const parts = new Map<number, { jobId: number; index: number; of: number }>();
  jobs.forEach((j, i) => {
    const p = prepared.get(i);
    if (!p) return void send.push(j);
    if (p.kind === 'filtered') return void settled.push({ jobId: j.id, status: 'filtered', rule: p.rule, reason: p.reason });
    if (p.kind === 'dead') return void settled.push({ jobId: j.id, status: 'dead', code: p.code, reason: p.reason });
    if (p.messages.length === 1) return void send.push({ ...j, message: p.messages[0] });
    p.messages.forEach((message, index) => {
      const id = nextPartId--;
      if (nextPartId < -(2 ** 52)) nextPartId = -1;
      parts.set(id, { jobId: j.id, index, of: p.messages.length });
      send.push({ ...j, id, message });
    });
  });
  return { send, settled, fold: (outcomes) => (parts.size ? fold(outcomes, parts) : outcomes) };
}

function fold(outcomes: Outcome[], parts: Map<number, { jobId: number; index: number; of: number }>): Outcome[] {
  const out: Outcome[] = [];
  const byJob = new Map<number, { of: number; got: (Outcome & { index: number })[] }>();
  for (const o of outcomes) {
    const p = parts.get(o.jobId);
    if (!p) {
      out.push(o);
      continue;
    }
    let g = byJob.get(p.jobId);
    if (!g) byJob.set(p.jobId, (g = { of: p.of, got: [] }));
    g.got.push({ ...o, index: p.index });
  }
  for (const [jobId, g] of byJob) {
    // A part the destination did not answer for leaves the job unsettled: the router releases it for another try.
    if (g.got.length < g.of) continue;
    const retry = g.got.find((o) => o.status === 'retry');
    const dead = g.got.find((o) => o.status === 'dead');
    const { index: _i, ...first } = retry ?? dead ?? g.got[0];
    if (retry || dead) {
      const o = (retry ?? dead)!;
      out.push({ ...first, jobId, reason: `part ${o.index + 1} of ${g.of}: ${(o as { reason: string }).reason}` } as Outcome);
    } else if (g.got.every((o) => o.status === 'filtered')) out.push({ ...first, jobId } as Outcome);
    else out.push({ jobId, status: 'done' });
  }
  return out;
}
