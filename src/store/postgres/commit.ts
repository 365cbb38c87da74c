// Group commit over the network: appends submitted while a commit is in flight wait and go together in the
// next transaction, so one round of statements and one WAL flush on the server cover many requests. One
// commit at a time per node also hands out job ids in the order this node received its messages.
interface Queued<T, R> {
  item: T;
  resolve(r: R): void;
  reject(e: unknown): void;
}

export class AsyncGroupCommit<T, R> {
  private queue: Queued<T, R>[] = [];
  private running: Promise<void> | null = null;

  /** @param commit writes every item in one transaction and returns one result per item, or throws. */
  constructor(private readonly commit: (items: T[]) => Promise<R[]>) {}

  submit(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (!this.running) this.running = new Promise((r) => setImmediate(r)).then(() => this.drain());
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue;
      this.queue = [];
      try {
        const results = await this.commit(batch.map((q) => q.item));
        batch.forEach((q, i) => q.resolve(results[i]));
      } catch (err) {
        for (const q of batch) q.reject(err);
      }
    }
    this.running = null;
  }

  /** Resolves once every submitted item is committed (or failed). */
  async close(): Promise<void> {
    while (this.running) await this.running;
  }
}
