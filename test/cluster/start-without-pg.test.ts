// A node started while PostgreSQL is out of reach does not exit: it waits (not listening), trying again with
// backoff and logging each attempt without the password, and starts fully once a PostgreSQL comes up on that
// port (migrations included), then takes events. The database is a private one: the run's shared server
// is never touched.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { privatePostgres } from '../../scripts/test-postgres.mjs';
import { startEmulator } from '../../src/emulator/index.js';
import { startServerProcess, type ServerProcess } from '../harness/server-process.js';
import { basic, get, post, tmpDir, waitFor } from '../helpers.js';

const t = tmpDir();
after(() => t.cleanup());
const PASSWORD = 'pg-pass-never-logged-7f3a';
const KEY = 'start-key';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

test('PostgreSQL out of reach at start: the node waits, logs without the password, and starts once it is there', { timeout: 120_000 }, async () => {
  const port = await freePort();
  const pg = await privatePostgres({ port });
  await pg.init(); // initdb first: the server then comes up within the node's current backoff
  const emu = await startEmulator({ port: 0, accounts: [{ id: 'acc', passcode: 'pass' }], logger: false });
  const cfg = join(t.dir, 'taproute.yaml');
  writeFileSync(
    cfg,
    `server: { port: 0 }
storage: { postgres: "postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres" }
cluster: { leaseTimeout: 1s }
router: { retryBase: 20ms, retryMax: 200ms, pollInterval: 20ms }
sources: [{ id: web, type: segment, writeKey: ${KEY} }]
destinations: [{ id: ct, type: clevertap, settings: { accountId: acc, passcode: pass, endpoint: "${emu.url}" } }]
connections: [{ source: web, destination: ct }]
`,
  );
  let log = '';
  const starting = startServerProcess(cfg, { onOutput: (all) => (log = all) });
  let node: ServerProcess | undefined;
  try {
    const attempts = () => log.match(/PostgreSQL out of reach at start/g)?.length ?? 0;
    await waitFor(() => attempts() >= 2, 60_000, 'the node to try PostgreSQL again');
    assert.doesNotMatch(log, new RegExp(PASSWORD), 'the password never reaches the log');
    assert.match(log, /postgres:\[redacted\]@127\.0\.0\.1/, 'the log says which database it waits for');
    assert.doesNotMatch(log, /listening on/, 'it does not listen before the store is open');

    await pg.start();
    let timer: NodeJS.Timeout | undefined;
    node = await Promise.race([
      starting,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the node did not start once PostgreSQL was up:\n${log}`)), 60_000))),
    ]).finally(() => clearTimeout(timer));
    assert.equal(node.child.exitCode, null, 'the process stayed up all along');
    assert.equal((await get(`${node.url}/healthz`)).status, 200);
    const res = await post(
      `${node.url}/v1/batch`,
      { batch: [1, 2, 3].map((i) => ({ type: 'track', userId: 'u1', event: 'E', properties: { i }, messageId: `m${i}` })) },
      { authorization: basic(KEY) },
    );
    assert.equal(res.status, 200);
    const sent = await waitFor(() => {
      const ev = emu.events('acc') as any[];
      return ev.length >= 3 ? ev : null;
    }, 60_000, 'the events to reach the emulator');
    assert.deepEqual(sent.map((e) => e.evtData.i), [1, 2, 3]);
    assert.doesNotMatch(node.output(), new RegExp(PASSWORD));
  } finally {
    const child = node?.child ?? (await starting.then((n) => n.child, () => undefined));
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await pg.remove();
    await emu.close();
  }
});
