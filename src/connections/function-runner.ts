// Runs a connection's transformation function on its own thread (worker_threads, with a heap limit), a batch of
// messages per call so the thread hop is paid once per batch. Each message gets `timeoutMs`: a function still
// running past it (a loop, a promise that never settles) has its thread terminated; that message fails with a
// timeout, a fresh thread is started and the rest of the batch continues. Nothing the function does can stop
// the router: every message gets exactly one result. https://nodejs.org/docs/latest-v20.x/api/worker_threads.html
import { Worker } from 'node:worker_threads';
import type { Logger } from '../util/logger.js';
import { FUNCTION_HOST_SOURCE } from './function-host.js';

export interface FunctionContext {
  sourceId: string;
  destinationId: string;
  /** "<source> → <destination>" */
  connectionId: string;
  messageId?: string;
}

export interface FunctionItem {
  message: unknown;
  ctx: FunctionContext;
}

export type FunctionResult =
  | { k: 'drop' }
  | { k: 'messages'; messages: unknown[] }
  | { k: 'error'; error: string; stack?: string; timeout?: boolean };

export interface FunctionRunnerOptions {
  timeoutMs?: number;
  /** Heap limit of the function's thread (V8's old generation). */
  memoryMb?: number;
  /** How long loading the module may take. */
  loadTimeoutMs?: number;
  log?: Logger;
}

export const DEFAULT_FUNCTION_TIMEOUT_MS = 100;

interface Run {
  id: number;
  items: FunctionItem[];
  results: FunctionResult[];
  /** Results decided without the function (it timed out or crashed on them): never run again. */
  fixed: Record<number, FunctionResult>;
  resolve: (r: FunctionResult[]) => void;
}

function tsApiUrl(): string | null {
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch {
    return null;
  }
}

export class FunctionRunner {
  private worker: Worker | null = null;
  private ready: Promise<void> | null = null;
  private readonly progress = new SharedArrayBuffer(16);
  private readonly ids = new Int32Array(this.progress, 0, 2);
  private readonly started = new Float64Array(this.progress, 8, 1);
  private readonly queue: Run[] = [];
  private current: Run | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private nextId = 1;
  private closed = false;
  readonly timeoutMs: number;
  /** Threads stopped because a function ran too long, ran out of memory or crashed its thread. */
  restarts = 0;

  constructor(
    readonly file: string,
    private readonly opts: FunctionRunnerOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_FUNCTION_TIMEOUT_MS;
  }

  /** Starts the thread and loads the module; rejects with the load error (a syntax error, no transform export). */
  start(): Promise<void> {
    if (!this.ready) this.ready = this.spawn();
    return this.ready;
  }

  private spawn(): Promise<void> {
    const w = new Worker(FUNCTION_HOST_SOURCE, {
      eval: true,
      workerData: { file: this.file, tsApi: tsApiUrl(), progress: this.progress },
      resourceLimits: { maxOldGenerationSizeMb: this.opts.memoryMb ?? 128, maxYoungGenerationSizeMb: 16 },
      stdout: false,
      stderr: false,
    });
    this.worker = w;
    this.ids[0] = 0;
    Atomics.store(this.ids, 1, -1);
    return new Promise<void>((resolve, reject) => {
      let loaded = false;
      const timer = setTimeout(() => {
        if (loaded) return;
        void w.terminate();
        reject(new Error(`function ${this.file}: not loaded within ${this.opts.loadTimeoutMs ?? 10_000} ms`));
      }, this.opts.loadTimeoutMs ?? 10_000);
      w.on('message', (m: { t: string; error?: string; stack?: string; id?: number; from?: number; results?: FunctionResult[]; logs?: LogEntry[] }) => {
        if (m.t === 'ready') {
          loaded = true;
          clearTimeout(timer);
          resolve();
        } else if (m.t === 'load-error') {
          clearTimeout(timer);
          void w.terminate();
          reject(new Error(`function ${this.file} cannot be loaded: ${m.error}`));
        } else if (m.t === 'done' && this.worker === w) this.finished(m.id!, m.from!, m.results!, m.logs ?? []);
      });
      w.on('error', (err) => {
        if (!loaded) {
          clearTimeout(timer);
          reject(new Error(`function ${this.file} cannot be loaded: ${err.message}`));
        } else if (this.worker === w) this.crashed(err.message);
      });
      w.on('exit', (code) => {
        if (!loaded) {
          clearTimeout(timer);
          reject(new Error(`function ${this.file} cannot be loaded: its thread exited (${code})`));
        } else if (this.worker === w && !this.closed) this.crashed(`the function's thread exited (${code})`);
      });
    });
  }

  /** Runs the function over a batch; resolves with one result per item, in order. Batches run one at a time. */
  run(items: FunctionItem[]): Promise<FunctionResult[]> {
    if (items.length === 0) return Promise.resolve([]);
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, items, results: [], fixed: {}, resolve });
      if (!this.current) void this.dispatch();
    });
  }

  private async dispatch(): Promise<void> {
    const run = (this.current ??= this.queue.shift() ?? null);
    if (!run) return;
    if (this.closed) return this.fail(run, 'the function runner is closed');
    try {
      await this.start();
    } catch (e) {
      return this.fail(run, (e as Error).message);
    }
    this.worker!.postMessage({ id: run.id, from: run.results.length, items: run.items, fixed: run.fixed });
    this.arm(this.timeoutMs);
  }

  private fail(run: Run, error: string): void {
    while (run.results.length < run.items.length) run.results.push({ k: 'error', error });
    this.complete(run);
  }

  private arm(ms: number): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.check(), Math.max(1, ms));
  }

  /** The watchdog: is the message being run past its limit? */
  private check(): void {
    const run = this.current;
    if (!run) return;
    const index = Atomics.load(this.ids, 1);
    if (this.ids[0] !== run.id || index < 0) return this.arm(this.timeoutMs);
    const elapsed = Date.now() - this.started[0];
    if (elapsed < this.timeoutMs) return this.arm(this.timeoutMs - elapsed);
    this.abandon(run, index, { k: 'error', error: `the function did not finish within ${this.timeoutMs} ms (functionTimeout)`, timeout: true });
  }

  private crashed(reason: string): void {
    const run = this.current;
    if (!run || this.closed) {
      this.ready = null;
      this.worker = null;
      return;
    }
    let index = this.ids[0] === run.id ? Atomics.load(this.ids, 1) : -1;
    // Died outside a message (between two, or before the first): blame the first message without a result.
    if (index < run.results.length || run.fixed[index]) for (index = run.results.length; run.fixed[index]; ) index++;
    if (index >= run.items.length) {
      this.ready = null;
      this.worker = null;
      return this.fail(run, reason);
    }
    this.abandon(run, index, { k: 'error', error: /memory/i.test(reason) ? `the function ran out of memory: ${reason}` : reason });
  }

  /** Gives the message at `index` its failure, replaces the thread and runs the rest of the batch again. */
  private abandon(run: Run, index: number, failure: FunctionResult): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
    const w = this.worker;
    this.worker = null;
    this.ready = null;
    this.restarts++;
    void w?.terminate();
    // The results of the messages before `index` were lost with the thread: those run again (a function is
    // expected to be a function of its message, as any retried delivery assumes); the failed one does not.
    run.fixed[index] = failure;
    this.opts.log?.warn({ function: this.file, reason: failure.k === 'error' ? failure.error : '' }, 'transformation function stopped; thread restarted');
    void this.dispatch();
  }

  private finished(id: number, from: number, results: FunctionResult[], logs: LogEntry[]): void {
    const run = this.current;
    if (!run || run.id !== id || from !== run.results.length) return;
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = null;
    for (const l of logs) this.opts.log?.[l.level]?.({ function: this.file, messageId: l.messageId }, l.args.join(' '));
    run.results.push(...results);
    this.complete(run);
  }

  private complete(run: Run): void {
    this.current = null;
    run.resolve(run.results);
    if (this.queue.length) void this.dispatch();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.watchdog) clearTimeout(this.watchdog);
    const w = this.worker;
    this.worker = null;
    await w?.terminate();
    const pending = [...(this.current ? [this.current] : []), ...this.queue.splice(0)];
    this.current = null;
    for (const r of pending) this.fail(r, 'the function runner is closed');
  }
}

interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  args: string[];
  messageId?: string;
}
