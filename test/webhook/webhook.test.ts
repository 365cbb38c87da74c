// The webhook destination against a real node:http server on port 0.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webhookDestination, parseRetryAfter, parseWebhookSettings } from '../../src/destinations/webhook/index.js';
import { AuthError, RetryableError, type Deliverer, type Job } from '../../src/destinations/types.js';
import type { Message } from '../../src/spec/message.js';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let handler: Handler = (_req, res) => res.end('ok');
const received: Received[] = [];
const sockets = new Set<string>();
const server = createServer((req, res) => {
  sockets.add(`${req.socket.remotePort}`);
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
    handler(req, res, body);
  });
});
let base = '';
const log = { info() {}, warn() {}, error() {} };
const open: Deliverer[] = [];

function dest(extra: Record<string, unknown> = {}): Deliverer {
  const d = webhookDestination.create({ url: `${base}/hook?k=1`, ...extra } as never, { log });
  open.push(d);
  return d;
}

function jobs(n: number): Job[] {
  return Array.from({ length: n }, (_, i) => {
    const message: Message = {
      type: 'track',
      messageId: `m${i}`,
      event: 'Order Completed',
      userId: `u${i}`,
      receivedAt: '2024-05-01T12:00:00.000Z',
      timestamp: '2024-05-01T12:00:00.000Z',
      properties: { total: i, nested: { a: [1, 2] } },
      context: { library: { name: 'test' } },
    };
    return { id: i + 1, sourceId: 's', destinationId: 'd', userKey: `u${i}`, attempts: 0, receivedAt: 0, message };
  });
}

before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  for (const d of open) await d.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('webhook destination', () => {
  test('2xx: POSTs {"batch":[...]} with the canonical messages; every job done', async () => {
    handler = (_req, res) => {
      res.statusCode = 200;
      res.end('{"ok":true}');
    };
    received.length = 0;
    const d = dest({ headers: { Authorization: 'Bearer s3cret', 'X-Extra': 'yes' } });
    assert.equal(d.maxBatch, 100);
    assert.equal(d.maxInFlight, 4);
    const js = jobs(3);
    const out = await d.deliver(js);
    assert.deepEqual(out, js.map((j) => ({ jobId: j.id, status: 'done' })));
    assert.equal(received.length, 1);
    const r = received[0];
    assert.equal(r.method, 'POST');
    assert.equal(r.url, '/hook?k=1');
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['authorization'], 'Bearer s3cret');
    assert.equal(r.headers['x-extra'], 'yes');
    const body = JSON.parse(r.body);
    assert.deepEqual(Object.keys(body), ['batch']);
    assert.deepEqual(body.batch, js.map((j) => j.message));
  });

  test('keep-alive: consecutive batches reuse one connection', async () => {
    handler = (_req, res) => res.end('ok');
    const d = dest({ maxInFlight: 1 });
    sockets.clear();
    for (let i = 0; i < 5; i++) await d.deliver(jobs(2));
    assert.equal(sockets.size, 1);
  });

  test('500 → RetryableError (Retry-After honoured)', async () => {
    handler = (_req, res) => {
      res.statusCode = 503;
      res.setHeader('retry-after', '7');
      res.end('down for maintenance');
    };
    const d = dest();
    await assert.rejects(d.deliver(jobs(2)), (err: unknown) => {
      assert.ok(err instanceof RetryableError);
      assert.equal(err.retryAfterMs, 7000);
      assert.equal(err.code, 'webhook_http_503');
      assert.match(err.message, /down for maintenance/);
      return true;
    });
    handler = (_req, res) => {
      res.statusCode = 500;
      res.end();
    };
    await assert.rejects(d.deliver(jobs(1)), (err: unknown) => err instanceof RetryableError && err.retryAfterMs === undefined);
  });

  test('429 → RetryableError with Retry-After as an HTTP date', async () => {
    const when = new Date(Date.now() + 120_000).toUTCString();
    handler = (_req, res) => {
      res.statusCode = 429;
      res.setHeader('retry-after', when);
      res.end('slow down');
    };
    await assert.rejects(dest().deliver(jobs(1)), (err: unknown) => {
      assert.ok(err instanceof RetryableError);
      assert.ok(err.retryAfterMs! > 100_000 && err.retryAfterMs! <= 120_000, String(err.retryAfterMs));
      return true;
    });
  });

  test('401 and 403 → AuthError', async () => {
    for (const status of [401, 403]) {
      handler = (_req, res) => {
        res.statusCode = status;
        res.end('bad token');
      };
      await assert.rejects(dest().deliver(jobs(2)), (err: unknown) => err instanceof AuthError && err.code === `webhook_http_${status}`);
    }
  });

  test('400 → every job dead with the status and a clipped body', async () => {
    handler = (_req, res) => {
      res.statusCode = 400;
      res.end('invalid payload: ' + 'x'.repeat(5000));
    };
    const js = jobs(3);
    const out = await dest().deliver(js);
    assert.equal(out.length, 3);
    for (const [i, o] of out.entries()) {
      assert.equal(o.jobId, js[i].id);
      assert.equal(o.status, 'dead');
      if (o.status !== 'dead') continue;
      assert.equal(o.code, 'webhook_http_400');
      assert.match(o.reason, /^webhook answered 400: invalid payload: x+…$/);
      assert.ok(o.reason.length < 600, `reason is clipped (${o.reason.length})`);
    }
  });

  test('timeout → RetryableError', async () => {
    handler = () => {
      /* never answers */
    };
    const d = dest({ timeoutMs: 200 });
    const t0 = Date.now();
    await assert.rejects(d.deliver(jobs(1)), (err: unknown) => err instanceof RetryableError && err.code === 'webhook_timeout');
    assert.ok(Date.now() - t0 < 5000);
  });

  test('connection refused → RetryableError', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const d = webhookDestination.create({ url: `http://127.0.0.1:${port}/` }, { log });
    open.push(d);
    await assert.rejects(d.deliver(jobs(1)), (err: unknown) => err instanceof RetryableError && err.code === 'webhook_network');
  });

  test('settings and Retry-After parsing', () => {
    assert.throws(() => parseWebhookSettings({ url: 'ftp://x' }));
    assert.throws(() => parseWebhookSettings({ url: 'http://x', extra: 1 }));
    assert.equal(parseWebhookSettings({ url: 'https://example.com/h', batchSize: 10 }).batchSize, 10);
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter('0'), 0);
    assert.equal(parseRetryAfter(undefined), undefined);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(new Date(0).toUTCString()), 0);
    assert.equal(parseRetryAfter('999999'), 3_600_000);
  });
});
