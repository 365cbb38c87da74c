// Moves SQLite's WAL checkpoints off the event loop. With autocheckpoint, the committing connection copies
// WAL pages into the database file itself, which roughly doubled the cost of every append; here a worker
// thread with its own connection checkpoints in the background (PASSIVE: it never blocks writers).
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const Database = require(workerData.driver);
let db;
try {
  db = new Database(workerData.file);
  db.pragma('busy_timeout = 5000');
} catch {
  process.exit(0); // the store was closed (and its file removed) before this thread started
}
const timer = setInterval(() => {
  try {
    const [r] = db.pragma('wal_checkpoint(PASSIVE)');
    // When the writer laps the checkpoint the WAL keeps growing: truncate it when it is large and idle enough.
    if (r && r.log > workerData.truncatePages && r.checkpointed === r.log) db.pragma('wal_checkpoint(TRUNCATE)');
  } catch {}
}, workerData.intervalMs);
parentPort.on('message', () => { clearInterval(timer); try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} db.close(); parentPort.postMessage('closed'); });
`;

export class Checkpointer {
  private readonly worker: Worker;

  constructor(file: string, intervalMs = 200, truncatePages = 50_000) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER, { eval: true, workerData: { file, driver, intervalMs, truncatePages } });
    this.worker.unref();
    // Checkpointing is an optimisation: a failure in it must never take the process down.
    this.worker.on('error', () => {});
  }

  async close(): Promise<void> {
    const done = new Promise<void>((r) => {
      this.worker.once('message', () => r());
      this.worker.once('exit', () => r());
    });
    this.worker.postMessage('close');
    await done;
    await this.worker.terminate();
  }
}
