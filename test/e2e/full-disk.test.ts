// A full disk, on a small tmpfs: ingest answers 503 with Retry-After and stores nothing, /healthz reports the
// store unhealthy, and a request delivered while its outcome cannot be written is recorded once the disk has room
// again, never sent a second time. Mounting needs root (CI runs as root); elsewhere the test says so and skips.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { startServer } from '../../src/server.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/util/logger.js';
import { tmpDir, waitFor } from '../tmp.js';

const KEY = 'disk-key';
const auth = 'Basic ' + Buffer.from(`${KEY}:`).toString('base64');

/** Writes a file until the file system is full (ENOSPC). */
function fill(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  // The last partial pages too.
  const small = openSync(`${file}.tail`, 'w');
  try {
    for (;;) writeSync(small, Buffer.alloc(512, 1));
  } catch {
    // full
  } finally {
    closeSync(small);
  }
}

const batch = (prefix: string, n: number) =>
  JSON.stringify({ batch: Array.from({ length: n }, (_, i) => ({ type: 'track', userId: `u${i % 7}`, event: 'Disk', messageId: `${prefix}-${i}` })) });

test('a full disk: 503 with Retry-After, unhealthy, delivered outcomes kept until they can be recorded, nothing sent twice', { timeout: 120_000 }, async (t) => {
  const tmp = tmpDir();
  const mnt = join(tmp.dir, 'disk');
  spawnSync('mkdir', ['-p', mnt]);
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt], { encoding: 'utf8' });
  if (mount.status !== 0) {
    tmp.cleanup();
    t.skip(`cannot mount a tmpfs here (needs root): ${(mount.stderr || mount.error?.message || '').trim()}`);
    return;
  }
  // The destination: a webhook receiver that holds its first request until the test lets it answer.
  const received: string[][] = [];
  let releaseFirst!: () => void;
  const firstHeld = new Promise<void>((r) => (releaseFirst = r));
  const hook = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      received.push((JSON.parse(body).batch as { messageId: string }[]).map((m) => m.messageId));
      const answer = () => res.writeHead(200).end('{}');
      if (received.length === 1) void firstHeld.then(answer);
      else answer();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const file = join(mnt, 'store.sqlite');
  const cfgFile = join(tmp.dir, 'taproute.yaml');
  writeFileSync(
    cfgFile,
    `server: { port: 0 }
storage: { sqlite: ${file} }
router: { retryBase: 20ms, retryMax: 200ms, pollInterval: 20ms }
sources: [{ id: web, type: segment, writeKey: ${KEY} }]
destinations: [{ id: hook, type: webhook, settings: { url: "http://127.0.0.1:${(hook.address() as AddressInfo).port}/in", batchSize: 100 } }]
connections: [{ source: web, destination: hook }]
`,
  );
  const config = loadConfig(cfgFile);
  const server = await startServer(config, { logger: createLogger('silent') });
  const send = (body: string) => request(`${server.url}/v1/batch`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body });
  const health = async () => (await request(`${server.url}/healthz`)).statusCode;
  try {
    const a = await send(batch('a', 20));
    assert.equal(a.statusCode, 200, await a.body.text());
    await waitFor(() => received.length === 1, 10_000, 'the first request at the destination');
    assert.equal(received[0].length, 20);

    // Fill the disk. The WAL is emptied first, so that any write needs new space.
    const other = new Database(file);
    other.pragma('busy_timeout = 5000');
    other.pragma('wal_checkpoint(TRUNCATE)');
    other.close();
    fill(join(mnt, 'filler'));

    const b = await send(batch('b', 20));
    assert.equal(b.statusCode, 503, await b.body.text());
    assert.ok(Number(b.headers['retry-after']) > 0, 'Retry-After tells the client when to send again');
    assert.equal(await health(), 503, '/healthz reports the store unhealthy');

    // The destination accepts the first request now; its outcome cannot be written.
    releaseFirst();
    // Several retryMax periods (200 ms) pass while the disk stays full: the request is not sent again.
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(received.length, 1, 'a delivered request is never sent again because its outcome could not be written');
    assert.equal((await server.store.counts())[0].delivered, 0, 'not recorded yet');
    assert.equal(await health(), 503);

    // Room again: the kept outcome is recorded, the store is healthy, and the refused batch can be sent again.
    rmSync(join(mnt, 'filler'));
    rmSync(join(mnt, 'filler.tail'));
    await waitFor(async () => (await health()) === 200, 20_000, 'healthy again');
    await waitFor(async () => (await server.store.counts())[0].delivered === 20, 20_000, 'the kept outcome recorded');
    const again = await send(batch('b', 20));
    assert.equal(again.statusCode, 200, await again.body.text());
    await waitFor(async () => (await server.store.counts())[0].delivered === 40, 20_000, 'the second batch delivered');
    const src = (await server.store.sourceCounts())[0];
    assert.deepEqual([src.received, src.duplicates], [40, 0], 'nothing of the refused request had been stored');
    const ids = received.flat();
    assert.equal(ids.length, new Set(ids).size, 'every event reached the destination once');
    assert.equal(ids.length, 40);
  } finally {
    releaseFirst();
    await server.close();
    await new Promise((r) => hook.close(r));
    spawnSync('umount', [mnt]);
    tmp.cleanup();
  }
});
