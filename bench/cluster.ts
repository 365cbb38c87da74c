// The PostgreSQL store and the cluster, against a private PostgreSQL with fsync on (the durability production
// pays for), all in one run:
// - durable ingest (/v1/batch, 100 events per request, 16 connections) with 1 and 2 Taproute nodes on
//   PostgreSQL, and with one `taproute start --processes 2` (two nodes sharing one port), beside the SQLite store (synchronous=FULL) and beside a bare multi-row INSERT of the same rows
//   into PostgreSQL (one 100-row INSERT per request, 16 connections; rows shaped as the store's job rows with
//   the message payload), the target being at least half of that bare rate (these two in turns, 3 rounds each,
//   each figure the median of its rounds); the same bare INSERT with as
//   many connections as the store has append transactions in flight, as a fairness check;
// - end to end (until the CleverTap emulator accepted every event) with 1 and 2 nodes, beside SQLite.
// On a 2-core machine a second node measures overhead, not scaling: both nodes, PostgreSQL and the load
// generator share the same cores. The 2-process figure measures how much of one node's single main thread
// (its limit on this machine) a second process lifts when the cores are shared that way.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import pg from 'pg';
import { Pool } from 'undici';
import { privatePostgres } from '../scripts/test-postgres.mjs';
import { laneOf } from '../src/store/lanes.js';
import { APPENDS_IN_FLIGHT, PostgresStore } from '../src/store/postgres/index.js';
import type { StoredMessage } from '../src/store/types.js';
import { accepted } from './e2e.js';
import { rate, report, type Measured } from './lib.js';
import { batchBody, p99, startEmulatorProc, startTaproute, WRITE_KEY, writeConfig, type Proc } from './procs.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const PER = 100;
const CONNECTIONS = 16;
/** The 1-node ingest and the bare INSERT are measured in turns this many times; each figure is the median. */
const ROUNDS = 3;
const TWO_NODES = 'on a 2-core machine a second node measures overhead, not scaling (both nodes, PostgreSQL and the load generator share the cores)';
const TWO_PROCESSES =
  'one `taproute start --processes 2`: a primary that hands connections round-robin to 2 worker nodes on one port; on the 2-core machine the workers, the primary, PostgreSQL and the load generator share the cores, so this measures how far a second process lifts the single main thread\'s limit there, not how it scales with cores (CPU and RSS: the primary and its workers together)';

/** utime + stime (+ reaped children's) of /proc/<pid>/stat, in ms (clock ticks of 10 ms, USER_HZ 100). */
function procCpuMs(pid: number, children = false): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0)) * 10;
  } catch {
    return 0; // exited meanwhile: its time is in the parent's reaped children
  }
}

function pids(): string[] {
  try {
    return readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return []; // not Linux
  }
}

/** The live child processes of `pid` (from the parent pid in /proc/<child>/stat). */
function childrenOf(pid: number, procs = pids()): number[] {
  return procs.filter((p) => {
    try {
      return readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ')[1] === String(pid);
    } catch {
      return false; // exited meanwhile
    }
  }).map(Number);
}

/** CPU used so far by a process, its live children and those it reaped, in ms. */
function treeCpuMs(pid: number, procs = pids()): number {
  return childrenOf(pid, procs).reduce((ms, c) => ms + procCpuMs(c), procCpuMs(pid, true));
}

/** Peak RSS (VmHWM) of a process and its live children together, in MB. */
function treeRssMb(pid: number): number {
  const hwm = (p: number) => {
    try {
      return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))![1]) / 1024;
    } catch {
      return 0;
    }
  };
  return childrenOf(pid).reduce((mb, c) => mb + hwm(c), hwm(pid));
}

/**
 * CPU used so far by the PostgreSQL server listening on `port`: its postmaster, its live processes (backends,
 * WAL writer, checkpointer) and those that exited (reaped by the postmaster). Linux only (0 elsewhere).
 */
function pgCpuMs(port: number): number {
  const procs = pids();
  const cmd = (pid: string) => { try { return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0'); } catch { return []; } };
  const master = procs.find((p) => { const a = cmd(p); return a[0]?.endsWith('/postgres') && a[a.indexOf('-p') + 1] === String(port); });
  return master ? treeCpuMs(Number(master), procs) : 0;
}

/** CPU per event of this node (the client side) and of PostgreSQL, as a note beside a figure. */
function cpuNote(events: number, clientMs: number, serverMs: number, client = 'node'): string {
  const us = (ms: number) => ((ms * 1000) / events).toFixed(0);
  return `CPU/event: ${client} ${us(clientMs)} µs, PostgreSQL ${us(serverMs)} µs`;
}

/** Posts `requests` batches spread round-robin over the nodes, `conc` in flight in all; ids unique per `run`. */
async function spread(urls: string[], requests: number, conc: number, run: string): Promise<{ ms: number; latencies: number[] }> {
  const pools = urls.map((u) => new Pool(u, { connections: Math.ceil(conc / urls.length), pipelining: 1 }));
  const headers = { authorization: 'Basic ' + Buffer.from(`${WRITE_KEY}:`).toString('base64'), 'content-type': 'application/json' };
  const template = Array.from({ length: Math.min(requests, 100) }, (_, i) => batchBody(PER, i * PER));
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: conc }, async (_, k) => {
      while (next < requests) {
        const i = next++;
        const body = template[i % template.length].replaceAll('"bench-', `"${run}-${i}-`);
        const s = performance.now();
        const res = await pools[k % pools.length].request({ path: '/v1/batch', method: 'POST', headers, body });
        await res.body.text();
        if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
        latencies.push(performance.now() - s);
      }
    }),
  );
  const ms = performance.now() - t0;
  await Promise.all(pools.map((p) => p.close()));
  return { ms, latencies };
}

/** A config for the SQLite store, or for the PostgreSQL database `db` (a fresh one per measurement). */
export function config(emulatorUrl: string | undefined, pgUrl?: string): string {
  const { file } = writeConfig({ emulatorUrl, synchronous: 'FULL' });
  if (!pgUrl) return file;
  const c = JSON.parse(readFileSync(file, 'utf8'));
  c.storage = { postgres: pgUrl };
  writeFileSync(file, JSON.stringify(c));
  return file;
}

let databases = 0;
export async function freshDatabase(serverUrl: string): Promise<string> {
  const name = `bench_${++databases}`;
  const c = new pg.Client({ connectionString: serverUrl });
  await c.connect();
  await c.query(`CREATE DATABASE ${name}`);
  await c.end();
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}

/** `n` commands, each `taproute start` with `processes` processes (its primary and workers when above 1). */
async function nodes(n: number, file: string, processes = 1): Promise<Proc[]> {
  const out: Proc[] = [];
  // One at a time: the first applies the migrations, the others find them applied.
  for (let i = 0; i < n; i++) out.push(await startTaproute(file, processes > 1 ? ['--processes', String(processes)] : []));
  return out;
}

/**
 * @param pgPort the PostgreSQL server's port (its CPU is measured too), unset for SQLite.
 * @param processes per command (`--processes`); CPU and RSS are then those of the primary and its workers together.
 */
export async function ingest(label: string, file: string, n: number, requests: number, run: string, pgPort?: number, processes = 1): Promise<Measured> {
  const procs = await nodes(n, file, processes);
  const urls = procs.map((p) => p.url);
  // Warm-up: 50 requests per node process, so that each has compiled its hot paths (each process has its own JIT).
  await spread(urls, 50 * n * processes, CONNECTIONS, `${run}w`);
  const cpu = () => procs.reduce((ms, p) => ms + treeCpuMs(p.child.pid!), 0);
  const [c0, s0] = [cpu(), pgPort ? pgCpuMs(pgPort) : 0];
  const t = await spread(urls, requests, CONNECTIONS, run);
  const [c1, s1] = [cpu(), pgPort ? pgCpuMs(pgPort) : 0];
  const rss = Math.max(...procs.map((p) => treeRssMb(p.child.pid!)));
  await Promise.all(procs.map((p) => p.stop()));
  const many = n > 1 || processes > 1;
  const note = pgPort ? `, ${cpuNote(requests * PER, c1 - c0, s1 - s0, many ? 'nodes' : 'node')}` : `, CPU/event: node ${(((c1 - c0) * 1000) / (requests * PER)).toFixed(0)} µs`;
  return { label, ops: requests * PER, ms: t.ms, rssMb: rss, unit: 'events', extra: `p99 ack ${p99(t.latencies).toFixed(1)} ms${note}` };
}

async function endToEnd(label: string, emulator: Proc, file: string, n: number, requests: number, run: string): Promise<Measured> {
  const procs = await nodes(n, file);
  const before = await accepted(emulator.url);
  const t0 = performance.now();
  await spread(procs.map((p) => p.url), requests, CONNECTIONS, run);
  const end = Date.now() + 600_000;
  while ((await accepted(emulator.url)) < before + requests * PER) {
    if (Date.now() > end) throw new Error(`${label}: timed out waiting for the emulator`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const ms = performance.now() - t0;
  const rss = Math.max(...procs.map((p) => p.peakRssMb()));
  await Promise.all(procs.map((p) => p.stop()));
  return { label, ops: requests * PER, ms, rssMb: rss, unit: 'events' };
}

/** The same events as parsed batches, one per request (at most 100 distinct; ids made unique per request). */
function events(requests: number): Record<string, unknown>[][] {
  return Array.from({ length: Math.min(requests, 100) }, (_, i) => (JSON.parse(batchBody(PER, i * PER)) as { batch: Record<string, unknown>[] }).batch);
}

/** PostgresStore.append alone (no HTTP): 100 messages per append, 16 in flight, as ingest calls it. */
export async function storeAppend(serverUrl: string, requests: number): Promise<Measured> {
  const store = await PostgresStore.open(await freshDatabase(serverUrl), { fence: { nodeId: 'bench', leaseTimeoutMs: 10_000 } });
  const bodies = events(requests);
  const msgs = (i: number, run: string): StoredMessage[] =>
    bodies[i % bodies.length].map((e) => {
      const messageId = `${run}-${i}-${e.messageId}`;
      return { messageId, userKey: String(e.userId), receivedAt: Date.now(), payload: JSON.stringify({ ...e, messageId }), destinations: ['ct'] };
    });
  const run = async (n: number, tag: string) => {
    let next = 0;
    await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
      while (next < n) {
        const i = next++;
        await store.append('web', msgs(i, tag));
      }
    }));
  };
  await run(50, 'w');
  const port = Number(new URL(serverUrl).port);
  const [c0, s0] = [process.cpuUsage(), pgCpuMs(port)];
  const t0 = performance.now();
  await run(requests, 'r');
  const ms = performance.now() - t0;
  const [c1, s1] = [process.cpuUsage(c0), pgCpuMs(port)];
  await store.close();
  const extra = cpuNote(requests * PER, (c1.user + c1.system) / 1000, s1 - s0);
  return { label: 'PostgresStore.append, 100 per call (no HTTP)', ops: requests * PER, ms, rssMb: process.memoryUsage.rss() / 1048576, unit: 'events', extra };
}

/**
 * The baseline: the same events as rows of a jobs-shaped table with their payload, one 100-row INSERT (one
 * commit) per request, `connections` in flight: 16 as the HTTP clients, or as many as the store's append
 * transactions in flight (whose COMMITs follow each other, so PostgreSQL cannot share a WAL flush among them).
 */
export async function bareInsert(serverUrl: string, requests: number, connections = CONNECTIONS): Promise<Measured> {
  const url = await freshDatabase(serverUrl);
  const pool = new pg.Pool({ connectionString: url, max: connections });
  await pool.query(`CREATE TABLE bare_jobs (
    id bigserial PRIMARY KEY, message_id text NOT NULL, source_id text NOT NULL, destination_id text NOT NULL, user_key text NOT NULL,
    received_at bigint NOT NULL, attempts integer NOT NULL DEFAULT 0, next_at bigint NOT NULL DEFAULT 0, lane integer NOT NULL, payload text NOT NULL)`);
  const bodies = events(requests);
  const values = Array.from({ length: PER }, (_, r) => `($${r * 5 + 1}, 'web', 'ct', $${r * 5 + 2}, $${r * 5 + 3}, $${r * 5 + 4}, $${r * 5 + 5})`).join(', ');
  const sql = `INSERT INTO bare_jobs (message_id, source_id, destination_id, user_key, received_at, lane, payload) VALUES ${values}`;
  const insert = async (i: number) => {
    const args: unknown[] = [];
    for (const e of bodies[i % bodies.length]) {
      const user = String(e.userId);
      args.push(`${i}-${e.messageId}`, user, Date.now(), laneOf(user), JSON.stringify(e));
    }
    await pool.query(sql, args);
  };
  const run = async (n: number) => {
    let next = 0;
    await Promise.all(Array.from({ length: connections }, async () => {
      while (next < n) await insert(next++);
    }));
  };
  await run(50);
  const rss0 = process.memoryUsage.rss();
  const port = Number(new URL(serverUrl).port);
  const [c0, s0] = [process.cpuUsage(), pgCpuMs(port)];
  const t0 = performance.now();
  await run(requests);
  const ms = performance.now() - t0;
  const [c1, s1] = [process.cpuUsage(c0), pgCpuMs(port)];
  await pool.end();
  const extra = cpuNote(requests * PER, (c1.user + c1.system) / 1000, s1 - s0, 'client');
  return { label: `bare 100-row INSERT per request, ${connections} conns`, ops: requests * PER, ms, rssMb: rss0 / 1048576, unit: 'events', extra };
}

/** The round with the median rate (its own CPU and p99 notes kept). */
function median(ms: Measured[]): Measured {
  return [...ms].sort((a, b) => rate(a) - rate(b))[Math.floor(ms.length / 2)];
}

export async function run(): Promise<void> {
  const requests = Math.max(20, Math.round(1000 * SCALE));
  const server = await privatePostgres({ durable: true });
  await server.start();
  const emulator = await startEmulatorProc();
  try {
    const port = Number(new URL(server.url).port);
    // The target's two sides in turns, so that the machine's drift within a run (the bare rate has moved by a
    // third within minutes here) weighs on both alike.
    const bares: Measured[] = [];
    const pg1s: Measured[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      bares.push(await bareInsert(server.url, requests));
      pg1s.push(await ingest('PostgreSQL, 1 node: /v1/batch durable', config(undefined, await freshDatabase(server.url)), 1, requests, `i1r${r}`, port));
    }
    const [bare, pg1] = [median(bares), median(pg1s)];
    const rounds = `median of ${ROUNDS} rounds, measured in turns: ${pg1s.map((m, i) => `${Math.round(rate(m))}/${Math.round(rate(bares[i]))}`).join(', ')} events/s (1 node/bare)`;
    const bareInFlight = await bareInsert(server.url, requests, APPENDS_IN_FLIGHT);
    const alone = await storeAppend(server.url, requests);
    const pg2 = await ingest('PostgreSQL, 2 nodes: /v1/batch durable', config(undefined, await freshDatabase(server.url)), 2, requests, 'i2', port);
    const pgP = await ingest('PostgreSQL, 1 machine, 2 processes: /v1/batch durable', config(undefined, await freshDatabase(server.url)), 1, requests, 'ip', port, 2);
    const lite = await ingest('SQLite (FULL): /v1/batch durable', config(undefined), 1, requests, 'is');
    const e2eLite = await endToEnd('SQLite: ingest → CleverTap emulator', emulator, config(emulator.url), 1, requests, 'es');
    const e2e1 = await endToEnd('PostgreSQL, 1 node: ingest → emulator', emulator, config(emulator.url, await freshDatabase(server.url)), 1, requests, 'e1');
    const e2e2 = await endToEnd('PostgreSQL, 2 nodes: ingest → emulator', emulator, config(emulator.url, await freshDatabase(server.url)), 2, requests, 'e2');

    report('cluster: durable ingest on PostgreSQL (1 node) vs a bare multi-row INSERT of the same rows', pg1, bare, [
      'target: ratio >= 0.5',
      rounds,
      'per event the store writes 3 rows and 7 B-tree index entries (dedupe key; message id, user, anonymousId as these events carry one that differs from the user; job id, lane, message) and counters, where the bare INSERT writes 1 row and 1 index entry; the node parses HTTP (and runs its delivery loop, here against an unreachable endpoint) on the same cores',
      'CPU/event: this process\'s (or the nodes\') user+system time and the PostgreSQL server\'s (all its processes), from /proc, per event measured: on a shared machine they compare better than the rates',
    ]);
    report('cluster: the PostgreSQL store alone (no HTTP) vs the same bare INSERT', alone, bare);
    report(`cluster: durable ingest on PostgreSQL (1 node) vs the bare INSERT with ${APPENDS_IN_FLIGHT} connections`, pg1, bareInFlight, [
      `the store keeps at most ${APPENDS_IN_FLIGHT} append transactions in flight, committed one after another (per-user order); a fairness check, not the target`,
    ]);
    report(`cluster: the PostgreSQL store alone (no HTTP) vs the bare INSERT with ${APPENDS_IN_FLIGHT} connections`, alone, bareInFlight);
    report('cluster: durable ingest, PostgreSQL (1 node) vs SQLite', pg1, lite);
    report('cluster: durable ingest, 2 nodes vs 1 node on PostgreSQL', pg2, pg1, [TWO_NODES]);
    report('cluster: durable ingest on PostgreSQL (1 machine, 2 processes) vs the bare INSERT', pgP, bare, ['target: ratio >= 0.5', TWO_PROCESSES]);
    report('cluster: durable ingest, 2 processes vs 1 node on PostgreSQL', pgP, pg1, [TWO_PROCESSES]);
    report('cluster: durable ingest on one machine, 2 processes (one command) vs 2 nodes (two commands)', pgP, pg2, [
      'the same two nodes either way; what differs is the primary, which hands each new connection to a worker and then stays out of the way',
    ]);
    report('cluster: end to end, PostgreSQL (1 node) vs SQLite', e2e1, e2eLite);
    report('cluster: end to end, 2 nodes vs 1 node on PostgreSQL', e2e2, e2e1, [TWO_NODES]);
  } finally {
    await emulator.stop();
    await server.remove();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
