// `taproute start` as several processes on one machine (server.processes / --processes; PostgreSQL store only),
// with node:cluster (https://nodejs.org/api/cluster.html). The primary forks the processes and supervises them; it
// does no ingest. Each worker is a whole Taproute node (its own node id, leases and delivery), as if started on its
// own, so the cluster's rules apply unchanged: a process that dies leaves its lanes to the lease timeout.
// They share one listening port: the primary binds it and hands each new connection to a worker in turn
// (cluster.SCHED_RR, the default on Linux), so a keep-alive connection stays with the process that accepted it.
// With port 0 every worker gets the port the first bind got (server.listen() in the cluster docs).
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Config } from '../config/schema.js';
import type { Logger } from '../util/logger.js';

/** The primary's answer to a worker's hello: the config it checked, so every process runs the same one. */
interface StartMessage {
  taproute: 'start';
  config: Config;
}

/** Set by the primary in each worker's environment: its slot, 1..N, kept by a process forked again in its place
 *  (in the log lines of that process). Also what tells a worker of ours from a process that another node:cluster
 *  primary (pm2's cluster mode, say) runs as a worker: that one is a whole `taproute start` of its own. */
const SLOT_ENV = 'TAPROUTE_PROCESS';
type WorkerMessage =
  | { taproute: 'hello' }
  | { taproute: 'ready'; boundUrl: string; url: string; node?: string }
  /** A one-line error, as `taproute start` prints it: the primary prints or logs it, the worker prints nothing. */
  | { taproute: 'failed'; error: string };

/** A restart of a process that died waits 1 s, doubled for each death in a row of a process that ran less than
 *  STEADY_MS (a crash loop then knocks at most once a minute), back to 1 s once one ran that long. */
const RESTART_FIRST_MS = 1000;
const RESTART_MAX_MS = 60_000;
const STEADY_MS = 30_000;
/** How long a process's exit waits for its channel's close to be reported (see fork). */
const EXIT_GRACE_MS = 1000;

/** `--processes <n>`: an integer from 1, or auto. */
export function parseProcesses(v: string): number | 'auto' {
  if (v === 'auto') return v;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`--processes: "${v}" is not a number of processes (an integer from 1, or auto)`);
  return Number(v);
}

/** How many processes to run: "auto" is one per core this process may use (availableParallelism honours CPU affinity). */
export function processCount(setting: number | 'auto' | undefined): number {
  return setting === 'auto' ? availableParallelism() : (setting ?? 1);
}

export const isWorker = () => cluster.isWorker && process.env[SLOT_ENV] !== undefined;

/**
 * Stops gracefully on the first SIGTERM or SIGINT, once: runs `stop`, then `done` and exit code 0, or `failed`
 * (a one-line message) and exit code 1.
 */
export function stopOnSignals(
  stop: () => Promise<void>,
  done: (signal: NodeJS.Signals, ms: number) => void,
  failed: (signal: NodeJS.Signals, message: string) => void | Promise<void>,
): void {
  let stopping = false;
  const onSignal = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    const started = Date.now();
    try {
      await stop();
    } catch (err) {
      await failed(signal, (err as Error).message);
      process.exit(1);
    }
    done(signal, Date.now() - started);
    process.exit(0);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** Sends a message to the primary and waits until it is written (the process may exit right after). */
function tell(m: WorkerMessage): Promise<void> {
  return new Promise((resolve) => process.send!(m, undefined, {}, () => resolve()));
}

/**
 * A worker: asks the primary for its config, starts a node with it and says when it listens. It prints no line of
 * its own (the primary prints them once for all); its log lines carry `process: <slot>`.
 */
export async function runWorker(): Promise<void> {
  // Asked for, not sent unasked: a message that arrives before this listener exists would be lost.
  const slot = Number(process.env[SLOT_ENV]);
  const { config } = await new Promise<StartMessage>((resolve) => {
    const onMessage = (m: StartMessage) => {
      if (m?.taproute !== 'start') return;
      process.off('message', onMessage);
      resolve(m);
    };
    process.on('message', onMessage);
    void tell({ taproute: 'hello' });
  });
  const [{ startServer }, { createLogger }] = await Promise.all([import('../server.js'), import('../util/logger.js')]);
  let server;
  try {
    server = await startServer(config, { logger: createLogger(config.log?.level).child({ process: slot }) });
  } catch (err) {
    await tell({ taproute: 'failed', error: (err as Error).message });
    process.exit(1);
  }
  const running = server;
  stopOnSignals(
    () => running.close(),
    () => {},
    (signal, message) => tell({ taproute: 'failed', error: `stopping after ${signal} failed: ${message}` }),
  );
  // Sent only once the handlers are in place: the primary may signal as soon as it has it.
  await tell({ taproute: 'ready', boundUrl: running.boundUrl, url: running.url, node: running.cluster?.nodeId });
}

interface Slot {
  n: number;
  worker?: Worker;
  ready: boolean;
  readyAt: number;
  /** Deaths in a row of processes of this slot that ran less than STEADY_MS. */
  quickDeaths: number;
  /** What its process last reported as failed. */
  error?: string;
  node?: string;
  restart?: NodeJS.Timeout;
}

/**
 * The primary: forks `count` workers, prints the one "Taproute listening on" line once all of them listen, forks a
 * worker again (after a back-off) when one dies, and stops them all on SIGTERM / SIGINT. A worker that fails before
 * all listened ends the start: the others are stopped, and its one-line error is printed with exit code 1.
 */
export function supervise(config: Config, count: number, log: Logger): void {
  // Structured clones rather than JSON: the config reaches the workers as the primary checked it.
  cluster.setupPrimary({ serialization: 'advanced' });
  const slots: Slot[] = Array.from({ length: count }, (_, i) => ({ n: i + 1, ready: false, readyAt: 0, quickDeaths: 0 }));
  let phase: 'starting' | 'running' | 'stopping' = 'starting';
  let bound: { boundUrl: string; url: string } | undefined;
  /** The error that ends the start (the first worker's to fail), or that stopping met. */
  let failure: string | undefined;
  let allExited: (() => void) | undefined;

  const fork = (slot: Slot) => {
    slot.restart = undefined;
    slot.ready = false;
    slot.error = undefined;
    const w = cluster.fork({ [SLOT_ENV]: String(slot.n) });
    slot.worker = w;
    w.on('message', (m: WorkerMessage) => {
      if (m?.taproute === 'hello') w.send({ taproute: 'start', config } satisfies StartMessage);
      else if (m?.taproute === 'failed') slot.error = m.error;
      else if (m?.taproute === 'ready') ready(slot, m);
    });
    // A message that cannot be sent (the worker just died): its exit is handled below.
    w.on('error', (err) => log.warn({ process: slot.n, err: err.message }, 'process channel error'));
    // Handled once the channel closed too: a message sent just before exiting (its error) is read by then. But a
    // channel that does not report its close soon after the exit must not keep a dead process from being handled
    // (forked again): after EXIT_GRACE_MS the exit is handled without it.
    const disconnected = new Promise((r) => w.once('disconnect', r));
    w.once('exit', (code, signal) => {
      const grace = new Promise((r) => setTimeout(r, EXIT_GRACE_MS).unref());
      void Promise.race([disconnected, grace]).then(() => exited(slot, w, code, signal));
    });
  };

  const ready = (slot: Slot, m: { boundUrl: string; url: string; node?: string }) => {
    slot.ready = true;
    slot.readyAt = Date.now();
    slot.node = m.node;
    bound ??= m;
    if (phase === 'running') log.info({ process: slot.n, pid: slot.worker?.process.pid, node: m.node }, 'process started again');
    if (phase !== 'starting' || !slots.every((s) => s.ready)) return;
    phase = 'running';
    console.log(`Taproute listening on ${bound.boundUrl} (${count} processes${config.admin?.token ? `, console: ${bound.url}/console` : ''})`);
  };

  const exited = (slot: Slot, w: Worker, code: number | null, signal: string | null) => {
    slot.worker = undefined;
    if (phase === 'starting') {
      // Not a crash loop: the same config would fail the same way; the operator gets the error at once.
      failure = slot.error ?? `process ${slot.n} exited (${code ?? signal}) before listening`;
      void stopAll().then(() => {
        console.error(`taproute: ${failure}`);
        process.exit(1);
      });
    } else if (phase === 'stopping') {
      // Exit code 1 is a failed stop; a worker still starting ends on the signal itself (it acknowledged nothing).
      if (code !== null && code !== 0) failure ??= slot.error ?? `process ${slot.n} exited with code ${code}`;
      if (slots.every((s) => !s.worker)) allExited?.();
    } else {
      slot.quickDeaths = !slot.ready || Date.now() - slot.readyAt < STEADY_MS ? slot.quickDeaths + 1 : 0;
      const delay = Math.min(RESTART_MAX_MS, RESTART_FIRST_MS * 2 ** Math.max(0, slot.quickDeaths - 1));
      log.error(
        { process: slot.n, pid: w.process.pid, node: slot.node, code, signal, ...(slot.error && { err: slot.error }), restartInMs: delay },
        'process exited unexpectedly: starting another (its lanes move after the lease timeout)',
      );
      slot.restart = setTimeout(() => fork(slot), delay);
    }
  };

  let stopped: Promise<void> | undefined;
  /** SIGTERM to every worker (each stops as a single node does); resolves once all exited. */
  const stopAll = () =>
    (stopped ??= new Promise<void>((resolve) => {
      phase = 'stopping';
      for (const s of slots) clearTimeout(s.restart);
      allExited = resolve;
      const live = slots.filter((s) => s.worker);
      if (live.length === 0) resolve();
      for (const s of live) s.worker!.process.kill('SIGTERM');
    }));

  stopOnSignals(
    async () => {
      // A start that failed is stopping already and prints its own error.
      if (phase === 'stopping') return new Promise(() => {});
      await stopAll();
      if (failure) throw new Error(failure);
    },
    (signal, ms) => console.log(`Taproute stopped on ${signal}: ${count} processes stopped, requests in flight answered, store closed (${ms} ms)`),
    (signal, message) => console.error(`taproute: stopping after ${signal} failed: ${message}`),
  );
  for (const s of slots) fork(s);
}
