// End to end: events/s from the first ingest request until the emulator has accepted every event.
import { request } from 'undici';
import { load, startBaseline, startEmulatorProc, startTaproute, writeConfig } from './procs.js';
import { report, type Measured } from './lib.js';
import type { Mix } from './events.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);

export async function accepted(emulatorUrl: string): Promise<number> {
  const r = await request(`${emulatorUrl}/_emulator/accounts/acc/stats`);
  const s = (await r.body.json()) as { eventsAccepted: number };
  return s.eventsAccepted;
}

export async function waitAccepted(emulatorUrl: string, n: number, timeoutMs = 600_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while ((await accepted(emulatorUrl)) < n) {
    if (Date.now() > end) throw new Error('timed out waiting for the emulator');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const TOKEN = 'bench-admin-token';

/**
 * Waits until Taproute has settled n events (pending 0): with the realistic mix one event is not one CleverTap
 * record (identify makes a profile, some events make none), so the emulator's counts cannot tell when all are in.
 * Returns how many were dead-lettered (0 expected).
 */
export async function waitSettled(tapUrl: string, n: number, timeoutMs = 600_000): Promise<number> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const r = await request(`${tapUrl}/admin/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const s = (await r.body.json()) as { connections: { received: number; pending: number; dead: number }[] };
    const received = s.connections.reduce((a, c) => a + c.received, 0);
    const pending = s.connections.reduce((a, c) => a + c.pending, 0);
    if (received >= n && pending === 0) return s.connections.reduce((a, c) => a + c.dead, 0);
    if (Date.now() > end) throw new Error(`timed out waiting for delivery: ${received} received, ${pending} pending`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

export async function run(): Promise<void> {
  const requests = Math.round(2000 * SCALE);
  const per = 100;
  for (const mix of ['compact', 'realistic'] as Mix[]) {
    const emu = await startEmulatorProc();
    const { file } = writeConfig({ emulatorUrl: emu.url, adminToken: TOKEN });
    const tap = await startTaproute(file);
    const t0 = performance.now();
    await load(tap.url, requests, per, 16, 0, 'batch', mix);
    const dead = await waitSettled(tap.url, requests * per);
    const ms = performance.now() - t0;
    const rss = tap.peakRssMb();
    await tap.stop();
    await emu.stop();
    const base = await startBaseline();
    const b = await load(base.url, requests, per, 16, 0, 'batch', mix);
    const baseRss = base.peakRssMb();
    await base.stop();
    const subject: Measured = { label: 'ingest → store → CleverTap emulator', ops: requests * per, ms, rssMb: rss, unit: 'events', ...(dead ? { extra: `${dead} dead-lettered` } : {}) };
    const baseline: Measured = { label: 'baseline node:http parse+answer', ops: requests * per, ms: b.ms, rssMb: baseRss, unit: 'events' };
    report(`end to end (${mix} mix): accepted by the emulator`, subject, baseline, ['target: ratio >= 0.25 (stretch 0.35)']);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
