// Group commit: every submission made in one event-loop turn shares one transaction, and each promise
// resolves only after that transaction is durable. With a WAL file to sync, commits run without fsync and
// the WAL is then fsynced on libuv's thread pool before anyone is answered: as durable as synchronous=FULL
// (https://www.sqlite.org/pragma.html#pragma_synchronous), but the event loop keeps parsing the next
// requests while the disk syncs, and one fsync covers every commit made before it started.
import { closeSync, fsync, fsyncSync, openSync } from 'node:fs';
import { StoreUnavailableError } from '../errors.js';

interface Queued<T, R> {
  item: T;
  resolve(r: R): void;
  reject(e: unknown): void;
}

export class GroupCommit<T, R> {
  private queue: Queued<T, R>[] = [];
  private flushScheduled = false;
  private walFd: number | null;
  private syncing = false;
  private syncWaiters: ((err: Error | null) => void)[] = [];
  /** Set when an fsync failed: nothing is acknowledged any more (the kernel may have dropped the pages). */
  private failure: Error | null = null;

  /**
   * @param walFile the WAL to fsync before resolving, or null when the connection's own synchronous
   *   setting is the durability asked for.
   * @param commit writes every queued item in one transaction and returns one result per item; it throws
   *   if the transaction failed (then every item is rejected).
   */
  constructor(
    walFile: string | null,
    private readonly commit: (items: T[]) => R[],
    /** fsync on this thread, right after the commit: for a thread that does nothing but store (thread-host.ts).
     *  Submissions still gather while it blocks, and each acknowledgement saves a hop through the thread pool,
     *  which costs a wake-up (milliseconds on a busy machine) twice per commit. */
    private readonly inlineSync = false,
  ) {
    this.walFd = walFile === null ? null : openSync(walFile, 'a');
  }

  /** Submissions wait for their commit (other work on this thread would delay them). */
  pending(): boolean {
    return this.queue.length > 0;
  }

  healthy(): boolean {
    return this.failure === null;
  }

  submit(item: T): Promise<R> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      // While an fsync runs, submissions gather for the next commit: their acknowledgement would wait for
      // the following fsync anyway, and fewer, larger transactions rewrite fewer index pages.
      if (!this.flushScheduled && !this.syncing) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    let results: R[];
    try {
      results = this.commit(batch.map((q) => q.item));
    } catch (err) {
      for (const q of batch) q.reject(err);
      return;
    }
    if (this.walFd === null) batch.forEach((q, i) => q.resolve(results[i]));
    else if (this.inlineSync) {
      const err = this.syncInline();
      batch.forEach((q, i) => (err ? q.reject(err) : q.resolve(results[i])));
    } else this.afterSync((err) => batch.forEach((q, i) => (err ? q.reject(err) : q.resolve(results[i]))));
  }

  private syncInline(): Error | null {
    try {
      fsyncSync(this.walFd!);
      return null;
    } catch (err) {
      this.failure ??= new StoreUnavailableError(`store unavailable: fsync failed (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
      return this.failure;
    }
  }

  /** Runs cb once an fsync of the WAL that started after this call has completed (group fsync). */
  private afterSync(cb: (err: Error | null) => void): void {
    this.syncWaiters.push(cb);
    if (!this.syncing) this.syncNow();
  }

  private syncNow(): void {
    this.syncing = true;
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    fsync(this.walFd!, (err) => {
      this.syncing = false;
      if (err && !this.failure) this.failure = new StoreUnavailableError(`store unavailable: fsync failed (${err.code ?? err.message})`);
      for (const w of waiters) w(err);
      if (this.walFd === null) return;
      if (this.queue.length && !this.flushScheduled) this.flush(); // queues the next fsync itself
      else if (this.syncWaiters.length) this.syncNow();
    });
  }

  /** Commits what is queued and makes it durable; resolves once no fsync runs on the WAL any more. */
  async close(): Promise<void> {
    if (this.queue.length) this.flush();
    if (this.walFd === null) return;
    // Let an fsync in flight finish before its descriptor goes away, then cover the rest synchronously.
    while (this.syncing) await new Promise((r) => setTimeout(r, 1));
    fsyncSync(this.walFd);
    for (const w of this.syncWaiters.splice(0)) w(null);
    closeSync(this.walFd);
    this.walFd = null;
  }
}
