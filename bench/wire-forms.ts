// Ingest through the browser SDK's wire form — /v1/b, text/plain, the write key in the body and in every event
// (Segment's analytics-next in batching mode) — against /v1/batch (JSON, HTTP Basic) on the same server.
import { load, startTaproute, writeConfig, type WireForm } from './procs.js';
import { loadLine, record } from './lib.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * /v1/b with text/plain bodies against /v1/batch on one server: rounds alternate which form goes first (so a
 * drift in the machine or the growing store weighs on both), and each form's median is compared — events/s, and
 * the server's CPU time per event, which other load on a shared machine disturbs less.
 */
export async function compareWireForms(requests: number, per: number, conc: number, rounds = 7): Promise<void> {
  const { file } = writeConfig({});
  const tap = await startTaproute(file);
  let offset = 20_000_000;
  const next = () => (offset += 10_000_000);
  const rates: Record<WireForm, number[]> = { batch: [], b: [] };
  const cpu: Record<WireForm, number[]> = { batch: [], b: [] };
  for (const form of ['batch', 'b'] as const) await load(tap.url, 50, per, conc, next(), form); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const form of (r % 2 === 0 ? ['batch', 'b'] : ['b', 'batch']) as WireForm[]) {
      const c0 = tap.cpuMs();
      const t = await load(tap.url, requests, per, conc, next(), form);
      rates[form].push((requests * per) / (t.ms / 1000));
      cpu[form].push(((tap.cpuMs() - c0) * 1000) / (requests * per));
    }
  }
  await tap.stop();
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(12);
  console.log(`\n== ingest wire forms, ${rounds} interleaved rounds of ${requests} requests x ${per} events, median`);
  for (const [form, label] of [['batch', 'taproute /v1/batch (JSON, HTTP Basic)'], ['b', 'taproute /v1/b (text/plain, key in body)']] as const)
    console.log(`${label.padEnd(44)} ${fmt(median(rates[form]))} events/s  ${median(cpu[form]).toFixed(1).padStart(6)} µs server CPU per event`);
  console.log(`ratio (/v1/b / /v1/batch): ${(median(rates.b) / median(rates.batch)).toFixed(2)} events/s, ${(median(cpu.batch) / median(cpu.b)).toFixed(2)} CPU  target: >= 0.90   (${loadLine()})`);
  record({
    title: 'ingest wire forms (median of interleaved rounds)',
    label: 'taproute /v1/b (text/plain, key in body)',
    value: Math.round(median(rates.b)),
    unit: 'events/s',
    baseline: { label: 'taproute /v1/batch (JSON, HTTP Basic)', value: Math.round(median(rates.batch)) },
  });
}

export async function run(): Promise<void> {
  await compareWireForms(Math.max(20, Math.round(300 * SCALE)), 100, 16);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
