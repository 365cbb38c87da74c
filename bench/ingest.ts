// Ingest: /v1/batch with 100 events per request over loopback, durable (synchronous=FULL, group commit),
// beside a bare node:http server that parses and answers the same requests, for both event mixes
// (bench/events.ts): the compact ~1 KB track load and the realistic ~1.4 KB mix.
import { load, loadAtRate, p99, startBaseline, startTaproute, writeConfig } from './procs.js';
import { loadLine, rate, record, report, type Measured } from './lib.js';
import type { Mix } from './events.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);

/** p99 acknowledgement latency of an open-loop run at half the rate just measured (on the same server). */
interface HalfRate {
  eventsPerSec: number;
  p99Ms: number;
}

async function measureTaproute(synchronous: 'FULL' | 'NORMAL', requests: number, per: number, conc: number, mix: Mix, half?: HalfRate[]): Promise<Measured> {
  const { file } = writeConfig({ synchronous });
  const tap = await startTaproute(file);
  await load(tap.url, 50, per, conc, 10_000_000, 'batch', mix); // warm-up
  const t = await load(tap.url, requests, per, conc, 0, 'batch', mix);
  const rss = tap.peakRssMb();
  if (half) {
    const eventsPerSec = (requests * per) / (t.ms / 1000) / 2;
    const h = await loadAtRate(tap.url, requests, per, conc, eventsPerSec / per, 20_000_000, mix);
    half.push({ eventsPerSec, p99Ms: p99(h.latencies) });
  }
  await tap.stop();
  const label = synchronous === 'FULL' ? 'taproute /v1/batch (fsync per group commit)' : 'taproute /v1/batch (WAL, synchronous=NORMAL)';
  return { label, ops: requests * per, ms: t.ms, rssMb: rss, unit: 'events', extra: `p99 ack ${p99(t.latencies).toFixed(1)} ms` };
}

async function measureBaseline(requests: number, per: number, conc: number, mix: Mix): Promise<Measured> {
  const base = await startBaseline();
  await load(base.url, 50, per, conc, 10_000_000, 'batch', mix);
  const b = await load(base.url, requests, per, conc, 0, 'batch', mix);
  const baseRss = base.peakRssMb();
  await base.stop();
  return { label: 'baseline node:http parse+answer', ops: requests * per, ms: b.ms, rssMb: baseRss, unit: 'events', extra: `p99 ack ${p99(b.latencies).toFixed(1)} ms` };
}

export async function run(): Promise<void> {
  const requests = Math.round(2000 * SCALE);
  const per = 100;
  const conc = 16;
  for (const mix of ['compact', 'realistic'] as Mix[]) {
    // Taproute and the bare server in turns, so a drift in the machine's load weighs on both.
    const half: HalfRate[] = [];
    const full = await measureTaproute('FULL', requests, per, conc, mix, half);
    const baseline = await measureBaseline(requests, per, conc, mix);
    const normal = await measureTaproute('NORMAL', requests, per, conc, mix);
    const title = `ingest (${mix} mix): 100 events per request, 16 connections, loopback (default: FULL)`;
    report(title, full, baseline, ['target: ratio >= 0.50 (stretch 0.60)']);
    report(`ingest (${mix} mix) with synchronous=NORMAL (survives kill -9, not power loss)`, normal, baseline);
    const [h] = half;
    console.log(`p99 acknowledgement at half that rate (open loop, ${Math.round(h.eventsPerSec).toLocaleString('en-US')} events/s of ${Math.round(rate(full)).toLocaleString('en-US')}, FULL): ${h.p99Ms.toFixed(1)} ms  target: <= 50 ms   (${loadLine()})`);
    record({ title, label: 'p99 ack at half the measured rate (open loop)', value: Math.round(h.p99Ms * 10) / 10, unit: 'ms', lowerIsBetter: true, extra: `${Math.round(h.eventsPerSec)} events/s; target <= 50 ms` });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
