// Shared bench helpers: every figure is printed beside a baseline measured in the same run, with the machine's
// load average at that moment (a busy machine shows as such), and recorded for bench/results/*.json.
import { cpus, loadavg } from 'node:os';

export interface Measured {
  label: string;
  ops: number;
  ms: number;
  /** Peak RSS in MB sampled during the run. */
  rssMb: number;
  unit: string;
  extra?: string;
}

/** One figure as written to bench/results/*.json; `title` + `label` identify it across runs. */
export interface Figure {
  title: string;
  label: string;
  /** Higher is better unless `lowerIsBetter`. */
  value: number;
  unit: string;
  lowerIsBetter?: boolean;
  baseline?: { label: string; value: number };
  /** value / baseline.value (or the inverse for lower-is-better figures): the number the targets are set on. */
  ratio?: number;
  rssMb?: number;
  extra?: string;
  /** 1-, 5- and 15-minute load averages when the figure was taken. */
  load: number[];
}

const figures: Figure[] = [];

export function recorded(): Figure[] {
  return figures;
}

export function loadLine(): string {
  return `load average ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${cpus().length} cores`;
}

/** Records a figure that a bench prints in its own format; the ratio is computed here from the baseline. */
export function record(f: Omit<Figure, 'load' | 'ratio'>): void {
  const ratio = f.baseline ? (f.lowerIsBetter ? f.baseline.value / f.value : f.value / f.baseline.value) : undefined;
  figures.push({ ...f, ...(ratio !== undefined ? { ratio: Math.round(ratio * 1000) / 1000 } : {}), load: loadavg().map((x) => Math.round(x * 100) / 100) });
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

/** Prints a result next to its baseline with the ratio (higher is better for the subject), and records it. */
export function report(title: string, subject: Measured, baseline: Measured, notes: string[] = []): void {
  const fmt = (m: Measured) =>
    `${m.label.padEnd(44)} ${Math.round(rate(m)).toLocaleString('en-US').padStart(12)} ${m.unit}/s  ${m.ms.toFixed(0).padStart(7)} ms  rss ${m.rssMb.toFixed(0)} MB${m.extra ? '  ' + m.extra : ''}`;
  const ratio = rate(subject) / rate(baseline);
  console.log(`\n== ${title}`);
  console.log(fmt(subject));
  console.log(fmt(baseline));
  console.log(`ratio (subject / baseline): ${ratio.toFixed(2)}   (${loadLine()})`);
  for (const n of notes) console.log(n);
  record({
    title,
    label: subject.label,
    value: Math.round(rate(subject)),
    unit: `${subject.unit}/s`,
    baseline: { label: baseline.label, value: Math.round(rate(baseline)) },
    rssMb: Math.round(subject.rssMb),
    ...(subject.extra ? { extra: subject.extra } : {}),
  });
}
