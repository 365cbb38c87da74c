// Backlog: CleverTap is down (503) while 1,000,000 events arrive; peak RSS of Taproute, then drain time.
import { request } from 'undici';
import { load, startTaproute, startEmulatorProc, writeConfig } from './procs.js';
import { accepted, measureEndToEnd, waitAccepted } from './e2e.js';
import { loadLine, rate, record } from './lib.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);

export async function run(): Promise<void> {
  const total = Math.round(1_000_000 * SCALE);
  const per = 500;
  const emu = await startEmulatorProc(['--status', '503']);
  const { file } = writeConfig({ emulatorUrl: emu.url, synchronous: 'NORMAL' });
  const tap = await startTaproute(file);
  const t0 = performance.now();
  await load(tap.url, Math.ceil(total / per), per, 8);
  const ingestMs = performance.now() - t0;
  const before = await accepted(emu.url);
  const ingestRss = tap.peakRssMb();
  const r = await request(`${emu.url}/_emulator/faults`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
  await r.body.text();
  const t1 = performance.now();
  await waitAccepted(emu.url, Math.ceil(total / per) * per);
  const drainMs = performance.now() - t1;
  const rss = tap.peakRssMb();
  await tap.stop();
  await emu.stop();
  const n = Math.ceil(total / per) * per;
  // The drain is held to the end-to-end rate of this same run (same load on the machine): a short end-to-end
  // run as bench/e2e.ts makes it (compact mix, 100 events per request, 16 connections) right after it.
  const e2e = await measureEndToEnd(Math.max(100, Math.round(2000 * SCALE)), 100, 'compact');
  const drainRate = n / (drainMs / 1000);
  console.log(`\n== backlog: ${n.toLocaleString('en-US')} events while CleverTap answers 503`);
  console.log(`ingest while down: ${(n / (ingestMs / 1000)).toFixed(0)} events/s (${(ingestMs / 1000).toFixed(1)} s), accepted before recovery: ${before}`);
  console.log(`peak RSS of taproute: ${rss.toFixed(0)} MB (target <= 300 MB); ${ingestRss.toFixed(0)} MB by the end of the ingest phase`);
  console.log(`drain after recovery: ${(drainMs / 1000).toFixed(1)} s = ${drainRate.toFixed(0)} events/s   (${loadLine()})`);
  console.log(`end to end in the same run: ${rate(e2e).toFixed(0)} events/s; drain / end to end: ${(drainRate / rate(e2e)).toFixed(2)}  target: >= 1.00`);
  const title = `backlog: ${n} events while CleverTap answers 503`;
  record({ title, label: 'peak RSS of taproute', value: Math.round(rss), unit: 'MB', lowerIsBetter: true, extra: 'target <= 300 MB' });
  record({
    title,
    label: 'drain after recovery',
    value: Math.round(drainRate),
    unit: 'events/s',
    baseline: { label: 'end to end in the same run', value: Math.round(rate(e2e)) },
    extra: 'target: ratio >= 1.00',
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
