// End to end: events/s from the first ingest request until the emulator has accepted every event.
import { request } from 'undici';
import { load, startBaseline, startEmulatorProc, startTaproute, writeConfig } from './procs.js';
import { report, type Measured } from './lib.js';
import type { Mix } from './events.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);

/** Records the emulator accepted: one per event (an identify becomes a profile record, the rest event records). */
export async function accepted(emulatorUrl: string): Promise<number> {
  const r = await request(`${emulatorUrl}/_emulator/accounts/acc/stats`);
  const s = (await r.body.json()) as { eventsAccepted: number; profilesAccepted: number };
  return s.eventsAccepted + s.profilesAccepted;
}

export async function waitAccepted(emulatorUrl: string, n: number, timeoutMs = 600_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while ((await accepted(emulatorUrl)) < n) {
    if (Date.now() > end) throw new Error('timed out waiting for the emulator');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Events/s from the first ingest request until the emulator accepted every event (the default config: FULL). */
export async function measureEndToEnd(requests: number, per: number, mix: Mix): Promise<Measured> {
  const emu = await startEmulatorProc();
  const { file } = writeConfig({ emulatorUrl: emu.url });
  const tap = await startTaproute(file);
  const t0 = performance.now();
  await load(tap.url, requests, per, 16, 0, 'batch', mix);
  await waitAccepted(emu.url, requests * per);
  const ms = performance.now() - t0;
  const rss = tap.peakRssMb();
  await tap.stop();
  await emu.stop();
  return { label: 'ingest → store → CleverTap emulator', ops: requests * per, ms, rssMb: rss, unit: 'events' };
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Taproute with the emulator and the bare server side by side, loaded in turns ROUNDS times (the machine's load
 *  drifts within seconds); each figure is the median of its rounds. */
export async function run(): Promise<void> {
  const requests = Math.round(2000 * SCALE);
  const per = 100;
  const n = requests * per;
  for (const mix of ['compact', 'realistic'] as Mix[]) {
    const emu = await startEmulatorProc();
    const tap = await startTaproute(writeConfig({ emulatorUrl: emu.url }).file);
    const base = await startBaseline();
    await load(base.url, 50, per, 16, 90_000_000, 'batch', mix); // warm-up
    const tapRates: number[] = [];
    const baseRates: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = performance.now();
      await load(tap.url, requests, per, 16, r * n, 'batch', mix);
      await waitAccepted(emu.url, (r + 1) * n);
      tapRates.push(n / ((performance.now() - t0) / 1000));
      baseRates.push(n / ((await load(base.url, requests, per, 16, r * n, 'batch', mix)).ms / 1000));
    }
    const asMeasured = (label: string, rates: number[], rssMb: number): Measured => ({ label, ops: n, ms: (n / median(rates)) * 1000, rssMb, unit: 'events' });
    const subject = asMeasured('ingest → store → CleverTap emulator', tapRates, tap.peakRssMb());
    const baseline = asMeasured('baseline node:http parse+answer', baseRates, base.peakRssMb());
    await Promise.all([tap.stop(), emu.stop(), base.stop()]);
    const rounds = `median of ${ROUNDS} rounds, loaded in turns: ${tapRates.map((x, i) => `${Math.round(x)}/${Math.round(baseRates[i])}`).join(', ')} events/s (taproute/bare)`;
    report(`end to end (${mix} mix): accepted by the emulator`, subject, baseline, [rounds, 'target: ratio >= 0.25 (stretch 0.35)']);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
