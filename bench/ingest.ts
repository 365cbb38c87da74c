// Ingest: /v1/batch with 100 events per request over loopback, durable (synchronous=FULL, group commit),
// beside a bare node:http server that parses and answers the same requests, for both event mixes
// (bench/events.ts): the compact ~1 KB track load and the realistic ~1.4 KB mix.
// The machine is shared, and its load drifts within seconds: Taproute (FULL, then NORMAL) and the bare server run
// side by side and are loaded in turns, ROUNDS times each, and every figure is the median of its rounds.
// Then, on the FULL server, an open-loop run at half its measured rate gives the p99 acknowledgement latency.
import { diskSync, load, loadAtRate, p99, startBaseline, startTaproute, writeConfig, type Proc } from './procs.js';
import { loadLine, record, report, type Measured } from './lib.js';
import type { Mix } from './events.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

interface Side {
  label: string;
  proc: Proc;
  rates: number[];
  p99s: number[];
}

function measured(s: Side, events: number): Measured {
  const r = median(s.rates);
  return { label: s.label, ops: events, ms: (events / r) * 1000, rssMb: s.proc.peakRssMb(), unit: 'events', extra: `p99 ack ${median(s.p99s).toFixed(1)} ms` };
}

export async function run(): Promise<void> {
  const requests = Math.round(2000 * SCALE);
  const per = 100;
  const conc = 16;
  for (const mix of ['compact', 'realistic'] as Mix[]) {
    const base = await startBaseline();
    await load(base.url, 50, per, conc, 90_000_000, 'batch', mix); // warm-up
    const title = `ingest (${mix} mix): 100 events per request, 16 connections, loopback (default: FULL)`;
    for (const synchronous of ['FULL', 'NORMAL'] as const) {
      // One Taproute at a time beside the bare server (an idle one would still spend CPU on its backlog).
      const tap = await startTaproute(writeConfig({ synchronous }).file);
      await load(tap.url, 50, per, conc, 90_000_000, 'batch', mix); // warm-up
      const label = synchronous === 'FULL' ? 'taproute /v1/batch (fsync per group commit)' : 'taproute /v1/batch (WAL, synchronous=NORMAL)';
      const sides: Side[] = [{ label, proc: tap, rates: [], p99s: [] }, { label: 'baseline node:http parse+answer', proc: base, rates: [], p99s: [] }];
      for (let r = 0; r < ROUNDS; r++) {
        // Alternate the order, so that neither side always follows the other.
        for (const s of r % 2 ? [...sides].reverse() : sides) {
          const t = await load(s.proc.url, requests, per, conc, (synchronous === 'FULL' ? 0 : 10_000_000) + r * requests * per, 'batch', mix);
          s.rates.push((requests * per) / (t.ms / 1000));
          s.p99s.push(p99(t.latencies));
        }
      }
      const [subject, bare] = sides;
      const rounds = `median of ${ROUNDS} rounds, loaded in turns: ${subject.rates.map((x, i) => `${Math.round(x)}/${Math.round(bare.rates[i])}`).join(', ')} events/s (taproute/bare)`;
      if (synchronous === 'FULL') {
        report(title, measured(subject, requests * per), measured(bare, requests * per), [rounds, 'target: ratio >= 0.50 (stretch 0.60)']);
        // Open loop at half the measured rate, then the same against the bare server: what the machine itself
        // does to the tail at that moment.
        const halfRate = median(subject.rates) / 2;
        const halfP99 = p99((await loadAtRate(tap.url, requests, per, conc, halfRate / per, 50_000_000, mix)).latencies);
        const bareP99 = p99((await loadAtRate(base.url, requests, per, conc, halfRate / per, 50_000_000, mix)).latencies);
        console.log(`p99 acknowledgement at half that rate (open loop, ${Math.round(halfRate).toLocaleString('en-US')} events/s, FULL): ${halfP99.toFixed(1)} ms  target: <= 50 ms; the bare server at the same rate: ${bareP99.toFixed(1)} ms   (${loadLine()})`);
        const disk = diskSync();
        console.log(`the disk just then: fsync of a 256 KB overwrite p50 ${disk.p50.toFixed(1)} ms, p99 ${disk.p99.toFixed(1)} ms (every durable acknowledgement waits for one)`);
        record({
          title,
          label: 'p99 ack at half the measured rate (open loop)',
          value: Math.round(halfP99 * 10) / 10,
          unit: 'ms',
          lowerIsBetter: true,
          baseline: { label: 'bare server, same open loop', value: Math.round(bareP99 * 10) / 10 },
          extra: `${Math.round(halfRate)} events/s; target <= 50 ms; disk fsync p99 ${disk.p99.toFixed(1)} ms`,
        });
      } else report(`ingest (${mix} mix) with synchronous=NORMAL (survives kill -9, not power loss)`, measured(subject, requests * per), measured(bare, requests * per), [rounds]);
      await tap.stop();
    }
    await base.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
