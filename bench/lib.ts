// Shared bench helpers: every figure is printed beside a baseline measured in the same run.
export interface Measured {
  label: string;
  ops: number;
  ms: number;
  /** Peak RSS in MB sampled during the run. */
  rssMb: number;
  unit: string;
  extra?: string;
}

/** Runs fn once (after a warm-up call) and reports ops/s and peak RSS. */
export async function measure(label: string, unit: string, ops: number, fn: () => unknown | Promise<unknown>, warmup = true): Promise<Measured> {
  if (warmup) await fn();
  let peak = process.memoryUsage.rss();
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 20);
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage.rss());
  return { label, ops, ms, rssMb: peak / 1048576, unit };
}

export function rate(m: Measured): number {
  return m.ops / (m.ms / 1000);
}

/** Prints a result next to its baseline with the ratio (higher is better for the subject). */
export function report(title: string, subject: Measured, baseline: Measured, notes: string[] = []): void {
  const fmt = (m: Measured) =>
    `${m.label.padEnd(44)} ${Math.round(rate(m)).toLocaleString('en-US').padStart(12)} ${m.unit}/s  ${m.ms.toFixed(0).padStart(7)} ms  rss ${m.rssMb.toFixed(0)} MB${m.extra ? '  ' + m.extra : ''}`;
  console.log(`\n== ${title}`);
  console.log(fmt(subject));
  console.log(fmt(baseline));
  console.log(`ratio (subject / baseline): ${(rate(subject) / rate(baseline)).toFixed(2)}`);
  for (const n of notes) console.log(n);
}
