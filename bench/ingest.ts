// Ingest: /v1/batch with 100 events per request over loopback, durable (synchronous=FULL, group commit),
// beside a bare node:http server that parses and answers the same requests; then the browser SDK's wire form
// (/v1/b, text/plain, write key in the body) against /v1/batch on the same server.
import { load, p99, startBaseline, startTaproute, writeConfig, type WireForm } from './procs.js';
import { report, type Measured } from './lib.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);

async function measureTaproute(synchronous: 'FULL' | 'NORMAL', requests: number, per: number, conc: number): Promise<Measured> {
  const { file } = writeConfig({ synchronous });
  const tap = await startTaproute(file);
  await load(tap.url, 50, per, conc, 10_000_000); // warm-up
  const t = await load(tap.url, requests, per, conc);
  const rss = tap.peakRssMb();
  await tap.stop();
  const label = synchronous === 'FULL' ? 'taproute /v1/batch (fsync per group commit)' : 'taproute /v1/batch (WAL, synchronous=NORMAL)';
  return { label, ops: requests * per, ms: t.ms, rssMb: rss, unit: 'events', extra: `p99 ack ${p99(t.latencies).toFixed(1)} ms` };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * /v1/b with text/plain bodies against /v1/batch on one server: rounds alternate which form goes first (so a
 * drift in the machine or the growing store weighs on both), and each form's median events/s is compared.
 */
async function compareWireForms(requests: number, per: number, conc: number, rounds = 5): Promise<void> {
  const { file } = writeConfig({});
  const tap = await startTaproute(file);
  let offset = 20_000_000;
  const next = () => (offset += 10_000_000);
  const rates: Record<WireForm, number[]> = { batch: [], b: [] };
  for (const form of ['batch', 'b'] as const) await load(tap.url, 50, per, conc, next(), form); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const form of (r % 2 === 0 ? ['batch', 'b'] : ['b', 'batch']) as WireForm[]) {
      const t = await load(tap.url, requests, per, conc, next(), form);
      rates[form].push((requests * per) / (t.ms / 1000));
    }
  }
  await tap.stop();
  const batch = median(rates.batch);
  const b = median(rates.b);
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(12);
  console.log(`\n== ingest wire forms, ${rounds} interleaved rounds of ${requests} requests x ${per} events, median`);
  console.log(`${'taproute /v1/batch (JSON, HTTP Basic)'.padEnd(44)} ${fmt(batch)} events/s`);
  console.log(`${'taproute /v1/b (text/plain, key in body)'.padEnd(44)} ${fmt(b)} events/s`);
  console.log(`ratio (/v1/b / /v1/batch): ${(b / batch).toFixed(2)}  target: >= 0.90`);
}

export async function run(): Promise<void> {
  const requests = Math.round(2000 * SCALE);
  const per = 100;
  const conc = 16;
  const full = await measureTaproute('FULL', requests, per, conc);
  const normal = await measureTaproute('NORMAL', requests, per, conc);
  const base = await startBaseline();
  await load(base.url, 50, per, conc);
  const b = await load(base.url, requests, per, conc);
  const baseRss = base.peakRssMb();
  await base.stop();
  const baseline: Measured = { label: 'baseline node:http parse+answer', ops: requests * per, ms: b.ms, rssMb: baseRss, unit: 'events', extra: `p99 ack ${p99(b.latencies).toFixed(1)} ms` };
  report('ingest: 100 events per request, 16 connections, loopback (default: FULL)', full, baseline, ['target: >= 30,000 events/s']);
  report('ingest with synchronous=NORMAL (survives kill -9, not power loss)', normal, baseline);
  await compareWireForms(Math.max(20, Math.round(400 * SCALE)), per, conc);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
