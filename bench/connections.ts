// What a connection's filter and function cost, each beside the same work without them, in the same run:
// 1. the CleverTap transform on one core with a filter (types, allowEvents, denyEvents, where, dropFields) that
//    lets every event through, so both sides map the same events; target: the filter costs under 10%;
// 2. the same with an identity function (its own thread, batches of 1000 as the router claims them);
// 3. end to end (ingest → store → router → emulator) with an identity function; target: under 30%.
import { fileURLToPath } from 'node:url';
import { ConnectionStage } from '../src/connections/stage.js';
import { compileTransform } from '../src/destinations/clevertap/transform.js';
import type { Message } from '../src/message/schema.js';
import { accepted } from './e2e.js';
import { measure, rate, report, type Measured } from './lib.js';
import { load, startEmulatorProc, startTaproute, writeConfig } from './procs.js';
import { buildEvents } from './events.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const POOL = 10_000;
const ROUNDS = Math.max(1, Math.round(10 * SCALE));
const BATCH = 1000;

const FILTER = {
  types: ['identify', 'track', 'page', 'screen'] as ('identify' | 'track' | 'page' | 'screen')[],
  allowEvents: ['*'],
  denyEvents: ['Debug *', 'Internal *'],
  where: "properties.env != 'test' and context.library.name != 'test-runner'",
  dropFields: ['context.ip', 'context.userAgent'],
};
const IDENTITY = fileURLToPath(new URL('../test/connections/functions/identity.js', import.meta.url));

async function inProcess(): Promise<void> {
  const events = buildEvents(POOL) as Message[];
  const n = POOL * ROUNDS;
  const transform = compileTransform({ accountId: 'bench', passcode: 'bench' });
  let sink = 0;
  // Each side maps a fresh copy (dropFields edits in place, as it does on a claimed job).
  const copies = () => events.map((e) => structuredClone(e));
  const plain = await measure('clevertap transform', 'events', n, () => {
    for (let r = 0; r < ROUNDS; r++) for (const e of copies()) sink += transform(e).ok ? 1 : 0;
  });
  const filtered = new ConnectionStage({ source: 'web', destination: 'ct', filter: FILTER }, { id: 'ct', type: 'clevertap' });
  let passed = 0;
  const withFilter = await measure('filter + clevertap transform', 'events', n, () => {
    for (let r = 0; r < ROUNDS; r++)
      for (const e of copies()) {
        if (filtered.refuse(e as unknown as Record<string, unknown>)) continue;
        passed++;
        filtered.filter.dropFields(e as unknown as Record<string, unknown>);
        sink += transform(e).ok ? 1 : 0;
      }
  });
  report(`connection filter: ${n.toLocaleString('en-US')} events, one core`, withFilter, plain, [
    `${((passed / 2 / n) * 100).toFixed(0)}% of events passed the filter`,
    `target: the filter costs under 10% (ratio >= 0.90) -> ${rate(withFilter) / rate(plain) >= 0.9 ? 'met' : 'NOT met'}`,
  ]);

  const fn = new ConnectionStage({ source: 'web', destination: 'ct', function: IDENTITY, functionTimeout: 1000 }, { id: 'ct', type: 'clevertap' });
  await fn.start();
  const withFunction = await measure('identity function + clevertap transform', 'events', n, async () => {
    for (let r = 0; r < ROUNDS; r++) {
      const all = copies();
      for (let i = 0; i < all.length; i += BATCH)
        for (const p of await fn.prepare(all.slice(i, i + BATCH))) if (p.kind === 'send') for (const m of p.messages) sink += transform(m).ok ? 1 : 0;
    }
  });
  await fn.close();
  report(`identity function (own thread, batches of ${BATCH}): ${n.toLocaleString('en-US')} events`, withFunction, plain, [
    'the thread hop: a structured clone each way per batch',
  ]);
  if (sink === 42) console.log('');
}

async function endToEnd(withFunction: boolean): Promise<Measured> {
  const requests = Math.round(1000 * SCALE);
  const per = 100;
  const emu = await startEmulatorProc();
  const { file } = writeConfig({ emulatorUrl: emu.url, connection: withFunction ? { function: IDENTITY, functionTimeout: '1s' } : {} });
  const tap = await startTaproute(file);
  const t0 = performance.now();
  await load(tap.url, requests, per, 16);
  const end = Date.now() + 600_000;
  while ((await accepted(emu.url)) < requests * per && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  const ms = performance.now() - t0;
  const rss = tap.peakRssMb();
  await tap.stop();
  await emu.stop();
  return { label: withFunction ? 'end to end, identity function' : 'end to end, no function', ops: requests * per, ms, rssMb: rss, unit: 'events' };
}

export async function run(): Promise<void> {
  await inProcess();
  const without = await endToEnd(false);
  const withFn = await endToEnd(true);
  report('identity function end to end: ingest → store → router → CleverTap emulator', withFn, without, [
    `target: the function costs under 30% (ratio >= 0.70) -> ${rate(withFn) / rate(without) >= 0.7 ? 'met' : 'NOT met'}`,
  ]);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
