// PostgreSQL out of reach behind a TCP relay that the test cuts and restores: ingest answers 503 with
// Retry-After (nothing acknowledged), /healthz says so, the node stays up, and once the database answers
// again every acknowledged event is delivered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { basic, get, post, startStack, waitFor, WRITE_KEY } from '../helpers.js';
import { testDatabaseUrl } from '../pg.js';

const dbUrl = new URL(await testDatabaseUrl());

/** A relay from a local port to PostgreSQL; down() refuses and drops connections, up() forwards again. */
async function relay(target: URL) {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const up = () =>
    new Promise<void>((resolve) => {
      server = createServer((s) => {
        const out = connect(Number(target.port), target.hostname);
        for (const x of [s, out]) {
          sockets.add(x);
          x.on('error', () => {});
          x.on('close', () => (sockets.delete(x), s.destroy(), out.destroy()));
        }
        s.pipe(out).pipe(s);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  const down = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server!.close(() => resolve());
    });
  await up();
  const url = new URL(target.toString());
  url.port = String(port);
  return { url: url.toString(), up, down };
}

test('PostgreSQL out of reach: 503 with Retry-After, the node stays up, nothing acknowledged is lost', { timeout: 120_000 }, async () => {
  const r = await relay(dbUrl);
  const stack = await startStack({ config: { storage: { postgres: r.url }, cluster: { leaseTimeout: '1s' } } });
  const auth = { authorization: basic(WRITE_KEY) };
  const track = (i: number) => post(`${stack.server.url}/v1/track`, { userId: 'u1', event: 'E', properties: { i }, messageId: `m${i}` }, auth);
  try {
    assert.equal((await track(1)).status, 200);
    await r.down();
    const refused = await track(2);
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.ok(Number(refused.headers['retry-after']) > 0, 'Retry-After tells the SDK when to send again');
    assert.equal((await get(`${stack.server.url}/healthz`)).status, 503);
    await r.up();
    // The client sends again, as an SDK does after a 503.
    await waitFor(async () => (await track(2)).status === 200, 60_000, 'ingest to accept again');
    assert.equal((await track(3)).status, 200);
    const sent = await waitFor(() => {
      const ev = stack.emulator.events('acc') as any[];
      return new Set(ev.map((e) => e.evtData.i)).size === 3 ? ev : null;
    }, 60_000, 'every acknowledged event to be delivered');
    assert.deepEqual([...new Set(sent.map((e) => e.evtData.i))], [1, 2, 3], 'in order');
    assert.equal((await get(`${stack.server.url}/healthz`)).status, 200);
  } finally {
    await stack.close();
    await r.down().catch(() => {});
  }
});
