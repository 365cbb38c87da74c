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

export async function run(): Promise<void> {
  const requests = Math.round(2000 * SCALE);
  const per = 100;
  for (const mix of ['compact', 'realistic'] as Mix[]) {
    const subject = await measureEndToEnd(requests, per, mix);
    const base = await startBaseline();
    const b = await load(base.url, requests, per, 16, 0, 'batch', mix);
    const baseRss = base.peakRssMb();
    await base.stop();
    const baseline: Measured = { label: 'baseline node:http parse+answer', ops: requests * per, ms: b.ms, rssMb: baseRss, unit: 'events' };
    report(`end to end (${mix} mix): accepted by the emulator`, subject, baseline, ['target: ratio >= 0.25 (stretch 0.35)']);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
