// Child processes for the HTTP benchmarks: Taproute, the emulator and the baseline server each run in
// their own process, as in production, and the load generator runs here.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, fsyncSync, openSync, readFileSync, writeFileSync, writeSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { buildEvents, type Mix } from './events.js';

export interface Proc {
  child: ChildProcess;
  url: string;
  /** Peak resident set (VmHWM) in MB, read from /proc. */
  peakRssMb(): number;
  /** CPU time (user + system) the process has used so far, in ms, read from /proc. */
  cpuMs(): number;
  stop(): Promise<void>;
}

export function spawnProc(args: string[], ready: RegExp, env: Record<string, string> = {}): Promise<Proc> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TAPROUTE_LOG_LEVEL: 'error', ...env } });
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      const m = ready.exec(out);
      if (m) {
        child.stdout!.off('data', onData);
        child.stdout!.resume();
        resolve({
          child,
          url: m[1],
          peakRssMb() {
            const s = readFileSync(`/proc/${child.pid}/status`, 'utf8');
            return Number(/VmHWM:\s+(\d+)/.exec(s)![1]) / 1024;
          },
          cpuMs() {
            // Fields 14 and 15 of /proc/<pid>/stat (after the parenthesised name): utime and stime in clock ticks (USER_HZ, 100).
            const f = readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1].split(' ');
            return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
          },
          stop: () =>
            new Promise((r) => {
              if (child.exitCode !== null) return r();
              child.once('exit', () => r());
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (out += d));
    child.once('exit', (c) => reject(new Error(`${args.join(' ')} exited ${c}: ${out.slice(-2000)}`)));
  });
}

export const WRITE_KEY = 'bench-key';

/** Temp dirs of this run, removed at exit (a backlog run leaves a ~1 GB store behind). */
const dirs: string[] = [];
process.on('exit', () => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

export function writeConfig(o: { emulatorUrl?: string; synchronous?: 'FULL' | 'NORMAL'; maxBacklog?: number; adminToken?: string; connection?: Record<string, unknown> }): { file: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'taproute-bench-'));
  dirs.push(dir);
  const file = join(dir, 'taproute.json');
  writeFileSync(
    file,
    JSON.stringify({
      server: { port: 0 },
      storage: { sqlite: join(dir, 'store.sqlite'), synchronous: o.synchronous ?? 'FULL' },
      ingest: { maxBacklog: o.maxBacklog ?? 5_000_000 },
      router: { retryBase: '50ms', retryMax: '500ms' },
      ...(o.adminToken ? { admin: { token: o.adminToken } } : {}),
      sources: [{ id: 'web', type: 'segment', writeKey: WRITE_KEY }],
      destinations: [{ id: 'ct', type: 'clevertap', settings: { accountId: 'acc', passcode: 'pass', endpoint: o.emulatorUrl ?? 'http://127.0.0.1:9' } }],
      connections: [{ source: 'web', destination: 'ct', ...o.connection }],
    }),
  );
  return { file, dir };
}

/** bin/taproute.js's V8 flags (its shebang line). */
const V8_FLAGS = readFileSync(new URL('../bin/taproute.js', import.meta.url), 'utf8').split('\n')[0].split(/\s+/).filter((f) => f.startsWith('--'));
/** Runs Taproute with the same V8 heap flags as bin/taproute.js; BENCH_NODE_OPTIONS adds flags after them (a
 *  repeated flag overrides), given on the command line (NODE_OPTIONS refuses some, such as --cpu-prof). `args`
 *  are added to `start`'s (--processes). */
export const startTaproute = (file: string, args: string[] = []) =>
  spawnProc([...V8_FLAGS, ...(process.env.BENCH_NODE_OPTIONS?.split(/\s+/).filter(Boolean) ?? []), 'src/cli/main.ts', 'start', '--config', file, ...args], /listening on (http:\/\/[\d.:]+)/);
export const startEmulatorProc = (extra: string[] = []) =>
  spawnProc(['src/cli/main.ts', 'emulator', '--port', '0', '--account', 'acc:pass', '--retain', '1000', ...extra], /listening on (http:\/\/[\d.:]+)/);
export const startBaseline = () => spawnProc(['bench/baseline-server.ts'], /listening on (http:\/\/[\d.:]+)/);

/**
 * How a client posts a batch: `batch` = a server SDK (/v1/batch, JSON, HTTP Basic); `b` = Segment's browser SDK in
 * batching mode (/v1/b, text/plain, the write key in the body and in every event).
 */
export type WireForm = 'batch' | 'b';

/**
 * A batch body; ids unique per run. `compact`: ~1 KB track events with realistic context (the original load);
 * `realistic`: the ~1.4 KB mix of bench/events.ts (identify, track, page, screen, Order Completed).
 */
export function batchBody(n: number, offset: number, form: WireForm = 'batch', mix: Mix = 'compact'): string {
  if (mix === 'realistic') {
    const now = new Date().toISOString(); // the generator's dates span a month; delivery wants recent ones
    const batch = buildEvents(n, offset + 1, 'realistic').map((e, i) => ({ ...e, messageId: `bench-${offset + i}`, timestamp: now, originalTimestamp: now, sentAt: now, ...(form === 'b' ? { writeKey: WRITE_KEY } : {}) }));
    return JSON.stringify({ batch, sentAt: new Date().toISOString(), ...(form === 'b' ? { writeKey: WRITE_KEY } : {}) });
  }
  const batch = [];
  for (let i = 0; i < n; i++) {
    const k = offset + i;
    batch.push({
      type: 'track',
      messageId: `bench-${k}`,
      userId: `user-${k % 5000}`,
      anonymousId: `anon-${k % 5000}`,
      event: k % 5 === 0 ? 'Product Viewed' : 'Song Played',
      timestamp: new Date().toISOString(),
      properties: { product_id: `p-${k % 300}`, price: 9.99, currency: 'USD', category: 'music', position: k % 20, list: 'home', value: k },
      context: {
        library: { name: 'analytics-node', version: '2.1.0' },
        ip: '203.0.113.7',
        locale: 'en-US',
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
        page: { path: '/albums/42', url: 'https://example.com/albums/42', title: 'Album 42', referrer: 'https://example.com/' },
      },
      ...(form === 'b' ? { writeKey: WRITE_KEY } : {}),
    });
  }
  return JSON.stringify({ batch, sentAt: new Date().toISOString(), ...(form === 'b' ? { writeKey: WRITE_KEY } : {}) });
}

/** Sends `requests` batch requests with `concurrency` in flight; returns ack latencies (ms). */
export async function load(url: string, requests: number, perRequest: number, concurrency: number, offset = 0, form: WireForm = 'batch', mix: Mix = 'compact'): Promise<{ ms: number; latencies: number[] }> {
  const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
  const auth = 'Basic ' + Buffer.from(`${WRITE_KEY}:`).toString('base64');
  const path = form === 'b' ? '/v1/b' : '/v1/batch';
  const headers: Record<string, string> = form === 'b' ? { 'content-type': 'text/plain' } : { authorization: auth, 'content-type': 'application/json' };
  const bodies = Array.from({ length: Math.min(requests, 200) }, (_, i) => batchBody(perRequest, offset + i * perRequest, form, mix));
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) {
        const i = next++;
        // Reuse pre-built bodies but keep messageIds unique by rewriting their prefix (only theirs: the body's
        // writeKey, "bench-key", must stay as it is).
        const body = i < bodies.length ? bodies[i] : bodies[i % bodies.length].replaceAll('"messageId":"bench-', `"messageId":"b${i}-`);
        const s = performance.now();
        const res = await pool.request({ path, method: 'POST', headers, body });
        const answer = await res.body.text();
        if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${answer.slice(0, 300)}`);
        latencies.push(performance.now() - s);
      }
    }),
  );
  const ms = performance.now() - t0;
  await pool.close();
  return { ms, latencies };
}

/**
 * Open loop: request i is due at t0 + i / ratePerSec, whether or not earlier ones were answered, over `concurrency`
 * keep-alive connections (more requests than connections wait in the client's queue). Each latency runs from the
 * time the request was due, so a stall counts for every request it delayed (no coordinated omission).
 */
export async function loadAtRate(url: string, requests: number, perRequest: number, concurrency: number, ratePerSec: number, offset = 0, mix: Mix = 'compact'): Promise<{ ms: number; latencies: number[] }> {
  const pool = new Pool(url, { connections: concurrency, pipelining: 1 });
  const headers = { authorization: 'Basic ' + Buffer.from(`${WRITE_KEY}:`).toString('base64'), 'content-type': 'application/json' };
  const bodies = Array.from({ length: Math.min(requests, 200) }, (_, i) => batchBody(perRequest, offset + i * perRequest, 'batch', mix));
  const latencies: number[] = [];
  const sends: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < requests; i++) {
    const due = t0 + (i * 1000) / ratePerSec;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const body = i < bodies.length ? bodies[i] : bodies[i % bodies.length].replaceAll('"messageId":"bench-', `"messageId":"r${i}-`);
    sends.push(
      (async () => {
        const res = await pool.request({ path: '/v1/batch', method: 'POST', headers, body });
        await res.body.text();
        if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
        latencies.push(performance.now() - due);
      })(),
    );
  }
  await Promise.all(sends);
  const ms = performance.now() - t0;
  await pool.close();
  return { ms, latencies };
}

/**
 * What the disk does to the tail at this moment: `n` fsyncs of a 256 KB overwrite (the size of a group commit's
 * WAL frames at half load) in the directory the stores live in. A durable acknowledgement waits for one such fsync,
 * so when its p99 exceeds a latency target, that target is out of any server's reach on this machine just then.
 */
export function diskSync(n = 100): { p50: number; p99: number } {
  const dir = mkdtempSync(join(tmpdir(), 'taproute-bench-fsync-'));
  const fd = openSync(join(dir, 'probe'), 'w');
  const buf = Buffer.alloc(256 * 1024, 1);
  const ms: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      writeSync(fd, buf, 0, buf.length, 0);
      const t = performance.now();
      fsyncSync(fd);
      ms.push(performance.now() - t);
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  ms.sort((a, b) => a - b);
  return { p50: ms[Math.floor(n / 2)], p99: p99(ms) };
}

export function p99(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length * 0.99)] ?? 0;
}
