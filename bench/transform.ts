// CleverTap transform throughput on one core, beside a baseline measured in the same run:
// JSON.parse(JSON.stringify(event)) of the same events (a deep copy: the least any mapping step could cost).
// Both mixes of bench/events.ts, each compat mode, and per message type (the realistic mix, default mapping).
import { measure, report, rate } from './lib.js';
import { compileTransform } from '../src/destinations/clevertap/transform.js';
import type { CleverTapSettings } from '../src/destinations/clevertap/settings.js';
import { buildEvents, kindOf, MIXES } from './events.js';
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
async function compare(title: string, events: InboundMessage[], settings: CleverTapSettings, label: string, target: number): Promise<void> {
  const n = events.length * ROUNDS;
  const bytes = events.reduce((s, e) => s + JSON.stringify(e).length, 0) / events.length;
  const baseline = await measure('baseline JSON.parse(JSON.stringify(event))', 'events', n, () => {
    for (let r = 0; r < ROUNDS; r++) for (const e of events) sink += (JSON.parse(JSON.stringify(e)) as { type: string }).type.length;
  });
  const transform = compileTransform(settings);
  let failed = 0;
  const subject = await measure(label, 'events', n, () => {
    for (let r = 0; r < ROUNDS; r++) {
      for (const e of events) {
        const res = transform(e);
        if (res.ok) sink += res.records.length;
        else failed++;
      }
    }
  });
  report(`${title}: ${n.toLocaleString('en-US')} events (~${Math.round(bytes)} B), one core`, subject, baseline, [
    `target: ratio >= ${target.toFixed(2)} -> ${rate(subject) / rate(baseline) >= target ? 'met' : 'NOT met'}${failed ? `  (${failed / 2} rejected per run)` : ''}`,
  ]);
}

export async function run(): Promise<void> {
  for (const mix of MIXES) {
    const events = buildEvents(POOL, 42, mix);
    for (const [mode, settings] of MODES) await compare(`CleverTap transform (${mix} mix), ${mode} mode`, events, settings, `clevertap transform (${mode} mode)`, mode === 'own' ? 4.5 : 1);
  }
  // Per message type, default mapping, realistic mix: each type >= 3x the deep copy of events of that type.
  const realistic = buildEvents(POOL, 42, 'realistic');
  for (const kind of ['identify', 'track', 'page', 'screen', 'Order Completed']) {
    const events = realistic.filter((e) => kindOf(e) === kind);
    await compare(`CleverTap transform (realistic mix), own mode, ${kind} only`, events, MODES[0][1], `clevertap transform (${kind})`, 3);
  }
  if (sink === 42) console.log(''); // keeps the work observable
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
