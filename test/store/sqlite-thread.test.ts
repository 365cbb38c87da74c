// The SQLite store on its own thread, where it fails: the thread dies in the middle of a load, and another
// connection holds the write lock past the busy timeout. Nothing is acknowledged that is not committed, no call
// waits for a thread that is gone, the store comes back by itself, and ingest answers 503 (never crashes).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { startServer } from '../../src/server.js';
import { StoreUnavailableError } from '../../src/store/errors.js';
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { SqliteThreadStore } from '../../src/store/sqlite/thread.js';
import type { Config } from '../../src/config/schema.js';
import { createLogger } from '../../src/util/logger.js';
import { tmpDir, waitFor } from '../tmp.js';
import { msg } from './contract.js';

const t = tmpDir();
after(() => t.cleanup());

/** Message ids stored in the file, read through a second handle as the CLI would. */
function storedIds(file: string): Set<string> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return new Set((db.prepare('SELECT message_id FROM messages').pluck().all() as string[]));
  } finally {
    db.close();
  }
}

/** A server on its own store file with one Segment source, and a poster of one-event batches to it. */
async function serverOn(file: string, key: string) {
  const config = {
    server: { port: 0 },
    storage: { sqlite: file },
    sources: [{ id: 'web', type: 'segment', writeKey: key }],
    destinations: [],
    connections: [],
  } as unknown as Config;
  const server = await startServer(config, { logger: createLogger('silent') });
  const post = async (id: string) => {
    const res = await request(`${server.url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + Buffer.from(`${key}:`).toString('base64'), 'content-type': 'application/json' },
      body: JSON.stringify({ batch: [{ type: 'track', userId: 'u1', event: 'Test', messageId: id }] }),
    });
    return { status: res.statusCode, retryAfter: res.headers['retry-after'], body: await res.body.text() };
  };
  return { server, post };
}

describe('SqliteThreadStore failures', () => {
  test('the thread dies mid-load: calls in flight fail as unavailable, acknowledged appends are stored, the store comes back', { timeout: 60_000 }, async () => {
    const file = join(t.dir, 'crash.sqlite');
    const errors: Error[] = [];
    const s = await SqliteThreadStore.open(file, { owner: true, onThreadError: (e) => errors.push(e) });
    const acked: string[] = [];
    const failed: unknown[] = [];
    let n = 0;
    const client = async () => {
      for (let i = 0; i < 40; i++) {
        const batch = Array.from({ length: 20 }, () => msg(`m${n++}`, `u${n % 13}`));
        try {
          await s.append('src', batch);
          acked.push(...batch.map((m) => m.messageId));
        } catch (err) {
          failed.push(err);
        }
      }
    };
    const load = Promise.all(Array.from({ length: 4 }, client));
    await waitFor(() => acked.length >= 100, 20_000, 'some appends acknowledged');
    await s.crashThread();
    await load; // no call hangs: every one resolved or rejected
    assert.ok(failed.length > 0, 'calls made while the thread was gone were refused');
    for (const err of failed) assert.ok(err instanceof StoreUnavailableError, `refused as unavailable (503), got ${String(err)}`);
    assert.ok(errors.some((e) => /thread stopped/.test(e.message)), 'the death was reported');

    // Back by itself: a new thread opened the file again.
    await waitFor(() => s.healthy(), 20_000, 'the store healthy again');
    const r = await s.append('src', [msg('after-crash', 'u1')]);
    assert.equal(r.accepted, 1);
    await s.close();

    const ids = storedIds(file);
    for (const id of acked) assert.ok(ids.has(id), `acknowledged ${id} is stored`);
    assert.ok(ids.has('after-crash'));
    // The file reconciles after all that (counters written in the same transactions as the rows).
    const again = new SqliteStore(file, { owner: true });
    try {
      const [c] = await again.counts();
      assert.equal(c.received, c.delivered + c.dead + c.filtered + c.pending);
      assert.equal(c.pending, ids.size);
    } finally {
      await again.close();
    }
  });

  test('a second owner is refused with the owner lock error, from the thread as on one thread', async () => {
    const file = join(t.dir, 'owner.sqlite');
    const s = await SqliteThreadStore.open(file, { owner: true });
    try {
      await assert.rejects(SqliteThreadStore.open(file, { owner: true }), /in use by process/);
    } finally {
      await s.close();
    }
  });

  test('ingest: a write lock held elsewhere past the busy timeout answers 503 with Retry-After, then 200', { timeout: 60_000 }, async () => {
    const file = join(t.dir, 'busy.sqlite');
    const { server, post } = await serverOn(file, 'busy-key');
    try {
      assert.equal((await post('before')).status, 200);
      // The CLI (or an operator's sqlite3 shell) holding the write lock longer than the store waits for it.
      const other = new Database(file);
      other.exec('BEGIN IMMEDIATE');
      let busy;
      try {
        busy = await post('while-locked');
      } finally {
        other.exec('ROLLBACK');
        other.close();
      }
      assert.equal(busy.status, 503, busy.body);
      assert.ok(busy.retryAfter, 'Retry-After set');
      assert.equal((await post('after')).status, 200);
      assert.ok(server.store.healthy(), 'a lock held elsewhere is not a broken disk');
      const ids = storedIds(file);
      assert.ok(ids.has('before') && ids.has('after') && !ids.has('while-locked'));
    } finally {
      await server.close();
    }
  });

  test('ingest: the store thread dies under a running server: 503 meanwhile, never a crash or a hang, then 200', { timeout: 60_000 }, async () => {
    const file = join(t.dir, 'server-crash.sqlite');
    const { server, post: postBatch } = await serverOn(file, 'crash-key');
    const post = async (id: string) => (await postBatch(id)).status;
    try {
      assert.equal(await post('before'), 200);
      await (server.store as SqliteThreadStore).crashThread();
      // Until the new thread has the file: 503 (health says so too), then 200 again.
      const during = await post('during');
      assert.ok(during === 503 || during === 200, `503 while the thread is gone, got ${during}`);
      await waitFor(async () => (await request(`${server.url}/healthz`).then(async (r) => (await r.body.text(), r.statusCode))) === 200, 20_000, 'healthy again');
      assert.equal(await post('after'), 200);
      const ids = storedIds(file);
      assert.ok(ids.has('before') && ids.has('after'));
      if (during === 200) assert.ok(ids.has('during'), 'a 200 means stored');
    } finally {
      await server.close();
    }
  });
});
