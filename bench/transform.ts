// CleverTap transform throughput on one core, beside a baseline measured in the same run:
// JSON.parse(JSON.stringify(event)) of the same events (a deep copy: the least any mapping step could cost).
// Both mixes of bench/events.ts, each compat mode, and per message type (the realistic mix, default mapping).
import { report, rate, type Measured } from './lib.js';
import { compileTransform } from '../src/destinations/clevertap/transform.js';
import type { CleverTapSettings } from '../src/destinations/clevertap/settings.js';
import { buildEvents, kindOf, MIXES, type Mix } from './events.js';
import type { InboundMessage } from '../src/message/schema.js';

const POOL = 10_000; // distinct events, replayed ROUNDS times: 250k events at BENCH_SCALE=1 (fewer per type)
const ROUNDS = Math.max(1, Math.round(25 * Number(process.env.BENCH_SCALE ?? 1)));

const MODES: [string, CleverTapSettings][] = [
  ['own', { accountId: 'bench', passcode: 'bench', defaultCountryCode: '+1' }],
  ['segment', { accountId: 'bench', passcode: 'bench', compat: 'segment' }],
  ['rudderstack', { accountId: 'bench', passcode: 'bench', compat: 'rudderstack', trackAnonymous: true, objectIdMapping: true }],
];

let sink = 0;

/** Transform vs deep copy of the same events, one figure. */
async function compare(title: string, events: InboundMessage[], settings: CleverTapSettings, label: string, target: number, rounds = ROUNDS): Promise<void> {
  const n = events.length * rounds;
  const bytes = events.reduce((s, e) => s + JSON.stringify(e).length, 0) / events.length;
  const transform = compileTransform(settings);
  let failed = 0;
  const copyRound = () => {
    for (const e of events) sink += (JSON.parse(JSON.stringify(e)) as { type: string }).type.length;
  };
  const mapRound = () => {
    for (const e of events) {
      const res = transform(e);
      if (res.ok) sink += res.records.length;
      else failed++;
    }
  };
  // Warm-up, then the two measured round by round in turns: on a shared machine a busy spell then slows both
  // alike, where one long run of each would give the ratio to whichever ran at the quieter moment.
  copyRound();
  mapRound();
  failed = 0;
  let copyMs = 0;
  let mapMs = 0;
  let rss = 0;
  for (let r = 0; r < rounds; r++) {
    let t0 = performance.now();
    copyRound();
    copyMs += performance.now() - t0;
    t0 = performance.now();
    mapRound();
    mapMs += performance.now() - t0;
    rss = Math.max(rss, process.memoryUsage.rss());
  }
  const rssMb = rss / 1048576;
  const baseline: Measured = { label: 'baseline JSON.parse(JSON.stringify(event))', ops: n, ms: copyMs, rssMb, unit: 'events' };
  const subject: Measured = { label, ops: n, ms: mapMs, rssMb, unit: 'events' };
  failed /= rounds;
  report(`${title}: ${n.toLocaleString('en-US')} events (~${Math.round(bytes)} B), one core`, subject, baseline, [
    `target: ratio >= ${target.toFixed(2)} -> ${rate(subject) / rate(baseline) >= target ? 'met' : 'NOT met'}${failed ? `  (${failed} rejected per run)` : ''}`,
  ]);
}

/**
 * The events as the transform receives them: parsed from the stored JSON payload (jobs.ts of either store). Objects
 * built by spreads carry a hidden class each, which would make every property read a slow lookup.
 */
function parsedEvents(mix: Mix): InboundMessage[] {
  return JSON.parse(JSON.stringify(buildEvents(POOL, 42, mix))) as InboundMessage[];
}

export async function run(): Promise<void> {
  for (const mix of MIXES) {
    const events = parsedEvents(mix);
    for (const [mode, settings] of MODES) await compare(`CleverTap transform (${mix} mix), ${mode} mode`, events, settings, `clevertap transform (${mode} mode)`, mode === 'own' ? 4.5 : 1);
  }
  // Per message type, default mapping, realistic mix: each type >= 3x the deep copy of events of that type.
  const realistic = parsedEvents('realistic');
  for (const kind of ['identify', 'track', 'page', 'screen', 'Order Completed']) {
    const events = realistic.filter((e) => kindOf(e) === kind);
    // As many events per figure as the whole mix gets (a type of 5% is replayed 20x as often): less noise.
    const rounds = Math.max(ROUNDS, Math.round((ROUNDS * POOL) / events.length));
    await compare(`CleverTap transform (realistic mix), own mode, ${kind} only`, events, MODES[0][1], `clevertap transform (${kind})`, 3, rounds);
  }
  if (sink === 42) console.log(''); // keeps the work observable
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
