// End to end: events/s from the first ingest request until the emulator has accepted every event.
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'undici';
import { load, startBaseline, startEmulatorProc, startTaproute, writeConfig, type Proc } from './procs.js';
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

/** CPU ms (user + system) of a process's main thread and of its other threads (the store thread, V8's GC
 *  helpers, libuv's pool), from /proc/<pid>/task/<tid>/stat fields 14 and 15 (clock ticks, USER_HZ 100). */
function threadCpuMs(pid: number): { main: number; others: number } {
  let main = 0;
  let others = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      continue; // the thread ended meanwhile
    }
    const f = stat.slice(stat.lastIndexOf(') ') + 2).split(' ');
    const ms = ((Number(f[11]) + Number(f[12])) * 1000) / 100;
    if (tid === String(pid)) main = ms;
    else others += ms;
  }
  return { main, others };
}

/** CPU per event of each process of a round: what the e2e figure costs where (every process shares the cores). */
type CpuSplit = { main: number; others: number; emulator: number; load: number };
function cpuMark(tap: Proc, emu: Proc): () => CpuSplit {
  const t0 = threadCpuMs(tap.child.pid!);
  const e0 = emu.cpuMs();
  const l0 = process.cpuUsage();
  return () => {
    const t1 = threadCpuMs(tap.child.pid!);
    const l = process.cpuUsage(l0);
    return { main: t1.main - t0.main, others: t1.others - t0.others, emulator: emu.cpuMs() - e0, load: (l.user + l.system) / 1000 };
  };
}
const cpuLine = (c: CpuSplit, n: number) => {
  const us = (ms: number) => ((ms * 1000) / n).toFixed(0);
  return `CPU µs/event: taproute ${us(c.main + c.others)} (main thread ${us(c.main)}, other threads ${us(c.others)}), emulator ${us(c.emulator)}, load generator ${us(c.load)}`;
};
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
    const cpu: CpuSplit[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const mark = cpuMark(tap, emu);
      const t0 = performance.now();
      await load(tap.url, requests, per, 16, r * n, 'batch', mix);
      await waitAccepted(emu.url, (r + 1) * n);
      tapRates.push(n / ((performance.now() - t0) / 1000));
      cpu.push(mark());
      baseRates.push(n / ((await load(base.url, requests, per, 16, r * n, 'batch', mix)).ms / 1000));
    }
    const asMeasured = (label: string, rates: number[], rssMb: number): Measured => ({ label, ops: n, ms: (n / median(rates)) * 1000, rssMb, unit: 'events' });
    const subject = asMeasured('ingest → store → CleverTap emulator', tapRates, tap.peakRssMb());
    const baseline = asMeasured('baseline node:http parse+answer', baseRates, base.peakRssMb());
    await Promise.all([tap.stop(), emu.stop(), base.stop()]);
    const rounds = `median of ${ROUNDS} rounds, loaded in turns: ${tapRates.map((x, i) => `${Math.round(x)}/${Math.round(baseRates[i])}`).join(', ')} events/s (taproute/bare)`;
    // CPU per event is the sum over rounds: steadier than any one round's rate on a shared machine.
    const total = cpu.reduce((a, c) => ({ main: a.main + c.main, others: a.others + c.others, emulator: a.emulator + c.emulator, load: a.load + c.load }));
    report(`end to end (${mix} mix): accepted by the emulator`, subject, baseline, [rounds, cpuLine(total, n * ROUNDS), 'target: ratio >= 0.25 (stretch 0.35)']);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
