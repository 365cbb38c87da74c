// Two real `taproute start` processes on one PostgreSQL: the console of node A shows node B's traffic: in
// the live debugger (with the settled outcome, and the message opened from the store), in the overview
// counts and in the user lookup. Nothing is published while no stream is open anywhere.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { request } from 'undici';
import { readItems } from './sse.js';
import { buildConsole } from '../../scripts/build-console.mjs';
import { startEmulator } from '../../src/emulator/index.js';
import { startServerProcess } from '../harness/server-process.js';
import { testDatabaseUrl } from '../pg.js';
import { tmpDir, waitFor } from '../tmp.js';

const KEY = 'cluster-console-key';
const TOKEN = 'cluster-console-token';
const SLACK = 30_000;

const dbUrl = await testDatabaseUrl();
const t = tmpDir();
after(() => t.cleanup());

test('node A\'s console shows node B\'s events live with their outcome, and B\'s counts', { timeout: 180_000 }, async () => {
  await buildConsole();
  const emu = await startEmulator({ port: 0, accounts: [{ id: 'acc', passcode: 'pass' }], logger: false });
  const cfg = join(t.dir, 'taproute.yaml');
  writeFileSync(
    cfg,
    `server: { port: 0 }
storage: { postgres: "${dbUrl}" }
admin: { token: ${TOKEN} }
router: { retryBase: 20ms, retryMax: 500ms, pollInterval: 20ms }
sources: [{ id: web, type: segment, writeKey: ${KEY} }]
destinations: [{ id: ct, type: clevertap, settings: { accountId: acc, passcode: pass, endpoint: "${emu.url}" } }]
connections: [{ source: web, destination: ct }]
`,
  );
  const [a, b] = await Promise.all([startServerProcess(cfg), startServerProcess(cfg)]);
  const listener = new pg.Client({ connectionString: dbUrl });
  const published: string[] = [];
  try {
    await listener.connect();
    listener.on('notification', (n) => published.push(n.payload ?? ''));
    await listener.query('LISTEN taproute_tap');
    const auth = 'Basic ' + Buffer.from(`${KEY}:`).toString('base64');
    let sent = 0;
    const track = async (node: { url: string }, userId: string, messageId: string) => {
      const res = await request(`${node.url}/v1/track`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/json' },
        body: JSON.stringify({ userId, event: 'Seen On B', messageId, properties: { node: 'b' } }),
      });
      await res.body.text();
      assert.equal(res.statusCode, 200);
      sent++;
    };

    // No stream open anywhere: B's traffic is delivered and nothing is published.
    for (let i = 0; i < 5; i++) await track(b, 'quiet', `quiet-${i}`);
    await waitFor(() => emu.events('acc').length === 5, SLACK, 'quiet events delivered');
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepEqual(published, [], 'no tap entries while nobody watches');

    // A's console opens the live stream.
    const login = await request(`${a.url}/console?token=${TOKEN}`);
    await login.body.text();
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    const stream = await request(`${a.url}/console/api/stream`, { headers: { cookie } });
    assert.equal(stream.statusCode, 200);
    const { seen, reading } = readItems(stream.body);

    // B hears A's announcement within moments: send to B until one of its events shows in A's stream.
    let n = 0;
    const shown = () => seen.find((x) => x.kind === 'message' && x.messageId.startsWith('live-'));
    await waitFor(async () => {
      if (!shown()) await track(b, 'watched', `live-${n++}`);
      return Boolean(shown());
    }, SLACK, 'an event sent to B in A\'s stream');
    const m = shown();
    assert.equal(m.sourceId, 'web');
    assert.equal(m.type, 'track');
    assert.equal(m.event, 'Seen On B');
    assert.equal(m.userId, 'watched');
    await waitFor(() => seen.some((x) => x.kind === 'outcome' && x.messageId === m.messageId && x.status === 'done'), SLACK, 'its settled outcome');
    assert.ok(published.length > 0, 'B published while A watched');
    for (const p of published) assert.ok(Buffer.byteLength(p) < 8000, 'every payload under NOTIFY\'s limit');
    // Opened on A: the message comes from the shared store, with its records.
    const opened = (await (await request(`${a.url}/console/api/messages/${m.messageId}`, { headers: { cookie } })).body.json()) as any;
    assert.equal(opened.message.properties.node, 'b');
    assert.equal(opened.records[0].destinationId, 'ct');
    assert.equal(opened.records[0].ok, true);
    stream.body.destroy();
    await reading;

    // A's overview counts B's traffic (every event above went to B only), and A looks B's users up.
    const overview = async () => (await (await request(`${a.url}/console/api/overview`, { headers: { cookie } })).body.json()) as any;
    await waitFor(async () => (await overview()).connections[0]?.delivered === sent, SLACK, 'A\'s overview counts B\'s deliveries');
    const c = (await overview()).connections[0];
    assert.deepEqual([c.sourceId, c.destinationId, c.received, c.pending, c.dead], ['web', 'ct', sent, 0, 0]);
    const user = (await (await request(`${a.url}/console/api/users/watched`, { headers: { cookie } })).body.json()) as any;
    assert.ok(user.messages.some((x: any) => x.messageId === m.messageId && x.outcomes[0].status === 'delivered'), 'user lookup on A');
  } finally {
    await listener.end().catch(() => {});
    for (const node of [a, b]) {
      node.child.kill('SIGTERM');
      await new Promise((r) => node.child.once('exit', r));
    }
    await emu.close();
  }
});
