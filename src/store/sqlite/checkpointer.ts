// Moves SQLite's WAL checkpoints off the event loop. With autocheckpoint, the committing connection copies
// WAL pages into the database file itself, which roughly doubled the cost of every append; here a worker
// thread with its own connection checkpoints in the background (PASSIVE: it never blocks writers).
// Once a second: an append dirties a page of the dedupe key's index (a random place), and each checkpoint
// writes every page dirtied since the last one, then fsyncs the database file, on the disk the group commit
// fsyncs the WAL on. Five checkpoints a second wrote those hot pages five times over; at one, 20% fewer bytes
// reach the disk per event (14.1 -> 11.3 KB at small group commits) and the WAL's fsync waits less behind them.
// It also gives the WAL's space back: once every frame is in the database, a WAL file larger than the limit is cut,
// a step at a time (onLight), and any WAL at once when the store could not write for want of space
// (https://www.sqlite.org/pragma.html#pragma_wal_checkpoint).
// Under steady load it also makes sure the WAL is started over. The writer starts it over only at a write after a
// checkpoint that copied every frame (https://www.sqlite.org/wal.html#ckpt), and a pass from this thread never ends
// between two commits when commits come back to back, so the file grew by every commit until a lull (1.1 GB after
// 40 s at half load, each WAL fsync also journalling the file's new blocks). Once the WAL holds more than the cap,
// this thread makes up to PASSES passes, each copying what came in during the one before, and then asks the
// writer (onCaughtUp) to copy the few frames left itself, between two of its commits: nothing can come in meanwhile,
// so that pass completes and the writer's next commit starts the WAL over, reusing the file in place (the writer
// raises journal_size_limit meanwhile, so the file is not cut and grown again; onLight lowers it once the load
// eases). A RESTART from this thread instead kept the writer waiting in its busy handler and put p99
// acknowledgement latency at 168-281 ms against 66-83 (10K events/s).
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const { statSync } = require('node:fs');
const Database = require(workerData.driver);
let db;
try {
  db = new Database(workerData.file);
  db.pragma('busy_timeout = 5000');
} catch {
  process.exit(0); // the store was closed (and its file removed) before this thread started
}
const walBytes = () => { try { return statSync(workerData.file + '-wal').size; } catch { return 0; } };
const frameBytes = db.pragma('page_size', { simple: true }) + 24; // a WAL frame: its page and a 24-byte header
const passive = () => db.pragma('wal_checkpoint(PASSIVE)')[0];
let trimWrite = null;
// An idle WAL is cut a step at a time as well: this connection's journal_size_limit a step below the file, then a
// one-row write whose commit starts the WAL over (the checkpoint just copied every frame) and cuts the file while it
// holds the write lock. A writer coming back meanwhile waits for that step only; TRUNCATE held it for the whole cut
// (483 ms for 1 GB here, see onLight).
const trim = () => {
  db.pragma('journal_size_limit = ' + Math.max(workerData.walLimitBytes, walBytes() - workerData.shrinkStepBytes));
  trimWrite ??= db.prepare('INSERT OR REPLACE INTO write_probe (id, at) VALUES (2, ?)');
  trimWrite.run(Date.now());
};
let reclaim = false;
let lastLog = -1;
const timer = setInterval(() => {
  try {
    let r = passive();
    const over = () => r && r.busy === 0 && r.log * frameBytes > workerData.walCapBytes;
    for (let pass = 1; pass < workerData.passes && over() && r.checkpointed === r.log; pass++) r = passive();
    const complete = r && r.busy === 0 && r.checkpointed === r.log;
    // The file is cut by this thread only when the writer has been idle since the last check (under load the
    // writer starts the WAL over itself once a checkpoint is complete, cut to journal_size_limit): a step at a time,
    // or at once (TRUNCATE, which keeps writers out while it runs) when the disk is full.
    const idle = r && r.log === lastLog;
    lastLog = r ? r.log : -1;
    if (complete && reclaim) {
      const [t] = db.pragma('wal_checkpoint(TRUNCATE)');
      if (t && t.busy === 0) reclaim = false;
    } else if (complete && idle && walBytes() > workerData.walLimitBytes) {
      trim();
      const after = passive(); // the trim's own frames, so that the next check still finds the WAL idle
      lastLog = after ? after.log : -1;
    } else if (!idle && over()) {
      parentPort.postMessage('caught-up');
    } else if (complete && walBytes() > workerData.walLimitBytes) {
      // The load eased: the writer's next start-over may cut the file, keeping twice what the WAL held at this pass
      // and cutting at most shrinkStepBytes (see onLight).
      const keep = Math.max(workerData.walLimitBytes, 2 * r.log * frameBytes, walBytes() - workerData.shrinkStepBytes);
      parentPort.postMessage({ light: keep });
    }
  } catch {}
}, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'reclaim') { reclaim = true; return; }
  clearInterval(timer);
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
  db.close();
  parentPort.postMessage('closed');
});
`;

/** Most PASSIVE passes of one checkpoint over the cap. */
const PASSES = 4;
/** One cut of the WAL file (the writer's start-over after the load eased, or this thread's trim of an idle WAL) takes
 *  at most this many times walLimitBytes off it (32 MB by default: ~10 ms of ftruncate on a disk mounted with
 *  discard; see onLight). */
const SHRINK_STEPS = 2;

export interface CheckpointerOptions {
  intervalMs?: number;
  /** A fully checkpointed WAL file larger than this is truncated. */
  walLimitBytes: number;
  /** Frames beyond this many bytes in the WAL: onCaughtUp is called after the passes (default 4 × walLimitBytes). */
  walCapBytes?: number;
  /** Called on the writer's thread when the WAL is over the cap and the passes are done: the writer runs a PASSIVE
   *  checkpoint itself (between its commits) so that its next commit starts the WAL over. */
  onCaughtUp?: () => void;
  /**
   * Called when a pass copied every frame of a WAL under the cap but its file is larger than walLimitBytes, with the
   * size the writer's next start-over may cut the file to (journal_size_limit): twice what the WAL held at that pass
   * (so a steady load does not cut and grow it again every second), and at most SHRINK_STEPS × walLimitBytes less
   * than the file. Cutting a file frees its blocks inside the writer's commit, and every acknowledgement due
   * meanwhile waits behind that commit: on ext4 mounted with discard, ftruncate took 22 ms per 64 MB cut and 112 ms
   * for 344 MB. Cut to walLimitBytes at once, a WAL grown under full load made the first commit after the load eased
   * take 195 ms.
   */
  onLight?: (keepBytes: number) => void;
}

export class Checkpointer {
  private readonly worker: Worker;
  /** The thread is gone (it could not open the file, or failed): close() must not wait for its answer. */
  private exited = false;

  constructor(file: string, opts: CheckpointerOptions) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    const workerData = {
      file,
      driver,
      intervalMs: opts.intervalMs ?? 1000,
      walLimitBytes: opts.walLimitBytes,
      walCapBytes: opts.walCapBytes ?? 4 * opts.walLimitBytes,
      shrinkStepBytes: SHRINK_STEPS * opts.walLimitBytes,
      passes: PASSES,
    };
    this.worker = new Worker(WORKER, { eval: true, workerData });
    this.worker.unref();
    // Checkpointing is an optimisation: a failure in it must never take the process down.
    this.worker.on('error', () => {});
    this.worker.on('exit', () => (this.exited = true));
    this.worker.on('message', (m) => {
      if (m === 'caught-up') opts.onCaughtUp?.();
      else if (typeof m === 'object' && m !== null && 'light' in m) opts.onLight?.(m.light as number);
    });
  }

  /** The disk is full: truncate the WAL as soon as it is fully checkpointed, whatever its size. */
  reclaim(): void {
    this.worker.postMessage('reclaim');
  }

  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((r) => {
      this.worker.on('message', (m) => m === 'closed' && r());
      this.worker.once('exit', () => r());
    });
    this.worker.postMessage('close');
    await done;
    await this.worker.terminate();
  }
}
