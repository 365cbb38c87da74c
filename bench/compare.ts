// `npm run bench -- --compare <file>`: the change of each figure against an earlier results file. Ratios (figure /
// same-run baseline) are compared first: they survive a different machine load far better than raw rates.
import { readFileSync } from 'node:fs';
import type { Figure } from './lib.js';

export interface Results {
  date: string;
  node: string;
  cores: number;
  scale: number;
  commit?: string;
  load: { start: number[]; end: number[] };
  figures: Figure[];
}

// Titles carry run sizes ("50,000 events (~1399 B)"): numbers are left out of the key, so runs at another
// BENCH_SCALE still pair up.
const key = (f: Figure) => `${f.title.replace(/\d[\d,.]*/g, '#')} :: ${f.label}`;
const pct = (now: number, then: number) => `${now >= then ? '+' : ''}${(((now - then) / then) * 100).toFixed(0)}%`;

export function compareResults(now: Results, then: Results): string[] {
  const old = new Map(then.figures.map((f) => [key(f), f]));
  const lines = [`\n== compared with ${then.date}${then.commit ? ` (${then.commit})` : ''}, BENCH_SCALE=${then.scale}, load then ${then.load.start.join(' ')}`];
  for (const f of now.figures) {
    const o = old.get(key(f));
    if (!o) {
      lines.push(`${f.title} :: ${f.label}: new`);
      continue;
    }
    const better = (a: number, b: number) => (f.lowerIsBetter ? b / a : a / b);
    const ratio = f.ratio !== undefined && o.ratio !== undefined ? `ratio ${o.ratio.toFixed(2)} -> ${f.ratio.toFixed(2)} (${pct(f.ratio, o.ratio)})  ` : '';
    lines.push(`${f.title} :: ${f.label}\n    ${ratio}value ${o.value} -> ${f.value} ${f.unit} (${better(f.value, o.value) >= 1 ? 'better' : 'worse'} ${pct(f.value, o.value)})`);
  }
  return lines;
}

export function readResults(file: string): Results {
  return JSON.parse(readFileSync(file, 'utf8')) as Results;
}
