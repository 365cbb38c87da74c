// What the operator sees: every 5xx logged with the request id the client got; refused requests counted in
// /metrics by source and reason and logged at most once a minute per source and reason; stalled requests get 408.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { redactUrl } from '../../src/http/redact.js';
import { createLogger } from '../../src/util/logger.js';
import { startServer } from '../../src/server.js';
import { parseConfig } from '../../src/config/load.js';
import { basic, get, post, tmpDir, WRITE_KEY } from '../helpers.js';
import { join } from 'node:path';

function logSink() {
  const lines: Record<string, any>[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, logger: createLogger('info', stream) };
}

function config(dir: string, extra: Record<string, unknown> = {}) {
  return parseConfig({
    server: { port: 0 },
    storage: { sqlite: join(dir, 'store.sqlite'), synchronous: 'NORMAL' },
    sources: [
      { id: 'web', type: 'segment', writeKey: WRITE_KEY },
      { id: 'feed', type: 'mparticle', key: 'mpk', secret: 'mps' },
      { id: 'hooks', type: 'clevertap', secret: 'whs' },
    ],
    destinations: [{ id: 'hook', type: 'webhook', settings: { url: 'http://127.0.0.1:9/never' } }],
    connections: [
      { source: 'web', destination: 'hook' },
      { source: 'feed', destination: 'hook' },
      { source: 'hooks', destination: 'hook' },
    ],
    ...extra,
  });
}

describe('refusals and failures', () => {
  const t = tmpDir();
  const sink = logSink();
  let server: Awaited<ReturnType<typeof startServer>>;
  let storeClosed = false;
  before(async () => {
    server = await startServer(config(t.dir), { logger: sink.logger });
  });
  after(async () => {
    // The last test closed the store under the server: stop the rest without closing it twice.
    if (storeClosed) {
      await server.app.close();
      await Promise.all([...server.workers.values()].map((w) => w.stop()));
    } else await server.close();
    t.cleanup();
  });

  test('refused requests are counted by source and reason and logged once a minute per source and reason', async () => {
    const mp = { authorization: basic('mpk', 'mps'), 'content-type': 'application/json' };
    for (let i = 0; i < 3; i++) assert.equal((await post(`${server.url}/v2/events`, 'not json', mp)).status, 400);
    assert.equal((await post(`${server.url}/v2/events`, {}, { authorization: basic('mpk', 'wrong') })).status, 403);
    assert.equal((await post(`${server.url}/v2/events`, {})).status, 401);
    assert.equal((await post(`${server.url}/webhooks/clevertap/hooks`, { profiles: [] }, { 'x-taproute-secret': 'whs' })).status, 400);
    assert.equal((await post(`${server.url}/v1/track`, { event: 'x' }, { authorization: basic('nope') })).status, 401);
    assert.equal((await post(`${server.url}/v1/batch`, { batch: new Array(3000).fill({}) }, { authorization: basic(WRITE_KEY) })).status, 413);
    const metrics = String((await get(`${server.url}/metrics`)).body);
    const count = (source: string, reason: string) => Number(new RegExp(`taproute_rejected_requests_total\\{source="${source}",reason="${reason}"\\} (\\d+)`).exec(metrics)?.[1] ?? 0);
    assert.equal(count('feed', 'invalid'), 3);
    assert.equal(count('unknown', 'forbidden'), 1);
    assert.equal(count('unknown', 'unauthenticated'), 2);
    assert.equal(count('hooks', 'invalid'), 1);
    assert.equal(count('unknown', 'too_large'), 1);
    const refusals = sink.lines.filter((l) => l.msg.startsWith('request refused'));
    assert.equal(refusals.filter((l) => l.source === 'feed' && l.reason === 'invalid').length, 1, 'three refusals, one line');
    const line = refusals.find((l) => l.source === 'feed')!;
    assert.equal(line.status, 400);
    assert.match(line.error, /json/i);
    assert.ok(line.reqId);
  });

  test('every 5xx is logged with the request id the client was given, on every ingest route', async () => {
    // A store that cannot be written makes ingest fail with a 500.
    await server.store.close();
    storeClosed = true;
    const answers = [
      await post(`${server.url}/v1/track`, { userId: 'u', event: 'e' }, { authorization: basic(WRITE_KEY) }),
      await post(`${server.url}/v2/events`, { events: [{ event_type: 'custom_event', data: { event_name: 'e' } }], user_identities: { customer_id: 'u' } }, { authorization: basic('mpk', 'mps') }),
      await post(`${server.url}/webhooks/clevertap/hooks`, { profiles: [{ identity: 'u' }] }, { 'x-taproute-secret': 'whs' }),
    ];
    for (const a of answers) {
      assert.ok(a.status >= 500, String(a.status));
      const id = a.headers['x-request-id'];
      assert.ok(typeof id === 'string' && id.length > 0);
      const line = sink.lines.find((l) => l.reqId === id && l.level === 50);
      assert.ok(line, `a log line for request ${id}`);
      assert.equal(line.status, a.status);
      assert.ok(line.err, 'with the error');
    }
  });
});

test('URLs are logged with their secrets redacted', () => {
  assert.equal(redactUrl('/v1/projects/wk_abc/settings'), '/v1/projects/[redacted]/settings');
  assert.equal(redactUrl('/analytics.js/v1/wk_abc/analytics.min.js'), '/analytics.js/v1/[redacted]/analytics.min.js');
  assert.equal(redactUrl('/beacon/v1/batch?writeKey=wk_abc&x=1'), '/beacon/v1/batch?writeKey=[redacted]&x=1');
  assert.equal(redactUrl('/console/login?token=t0k3n'), '/console/login?token=[redacted]');
  assert.equal(redactUrl('/sourceConfig/?WRITEKEY=wk'), '/sourceConfig/?WRITEKEY=[redacted]');
  assert.equal(redactUrl('/v1/track'), '/v1/track');
});

test('a stalled request (headers sent, body trickled) gets 408 and is closed', { timeout: 20_000 }, async () => {
  // Node checks request timeouts every 30 s unless told otherwise: the test's timeout is below that.
  const t = tmpDir();
  const server = await startServer(config(t.dir, { server: { port: 0, requestTimeout: '1s' } }), { logger: createLogger('silent') });
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      const s = connect(server.port, '127.0.0.1', () => {
        s.write(`POST /v1/track HTTP/1.1\r\nHost: x\r\nAuthorization: ${basic(WRITE_KEY)}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"us`);
        const trickle = setInterval(() => s.writable && s.write(' '), 200);
        s.on('close', () => clearInterval(trickle));
      });
      let got = '';
      s.on('data', (d) => (got += d));
      s.on('close', () => resolve(got));
      s.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 408/);
  } finally {
    await server.close();
    t.cleanup();
  }
});

test('server.requestTimeout is a duration like the others', () => {
  assert.throws(() => config('/tmp', { server: { requestTimeout: 'soon' } }), /server\.requestTimeout: "soon" is not valid: milliseconds, or a string such as 30s/);
});
