// Ingest: /v1/batch with 100 events per request over loopback, durable (synchronous=FULL, group commit),
// beside a bare node:http server that parses and answers the same requests, for both event mixes
// (bench/events.ts): the compact ~1 KB track load and the realistic ~1.4 KB mix.
// The machine is shared, and its load drifts within seconds: Taproute (FULL and NORMAL) and the bare server run
// side by side and are loaded in turns, ROUNDS times each, and every figure is the median of its rounds.
// Then, on the FULL server, an open-loop run at half its measured rate gives the p99 acknowledgement latency.
import { load, loadAtRate, p99, startBaseline, startTaproute, writeConfig, type Proc } from './procs.js';
import { loadLine, record, report, type Measured } from './lib.js';
import type { Mix } from './events.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Subject {
  label: string;
  proc: Proc;
  rates: number[];
  p99s: number[];
}

export async function run(): Promise<void> {
  const requests = Math.round(2000 * SCALE);
  const per = 100;
  const conc = 16;
  for (const mix of ['compact', 'realistic'] as Mix[]) {
    const subjects: Subject[] = [
      { label: 'taproute /v1/batch (fsync per group commit)', proc: await startTaproute(writeConfig({ synchronous: 'FULL' }).file), rates: [], p99s: [] },
      { label: 'baseline node:http parse+answer', proc: await startBaseline(), rates: [], p99s: [] },
      { label: 'taproute /v1/batch (WAL, synchronous=NORMAL)', proc: await startTaproute(writeConfig({ synchronous: 'NORMAL' }).file), rates: [], p99s: [] },
    ];
    for (const s of subjects) await load(s.proc.url, 50, per, conc, 90_000_000, 'batch', mix); // warm-up
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate the order, so that neither side always follows the other.
      for (const s of r % 2 ? [...subjects].reverse() : subjects) {
        const t = await load(s.proc.url, requests, per, conc, r * requests * per, 'batch', mix);
        s.rates.push((requests * per) / (t.ms / 1000));
        s.p99s.push(p99(t.latencies));
      }
    }
    const [full, base, normal] = subjects;
    const halfRate = median(full.rates) / 2;
    const h = await loadAtRate(full.proc.url, requests, per, conc, halfRate / per, 50_000_000, mix);
    const halfP99 = p99(h.latencies);
    // The same open loop against the bare server: what the machine itself does to the tail at that moment.
    const bareP99 = p99((await loadAtRate(base.proc.url, requests, per, conc, halfRate / per, 50_000_000, mix)).latencies);
    const measured = (s: Subject): Measured => {
      const r = median(s.rates);
      return { label: s.label, ops: requests * per, ms: ((requests * per) / r) * 1000, rssMb: s.proc.peakRssMb(), unit: 'events', extra: `p99 ack ${median(s.p99s).toFixed(1)} ms` };
    };
    const title = `ingest (${mix} mix): 100 events per request, 16 connections, loopback (default: FULL)`;
    const rounds = `median of ${ROUNDS} rounds, loaded in turns: ${full.rates.map((x, i) => `${Math.round(x)}/${Math.round(base.rates[i])}`).join(', ')} events/s (FULL/bare)`;
    report(title, measured(full), measured(base), [rounds, 'target: ratio >= 0.50 (stretch 0.60)']);
    report(`ingest (${mix} mix) with synchronous=NORMAL (survives kill -9, not power loss)`, measured(normal), measured(base));
    console.log(`p99 acknowledgement at half that rate (open loop, ${Math.round(halfRate).toLocaleString('en-US')} events/s, FULL): ${halfP99.toFixed(1)} ms  target: <= 50 ms; the bare server at the same rate: ${bareP99.toFixed(1)} ms   (${loadLine()})`);
    record({
      title,
      label: 'p99 ack at half the measured rate (open loop)',
      value: Math.round(halfP99 * 10) / 10,
      unit: 'ms',
      lowerIsBetter: true,
      baseline: { label: 'bare server, same open loop', value: Math.round(bareP99 * 10) / 10 },
      ratio: Math.round((bareP99 / halfP99) * 1000) / 1000,
      extra: `${Math.round(halfRate)} events/s; target <= 50 ms`,
    });
    for (const s of subjects) await s.proc.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
