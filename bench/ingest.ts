// Ingest: /v1/batch with 100 events per request over loopback, durable (synchronous=FULL, group commit),
// beside a bare node:http server that parses and answers the same requests.
import { load, p99, startBaseline, startTaproute, writeConfig } from './procs.js';
import { report, type Measured } from './lib.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);

export async function run(): Promise<void> {
  const requests = Math.round(2000 * SCALE);
  const per = 100;
  const conc = 16;
  const { file } = writeConfig({});
  const tap = await startTaproute(file);
  await load(tap.url, 50, per, conc, 10_000_000); // warm-up
  const t = await load(tap.url, requests, per, conc);
  const tapRss = tap.peakRssMb();
  await tap.stop();
  const base = await startBaseline();
  await load(base.url, 50, per, conc);
  const b = await load(base.url, requests, per, conc);
  const baseRss = base.peakRssMb();
  await base.stop();
  const subject: Measured = { label: 'taproute /v1/batch (durable, FULL fsync)', ops: requests * per, ms: t.ms, rssMb: tapRss, unit: 'events', extra: `p99 ack ${p99(t.latencies).toFixed(1)} ms` };
  const baseline: Measured = { label: 'baseline node:http parse+answer', ops: requests * per, ms: b.ms, rssMb: baseRss, unit: 'events', extra: `p99 ack ${p99(b.latencies).toFixed(1)} ms` };
  report('ingest: 100 events per request, 16 connections, loopback', subject, baseline, ['target: >= 30,000 events/s']);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
