// The user lookup written behind the appends (src/store/sqlite/indexer.ts), on real files: a lookup sees a
// message whether or not it is indexed yet, after a reopen and after the owner was killed; prune keeps the index in
// step with the messages; a file of the earlier layout (indexes on messages, filled at append) is migrated.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { INDEX_BATCH, INDEX_STEP } from '../../src/store/sqlite/indexer.js';
import type { StoredMessage } from '../../src/store/types.js';
import { LANES } from '../../src/store/lanes.js';
import { tmpDir } from '../tmp.js';
import { msg } from './contract.js';

const ALL = Array.from({ length: LANES }, (_, i) => i);
/** The owner with its indexer held off: it runs only when asked (prune) and at close. */
const HELD = { owner: true, indexIntervalMs: 3_600_000 };
const t = tmpDir();
after(() => t.cleanup());

function identified(id: string, userId: string, anonymousId: string): StoredMessage {
  return { messageId: id, userKey: userId, anonymousId, receivedAt: 1000, payload: JSON.stringify({ type: 'track', event: id, userId, anonymousId, messageId: id }), destinations: ['d1'] };
}
const state = (s: SqliteStore) => ({
  upto: s.db.prepare("SELECT upto FROM index_state WHERE name = 'user_lookup'").pluck().get() as number,
  entries: s.db.prepare('SELECT count(*) FROM user_lookup').pluck().get() as number,
  maxId: s.db.prepare('SELECT coalesce(max(id), 0) FROM messages').pluck().get() as number,
});
const ids = async (s: SqliteStore, key: string, page: { limit?: number; before?: number } = {}) => (await s.userMessages(key, page)).messages.map((m) => m.messageId);
/** Every page of a key's messages, by the cursor. */
async function allPages(s: SqliteStore, key: string, limit: number): Promise<string[][]> {
  const pages: string[][] = [];
  let before: number | undefined;
  for (;;) {
    const p = await s.userMessages(key, { limit, ...(before !== undefined ? { before } : {}) });
    pages.push(p.messages.map((m) => m.messageId));
    if (p.next === undefined) return pages;
    before = p.next;
  }
}

describe('sqlite user lookup written behind', () => {
  test('a message is found before and after it is indexed, across the watermark and across a reopen', async () => {
    const file = join(t.dir, 'lookup.sqlite');
    const s = new SqliteStore(file, HELD);
    await s.append('src', [msg('c1', 'carol'), identified('i1', 'carol', 'anon-1'), msg('x1', 'dave')]);
    assert.deepEqual(state(s), { upto: 0, entries: 0, maxId: 3 }, 'nothing indexed at append');
    assert.deepEqual(await ids(s, 'carol'), ['i1', 'c1'], 'the tail is read');
    assert.deepEqual(await ids(s, 'anon-1'), ['i1']);

    await s.prune(1000, 86_400_000); // runs the indexer first
    assert.deepEqual(state(s), { upto: 3, entries: 4, maxId: 3 }, 'user keys and the anonymousId indexed, the watermark moved');
    await s.append('src', [identified('i2', 'carol', 'anon-1'), msg('c2', 'carol'), msg('x2', 'dave')]);
    assert.equal(state(s).upto, 3, 'the new messages are the tail');
    assert.deepEqual(await ids(s, 'carol'), ['c2', 'i2', 'i1', 'c1'], 'tail, then index');
    assert.deepEqual(await allPages(s, 'carol', 1), [['c2'], ['i2'], ['i1'], ['c1'], []], 'paged across the watermark (a full page has a next)');
    assert.deepEqual(await allPages(s, 'anon-1', 1), [['i2'], ['i1'], []]);
    assert.deepEqual(await ids(s, 'dave'), ['x2', 'x1']);
    await s.close();

    // A read-only handle (the CLI) reads the same, and close() indexed the tail.
    const ro = new SqliteStore(file, { readonly: true });
    assert.deepEqual(state(ro), { upto: 6, entries: 8, maxId: 6 });
    assert.deepEqual(await ids(ro, 'carol'), ['c2', 'i2', 'i1', 'c1']);
    await ro.close();
    const again = new SqliteStore(file, HELD);
    await again.append('src', [msg('c3', 'carol')]);
    assert.deepEqual(await allPages(again, 'carol', 2), [['c3', 'c2'], ['i2', 'i1'], ['c1']]);
    await again.close();
  });

  test('an owner killed (SIGKILL) before indexing: lookups and dedupe see its messages after reopening', async () => {
    const file = join(t.dir, 'killed.sqlite');
    const child = spawnSync(process.execPath, ['--import', 'tsx', 'test/store/sqlite-tail-process.ts', file, '50'], { encoding: 'utf8' });
    assert.equal(child.signal, 'SIGKILL', child.stdout + child.stderr);
    assert.match(child.stdout, /stored 50/);
    const ro = new SqliteStore(file, { readonly: true });
    assert.deepEqual(state(ro), { upto: 0, entries: 0, maxId: 50 }, 'the owner died with every message in the tail');
    await ro.close();

    const s = new SqliteStore(file, HELD);
    const u3 = Array.from({ length: 10 }, (_, k) => `m${45 - 5 * k + 3}`);
    assert.deepEqual(await ids(s, 'u3'), u3);
    assert.deepEqual(await ids(s, 'a3'), u3);
    const repeat = await s.append('src', [msg('m7', 'u2'), msg('m49', 'u4'), msg('new', 'u3')]);
    assert.deepEqual([repeat.accepted, repeat.duplicates], [1, [0, 1]], 'the killed owner\'s messages are duplicates');
    await s.prune(1000, 86_400_000);
    assert.deepEqual(state(s), { upto: 51, entries: 101, maxId: 51 });
    assert.deepEqual(await ids(s, 'u3'), ['new', ...u3]);
    assert.deepEqual(await ids(s, 'a3'), u3);
    await s.close();
  });

  test('prune removes delivered messages with their index entries, below the watermark only; new ids stay above it', async () => {
    const file = join(t.dir, 'prune.sqlite');
    const s = new SqliteStore(file, HELD);
    try {
      await s.append('src', [msg('p1', 'u1'), identified('p2', 'u1', 'anon-1'), msg('p3', 'u2')]);
      const jobs = await s.claim('d1', ALL, 10, 1000);
      await s.settle('d1', jobs.map((j) => ({ jobId: j.id, status: 'done' as const })), 1000);
      await s.prune(1000, 86_400_000);
      // Every job is done, yet the message at the watermark stays: the next message's id must be after it.
      assert.deepEqual(state(s), { upto: 3, entries: 1, maxId: 3 }, 'p1 and p2 gone with their entries; p3 kept');
      assert.deepEqual(await ids(s, 'u1'), []);
      assert.deepEqual((await s.append('src', [msg('p1', 'u1')])).duplicates, [0], 'the dedupe key outlives the message');
      await s.append('src', [msg('p4', 'u1')]);
      assert.equal(state(s).maxId, 4, 'a new message gets an id after the watermark');
      assert.deepEqual(await ids(s, 'u1'), ['p4'], 'and is found in the tail');
      const later = 1000 + 2 * 86_400_000;
      await s.settle('d1', (await s.claim('d1', ALL, 10, later)).map((j) => ({ jobId: j.id, status: 'done' as const })), later);
      await s.prune(later, 86_400_000);
      assert.deepEqual(state(s), { upto: 4, entries: 1, maxId: 4 });
      assert.equal((await s.append('src', [msg('p1', 'u1', ['d1'], later)])).accepted, 1, 'the dedupe window still ends');
      assert.deepEqual(await ids(s, 'u1'), ['p1', 'p4']);
    } finally {
      await s.close();
    }
  });

  test('each run appends its entries under the watermark it started from; lookups page across runs; prune forgets entries in their run and folds the runs it emptied into run 0', async () => {
    const file = join(t.dir, 'runs.sqlite');
    const s = new SqliteStore(file, HELD);
    const runs = () => s.db.prepare('SELECT run, msg_id FROM user_lookup ORDER BY run, msg_id').raw().all();
    try {
      await s.append('src', [msg('r1', 'u1'), msg('r2', 'u2')]);
      await s.prune(1000, 86_400_000);
      await s.append('src', [msg('r3', 'u1'), msg('r4', 'u1')]);
      await s.prune(1000, 86_400_000);
      await s.append('src', [msg('r5', 'u1')]);
      await s.prune(1000, 86_400_000);
      assert.deepEqual(runs(), [[0, 1], [0, 2], [2, 3], [2, 4], [4, 5]], 'three runs, each keyed by its start');
      assert.deepEqual(await allPages(s, 'u1', 1), [['r5'], ['r4'], ['r3'], ['r1'], []], 'newest first across runs');
      assert.deepEqual(await allPages(s, 'u1', 3), [['r5', 'r4', 'r3'], ['r1']]);

      const jobs = await s.claim('d1', ALL, 10, 1000);
      const of = (id: string) => jobs.find((j) => j.message.messageId === id)!.id;
      await s.settle('d1', [
        ...['r1', 'r2', 'r4', 'r5'].map((id) => ({ jobId: of(id), status: 'done' as const })),
        { jobId: of('r3'), status: 'dead', code: '512', reason: 'refused' },
      ], 1000);
      await s.append('src', [msg('r6', 'u1')]);
      await s.prune(1000, 86_400_000);
      // r6 (run 5) keeps its job; below it only the dead letter r3 is left, folded into run 0 with its entry.
      assert.deepEqual(runs(), [[0, 3], [5, 6]]);
      assert.deepEqual(await allPages(s, 'u1', 1), [['r6'], ['r3'], []]);
      assert.deepEqual(await ids(s, 'u2'), []);

      // A folded entry is still forgotten in its run once its message goes (the dead letter replayed, delivered).
      await s.replay({ destination: 'd1' }, 2000);
      const again = await s.claim('d1', ALL, 10, 3000);
      await s.settle('d1', again.map((j) => ({ jobId: j.id, status: 'done' as const })), 3000);
      await s.append('src', [msg('r7', 'u2')]);
      await s.prune(3000, 86_400_000);
      assert.deepEqual(runs(), [[6, 7]], 'every delivered message forgotten: r6, the watermark message, pruned with the next run');
      assert.deepEqual(await ids(s, 'u1'), []);
      assert.deepEqual(await ids(s, 'u2'), ['r7']);
    } finally {
      await s.close();
    }
  });

  test('a long tail is indexed in steps of INDEX_STEP, appends going on between them; the steps of a run share its key until it covers INDEX_BATCH messages', async () => {
    const file = join(t.dir, 'steps.sqlite');
    const s = new SqliteStore(file, HELD);
    const total = INDEX_BATCH + INDEX_STEP + 10;
    try {
      await s.append('src', Array.from({ length: total }, (_, i) => msg(`s${i + 1}`, `u${i % 7}`)));
      const pruned = s.prune(1000, 86_400_000);
      assert.equal(state(s).upto, INDEX_STEP, 'one step now, the rest queued a turn at a time');
      await pruned;
      // An append made while the steps go on is committed between them and indexed by a later one.
      const late = s.append('src', [msg('late', 'u3')]);
      for (let turns = 0; state(s).upto < total + 1 && turns < 1000; turns++) await new Promise((r) => setImmediate(r));
      await late;
      assert.equal(state(s).upto, total + 1, 'the whole tail indexed');
      const runs = s.db.prepare('SELECT run, count(*), min(msg_id), max(msg_id) FROM user_lookup GROUP BY run ORDER BY run').raw().all();
      assert.deepEqual(runs, [[0, INDEX_BATCH, 1, INDEX_BATCH], [INDEX_BATCH, total + 1 - INDEX_BATCH, INDEX_BATCH + 1, total + 1]], 'two runs, not one per step');
      const u3 = Array.from({ length: total }, (_, i) => i + 1).filter((i) => (i - 1) % 7 === 3).map((i) => `s${i}`).reverse();
      assert.deepEqual((await allPages(s, 'u3', 400)).flat(), ['late', ...u3], 'every message found once, newest first, across the runs');
    } finally {
      await s.close();
    }
  });

  test('a file whose user_lookup is keyed by (hash, msg_id) is rekeyed by run when its owner opens it', async () => {
    const file = join(t.dir, 'by-hash.sqlite');
    const s = new SqliteStore(file, HELD);
    await s.append('src', [msg('h1', 'u1'), identified('h2', 'u1', 'anon-1'), msg('h3', 'u2')]);
    await s.prune(1000, 86_400_000);
    await s.append('src', [msg('h4', 'u1')]);
    // As the earlier version left it: entries keyed by user hash, the last message not indexed yet.
    s.db.exec(`CREATE TABLE old_lookup (hash INTEGER NOT NULL, msg_id INTEGER NOT NULL, PRIMARY KEY (hash, msg_id)) WITHOUT ROWID;
      INSERT INTO old_lookup SELECT hash, msg_id FROM user_lookup; DROP TABLE user_lookup; ALTER TABLE old_lookup RENAME TO user_lookup`);
    await s.close();
    // close() indexes the tail: with the old table, that fails and the tail stays a tail.
    const ro = new SqliteStore(file, { readonly: true });
    assert.deepEqual(await ids(ro, 'u1'), ['h4', 'h2', 'h1'], 'read-only before the owner rekeys: the whole table is the tail');
    await ro.close();

    const again = new SqliteStore(file, HELD);
    try {
      assert.deepEqual(again.db.prepare('SELECT run, msg_id FROM user_lookup ORDER BY msg_id, run').raw().all(), [[0, 1], [0, 2], [0, 2], [0, 3]]);
      assert.deepEqual(await ids(again, 'u1'), ['h4', 'h2', 'h1']);
      assert.deepEqual(await ids(again, 'anon-1'), ['h2']);
      await again.prune(1000, 86_400_000);
      assert.deepEqual(await ids(again, 'u1'), ['h4', 'h2', 'h1']);
      assert.equal(state(again).upto, 4);
    } finally {
      await again.close();
    }
  });

  test('a file of the layout that indexed messages at append is migrated: entries backfilled, those indexes dropped', async () => {
    const file = join(t.dir, 'old-layout.sqlite');
    const s = new SqliteStore(file, HELD);
    await s.append('src', [msg('o1', 'u1'), identified('o2', 'u1', 'anon-1'), msg('o3', 'u2'), identified('o4', 'u2', 'u1')]);
    // As the earlier version left it: user_hash and anon_hash indexed on messages, no lookup table, no watermark.
    s.db.exec(`DROP TABLE user_lookup; DROP TABLE index_state;
      CREATE INDEX messages_user_hash ON messages (user_hash) WHERE user_hash IS NOT NULL;
      CREATE INDEX messages_anon_hash ON messages (anon_hash) WHERE anon_hash IS NOT NULL`);
    await s.close();

    // The CLI on the file before an owner of this version opened it: the earlier indexes serve its lookups.
    const ro = new SqliteStore(file, { readonly: true });
    assert.deepEqual(await ids(ro, 'u1'), ['o4', 'o2', 'o1']);
    await ro.close();

    const again = new SqliteStore(file, HELD);
    try {
      assert.deepEqual(state(again), { upto: 4, entries: 6, maxId: 4 }, 'every message indexed at open');
      const indexes = again.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'").pluck().all();
      assert.deepEqual(indexes, []);
      assert.deepEqual(await ids(again, 'u1'), ['o4', 'o2', 'o1']);
      assert.deepEqual(await ids(again, 'anon-1'), ['o2']);
      assert.deepEqual(await ids(again, 'u2'), ['o4', 'o3']);
      assert.deepEqual((await again.append('src', [msg('o3', 'u2'), msg('o5', 'u2')])).duplicates, [0], 'the dedupe table kept working');
      assert.deepEqual(await ids(again, 'u2'), ['o5', 'o4', 'o3']);
    } finally {
      await again.close();
    }
  });
});
