// Ingest with the console's live debugger attached (an SSE stream reading every event) against ingest with no
// stream, on one server: interleaved rounds, medians of events/s and server CPU per event. Target: within 10%.
import { request } from 'undici';
import { load, startTaproute, writeConfig } from './procs.js';
import { loadLine, record } from './lib.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const TOKEN = 'bench-admin-token';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Opens the debugger's stream as a browser would (logged in) and reads it until `stop`. */
async function attachStream(url: string): Promise<{ stop(): Promise<number> }> {
  const login = await request(`${url}/console/api/login`, { method: 'POST', headers: { 'content-type': 'application/json', origin: url }, body: JSON.stringify({ token: TOKEN }) });
  await login.body.text();
  const cookie = String(login.headers['set-cookie']).split(';')[0];
  const res = await request(`${url}/console/api/stream`, { headers: { cookie } });
  let bytes = 0;
  const reading = (async () => {
    for await (const chunk of res.body) bytes += (chunk as Buffer).length;
  })().catch(() => {});
  return {
    async stop() {
      res.body.destroy();
      await reading;
      return bytes;
    },
  };
}

export async function run(): Promise<void> {
  const requests = Math.max(20, Math.round(300 * SCALE));
  const per = 100;
  const conc = 16;
  const rounds = 7;
  const { file } = writeConfig({ adminToken: TOKEN });
  const tap = await startTaproute(file);
  let offset = 40_000_000;
  const next = () => (offset += 10_000_000);
  const rates = { off: [] as number[], on: [] as number[] };
  const cpu = { off: [] as number[], on: [] as number[] };
  let streamed = 0;
  await load(tap.url, 50, per, conc, next()); // warm-up
  for (let r = 0; r < rounds; r++) {
    for (const mode of (r % 2 === 0 ? ['off', 'on'] : ['on', 'off']) as ('off' | 'on')[]) {
      const stream = mode === 'on' ? await attachStream(tap.url) : null;
      const c0 = tap.cpuMs();
      const t = await load(tap.url, requests, per, conc, next());
      rates[mode].push((requests * per) / (t.ms / 1000));
      cpu[mode].push(((tap.cpuMs() - c0) * 1000) / (requests * per));
      if (stream) streamed += await stream.stop();
    }
  }
  await tap.stop();
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US').padStart(12);
  console.log(`\n== ingest with the console's live stream attached, ${rounds} interleaved rounds of ${requests} requests x ${per} events, median`);
  console.log(`${'no console stream'.padEnd(32)} ${fmt(median(rates.off))} events/s  ${median(cpu.off).toFixed(1).padStart(6)} µs server CPU per event`);
  console.log(`${'one console stream attached'.padEnd(32)} ${fmt(median(rates.on))} events/s  ${median(cpu.on).toFixed(1).padStart(6)} µs server CPU per event  (${Math.round(streamed / 1024)} KiB streamed)`);
  console.log(`ratio (attached / none): ${(median(rates.on) / median(rates.off)).toFixed(2)} events/s, ${(median(cpu.off) / median(cpu.on)).toFixed(2)} CPU  target: >= 0.90   (${loadLine()})`);
  record({
    title: 'ingest with the console live stream attached (median of interleaved rounds)',
    label: 'one console stream attached',
    value: Math.round(median(rates.on)),
    unit: 'events/s',
    baseline: { label: 'no console stream', value: Math.round(median(rates.off)) },
  });
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
