// One command for every benchmark: `npm run bench` (BENCH_SCALE=0.1 for a quick pass; BENCH_ONLY=ingest,e2e to pick).
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
console.log(`node ${process.version}, ${(await import('node:os')).cpus().length} cores, BENCH_SCALE=${process.env.BENCH_SCALE ?? 1}`);
for (const [name, mod] of all) {
  if (only && !only.includes(name)) continue;
  await (await mod()).run();
}
