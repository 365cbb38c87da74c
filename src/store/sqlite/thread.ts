// The embedded store on its own thread: the server's SqliteStore lives in a worker thread (thread-host.ts) that does
// every insert, commit, fsync, claim and settle, while the main thread parses, validates, answers HTTP and delivers.
// On one thread the SQLite work and the HTTP work took turns on one core; this way a two-core machine uses both.
// Payloads cross as the JSON text ingest already made, claims come back as text and are parsed here (once).
//
// Failure: if the thread dies, every call in flight is rejected with a StoreUnavailableError (ingest answers 503:
// nothing unacknowledged is lost, the client sends again) and the store is unhealthy until a new thread has opened
// the file again; calls made meanwhile are rejected the same way, so nothing waits for a thread that is gone.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Job } from '../../core/job.js';
import { StoreUnavailableError } from '../errors.js';
import type { AppendResult, Counts, DeadLetter, DestinationState, FailureFilter, FilteredCount, Settlement, SourceCounts, Store, StoredMessage, UserMessagesPage, WarningCount } from '../types.js';
import { parseJob, type SqliteStoreOptions } from './index.js';
import type { RawJob } from './jobs.js';
import { type Call, type CallName, errorFromWire, type Reply, type ThreadEvent, toColumns } from './thread-wire.js';

// Under tsx (tests, benchmarks) this module is a .ts file and so is the thread's, which a worker loads through
// tsx's tsImport API (https://tsx.is/dev-api/ts-import): tsx's --import hook does not reach worker threads.
// In a build both are .js.
const HOST = new URL(`./thread-host${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;
const BOOT = `
const { workerData } = require('node:worker_threads');
const load = workerData.tsApi ? import(workerData.tsApi).then((m) => m.tsImport(workerData.host, workerData.host)) : import(workerData.host);
load.catch((err) => { throw err; });
`;

function tsApiUrl(): string | null {
  if (!HOST.endsWith('.ts')) return null;
  try {
    return import.meta.resolve('tsx/esm/api');
  } catch {
    return null;
  }
}

const RESTART_MIN_MS = 200;
const RESTART_MAX_MS = 30_000;

export interface SqliteThreadStoreOptions extends SqliteStoreOptions {
  /** Told when the thread died and when it could not be started again (the server logs it). */
  onThreadError?: (err: Error) => void;
}

interface Waiting {
  resolve(r: unknown): void;
  reject(e: Error): void;
}

export class SqliteThreadStore implements Store {
  private worker!: Worker;
  private readonly calls = new Map<number, Waiting>();
  private seq = 0;
  /** The backlog and health as of the thread's last answer: read on every request, so kept here. */
  private pending = 0;
  private threadHealthy = true;
  /** Set while no thread serves the store (it died; a new one is starting). */
  private down: StoreUnavailableError | null = null;
  private closing = false;
  private restartDelay = RESTART_MIN_MS;
  /** Suppressed user ids, written through (the router reads them before every request). */
  private suppressedIds = new Set<string>();

  private constructor(
    private readonly file: string,
    private readonly opts: SqliteThreadStoreOptions,
  ) {}

  /** Starts the thread and opens the file; rejects as the SqliteStore constructor would (e.g. another owner). */
  static async open(file: string, opts: SqliteThreadStoreOptions = {}): Promise<SqliteThreadStore> {
    const s = new SqliteThreadStore(file, opts);
    await s.spawn();
    return s;
  }

  private spawn(): Promise<void> {
    const { onThreadError: _cb, ...storeOpts } = this.opts;
    const w = new Worker(BOOT, { eval: true, workerData: { host: HOST, tsApi: tsApiUrl(), file: this.file, opts: { ...storeOpts, ownThread: true } } });
    this.worker = w;
    return new Promise((resolve, reject) => {
      let ready = false;
      w.on('message', (m: Reply | ThreadEvent) => {
        if ('i' in m) return this.answer(m);
        if (m.t === 'ready') {
          ready = true;
          this.pending = m.p;
          this.threadHealthy = m.h;
          this.suppressedIds = new Set(m.sup);
          this.down = null;
          this.restartDelay = RESTART_MIN_MS;
          resolve();
        } else if (m.t === 'health') this.threadHealthy = m.h;
        else reject(new Error(m.message));
      });
      w.on('error', (err) => {
        if (!ready) reject(err);
        else this.opts.onThreadError?.(err);
      });
      w.on('exit', (code) => {
        if (!ready) return reject(new Error(`store thread exited with code ${code} before the store opened`));
        if (this.closing) return;
        this.died(new StoreUnavailableError(`store unavailable: its thread stopped (exit code ${code})`));
      });
    });
  }

  /** The thread is gone: nothing it was asked will be answered. Reject it all, and start a new thread. */
  private died(err: StoreUnavailableError): void {
    this.down = err;
    this.opts.onThreadError?.(err);
    for (const c of this.calls.values()) c.reject(err);
    this.calls.clear();
    this.restart();
  }

  private restart(): void {
    const timer = setTimeout(() => {
      if (this.closing) return;
      this.spawn().catch((err: Error) => {
        this.opts.onThreadError?.(new Error(`store thread could not be started again: ${err.message}`));
        this.restartDelay = Math.min(this.restartDelay * 2, RESTART_MAX_MS);
        this.restart();
      });
    }, this.restartDelay);
    timer.unref();
  }

  private answer(m: Reply): void {
    this.pending = m.p;
    this.threadHealthy = m.h;
    const c = this.calls.get(m.i);
    if (!c) return;
    this.calls.delete(m.i);
    if (m.e) c.reject(errorFromWire(m.e));
    else c.resolve(m.r);
  }

  private call<R>(m: CallName, ...a: unknown[]): Promise<R> {
    if (this.down) return Promise.reject(this.down);
    if (this.closing && m !== 'close') return Promise.reject(new StoreUnavailableError('store closed'));
    const i = ++this.seq;
    return new Promise<R>((resolve, reject) => {
      this.calls.set(i, { resolve: resolve as (r: unknown) => void, reject });
      this.worker.postMessage({ i, m, a } satisfies Call);
    });
  }

  /** For tests: ends the thread as a crash would (the native side of SQLite aborting, an out-of-memory kill). */
  crashThread(): Promise<number> {
    return this.worker.terminate();
  }

  append(sourceId: string, msgs: StoredMessage[], rejected = 0): Promise<AppendResult> {
    return this.call('append', sourceId, toColumns(msgs), rejected);
  }

  async claim(destinationId: string, lanes: readonly number[], max: number, now: number, maxBytes?: number): Promise<Job[]> {
    const raw = await this.call<RawJob[]>('claim', destinationId, lanes, max, now, maxBytes);
    return raw.map(parseJob);
  }

  forget(jobId: number): void {
    if (!this.down && !this.closing) this.worker.postMessage({ i: 0, m: 'forget', a: [jobId] } satisfies Call);
  }

  healthy(): boolean {
    return this.down === null && this.threadHealthy;
  }

  settle(destinationId: string, settlements: Settlement[], now: number): Promise<void> {
    return this.call('settle', destinationId, settlements, now);
  }

  setDestinationPaused(destinationId: string, reason: string | null, now: number): Promise<void> {
    return this.call('setDestinationPaused', destinationId, reason, now);
  }

  destinationStates(): Promise<DestinationState[]> {
    return this.call('destinationStates');
  }

  seenRequest(sourceId: string, requestId: string): Promise<boolean> {
    return this.call('seenRequest', sourceId, requestId);
  }

  rememberRequests(sourceId: string, requestIds: string[], now: number): Promise<void> {
    return this.call('rememberRequests', sourceId, requestIds, now);
  }

  async pendingTotal(): Promise<number> {
    return this.pending;
  }

  counts(): Promise<Counts[]> {
    return this.call('counts');
  }

  filteredByRule(): Promise<FilteredCount[]> {
    return this.call('filteredByRule');
  }

  warningsByCode(): Promise<WarningCount[]> {
    return this.call('warningsByCode');
  }

  sourceCounts(): Promise<SourceCounts[]> {
    return this.call('sourceCounts');
  }

  userMessages(userKey: string, page?: { limit?: number; before?: number }): Promise<UserMessagesPage> {
    return this.call('userMessages', userKey, page);
  }

  failures(filter: FailureFilter): Promise<DeadLetter[]> {
    return this.call('failures', filter);
  }

  failure(id: number): Promise<DeadLetter | undefined> {
    return this.call('failure', id);
  }

  replay(filter: FailureFilter, now?: number): Promise<number> {
    return this.call('replay', filter, now);
  }

  async suppress(userIds: string[], now: number): Promise<void> {
    await this.call('suppress', userIds, now);
    for (const u of userIds) this.suppressedIds.add(u);
  }

  async suppressed(): Promise<Set<string>> {
    return this.suppressedIds;
  }

  prune(now: number, dedupeWindowMs: number): Promise<void> {
    return this.call('prune', now, dedupeWindowMs);
  }

  async close(): Promise<void> {
    if (this.closing) return;
    if (this.down) {
      this.closing = true;
      await this.worker.terminate();
      return;
    }
    const exited = new Promise<void>((r) => this.worker.once('exit', () => r()));
    const closed = this.call<void>('close');
    this.closing = true;
    await closed;
    await exited;
  }
}
