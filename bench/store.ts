// Store throughput behind the asynchronous Store interface, SqliteStore on a real file (synchronous=FULL,
// as the server opens it), beside a baseline measured in the same run: a bare better-sqlite3 multi-row
// INSERT of the same message and job rows into plain tables, in one transaction (one fsync).
// - append: the ingest pattern, 100 events per append() and 16 appends in flight (group commit + fsync);
// - claim + settle: the router pattern, claim 1000 jobs over every lane, settle them all done, until empty.
// Payloads are the transform bench's events in both mixes (compact, and realistic ~1.4 KB), serialised before
// timing as ingest does.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { measure, report } from './lib.js';
import { MIXES, buildEvents, type Mix } from './events.js';
import { LANES, laneOf } from '../src/store/lanes.js';
import { SqliteStore } from '../src/store/sqlite/index.js';
import type { StoredMessage } from '../src/store/types.js';

const SCALE = Number(process.env.BENCH_SCALE ?? 1);
const PER_APPEND = 100;
const IN_FLIGHT = 16;
const CLAIM = 1000;
const ALL_LANES = Array.from({ length: LANES }, (_, i) => i);

function storedMessages(n: number, round: number, mix: Mix): StoredMessage[] {
  return buildEvents(n, 7 + round, mix).map((e, i) => {
    const messageId = `r${round}-${i}-${e.messageId}`;
    return { messageId, userKey: String(e.userId ?? e.anonymousId), receivedAt: Date.now(), payload: JSON.stringify({ ...e, messageId }), destinations: ['ct'] };
  });
}

async function appendAll(store: SqliteStore, msgs: StoredMessage[]): Promise<void> {
  let next = 0;
  const client = async () => {
    while (next < msgs.length) {
      const chunk = msgs.slice(next, (next += PER_APPEND));
      await store.append('web', chunk);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, client));
}

/** Claims and settles `max` jobs (the warm-up round drains the warm-up append's share). */
async function drain(store: SqliteStore, max: number): Promise<number> {
  let n = 0;
  while (n < max) {
    const now = Date.now();
    const jobs = await store.claim('ct', ALL_LANES, Math.min(CLAIM, max - n), now, 2 * 1024 * 1024);
    if (jobs.length === 0) break;
    await store.settle('ct', jobs.map((j) => ({ jobId: j.id, status: 'done' as const })), now);
    n += jobs.length;
  }
  return n;
}

/** The same message and job rows, multi-row INSERTs of PER_APPEND rows, all in one transaction. */
function bareInsert(db: Database.Database, msgs: StoredMessage[], firstId: number): void {
  const values = (cols: number, rows: number) => Array.from({ length: rows }, () => `(${Array(cols).fill('?').join(',')})`).join(',');
  const insert = (table: string, cols: string, n: number, rows: number) =>
    db.prepare(`INSERT INTO ${table} (${cols}) VALUES ${values(n, rows)}`);
  db.transaction(() => {
    for (let i = 0; i < msgs.length; i += PER_APPEND) {
      const chunk = msgs.slice(i, i + PER_APPEND);
      insert('messages', 'id, source_id, message_id, received_at, payload', 5, chunk.length).run(
        chunk.flatMap((m, k) => [firstId + i + k, 'web', m.messageId, m.receivedAt, m.payload]),
      );
      insert('jobs', 'msg_id, source_id, destination_id, user_key, received_at, lane', 6, chunk.length).run(
        chunk.flatMap((m, k) => [firstId + i + k, 'web', 'ct', m.userKey, m.receivedAt, laneOf(m.userKey)]),
      );
    }
  })();
}

export async function run(): Promise<void> {
  for (const mix of MIXES) await runMix(mix);
}

async function runMix(mix: Mix): Promise<void> {
  const n = Math.round(100_000 * SCALE);
  const dir = mkdtempSync(join(tmpdir(), 'taproute-bench-store-'));
  try {
    const rounds = [storedMessages(n, 0, mix), storedMessages(n, 1, mix)];
    const avgBytes = Math.round(rounds[0].reduce((a, m) => a + m.payload.length, 0) / n);
    const notes = [`${mix} mix: ${n.toLocaleString('en-US')} events of ~${avgBytes} bytes, ${PER_APPEND} per append(), ${IN_FLIGHT} appends in flight; claim ${CLAIM} per call`];

    const store = new SqliteStore(join(dir, 'store.sqlite'), { owner: true });
    let round = 0;
    const append = await measure(`SqliteStore.append (group commit, fsync; ${mix})`, 'events', n, () => appendAll(store, rounds[round++ % 2]));
    const claimSettle = await measure(`SqliteStore.claim + settle (done; ${mix})`, 'events', n, async () => {
      const drained = await drain(store, n);
      if (drained !== n) throw new Error(`drained ${drained} jobs, expected ${n}`);
    });
    await store.close();

    const db = new Database(join(dir, 'baseline.sqlite'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec(`CREATE TABLE messages (id INTEGER PRIMARY KEY, source_id TEXT, message_id TEXT, received_at INTEGER, payload TEXT);
             CREATE TABLE jobs (id INTEGER PRIMARY KEY, msg_id INTEGER, source_id TEXT, destination_id TEXT, user_key TEXT, received_at INTEGER, lane INTEGER)`);
    let base = 0;
    const baseline = await measure(`baseline: bare multi-row INSERT, 1 transaction (${mix})`, 'events', n, () => {
      bareInsert(db, rounds[base % 2], base * n + 1);
      base++;
    });
    db.close();

    report(`store (${mix}): append through the Store interface`, append, baseline, notes);
    report(`store (${mix}): claim + settle through the Store interface`, claimSettle, baseline, [
      'baseline: the same INSERT (writing the rows is the least a store must do for each event)',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
