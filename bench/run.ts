// One command for every benchmark: `npm run bench` (BENCH_SCALE=0.1 for a quick pass; BENCH_ONLY=ingest,e2e to pick).
// Results go to bench/results/<date>.json; `npm run bench -- --compare bench/results/<earlier>.json` prints the change.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { compareResults, readResults, type Results } from './compare.js';
import { loadLine, recorded } from './lib.js';

const { values: args } = parseArgs({ options: { compare: { type: 'string' }, out: { type: 'string' } } });
const earlier = args.compare ? readResults(args.compare) : undefined; // read first: a bad path fails before a long run
const only = process.env.BENCH_ONLY?.split(',');
const all: [string, () => Promise<{ run(): Promise<void> }>][] = [
  ['transform', () => import('./transform.js')],
  ['connections', () => import('./connections.js')],
  ['store', () => import('./store.js')],
  ['ingest', () => import('./ingest.js')],
  ['wire-forms', () => import('./wire-forms.js')],
  ['console', () => import('./console.js')],
  ['e2e', () => import('./e2e.js')],
  ['backlog', () => import('./backlog.js')],
  ['warehouse', () => import('./warehouse.js')],
  ['cluster', () => import('./cluster.js')],
];
const scale = Number(process.env.BENCH_SCALE ?? 1);
const startLoad = loadavg();
console.log(`node ${process.version}, ${cpus().length} cores, BENCH_SCALE=${scale}, ${loadLine()}`);
for (const [name, mod] of all) {
  if (only && !only.includes(name)) continue;
  await (await mod()).run();
}

let commit: string | undefined;
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  commit = undefined; // not a git checkout
}
const results: Results = {
  date: new Date().toISOString(),
  node: process.version,
  cores: cpus().length,
  scale,
  ...(commit ? { commit } : {}),
  load: { start: startLoad.map((x) => Math.round(x * 100) / 100), end: loadavg().map((x) => Math.round(x * 100) / 100) },
  figures: recorded(),
};
const out = args.out ?? `bench/results/${results.date.replace(/[:.]/g, '-')}.json`;
mkdirSync('bench/results', { recursive: true });
writeFileSync(out, JSON.stringify(results, null, 2) + '\n');
console.log(`\nresults: ${out}`);
if (earlier) for (const line of compareResults(results, earlier)) console.log(line);
