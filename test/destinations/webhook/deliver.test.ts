// The webhook destination against a real node:http server on port 0.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { webhookDestination, parseWebhookSettings } from '../../../src/destinations/webhook/index.js';
import { parseRetryAfter } from '../../../src/core/batch.js';
import { AuthError, RetryableError, type Deliverer, type Job } from '../../../src/destinations/types.js';
import type { Message } from '../../../src/message/schema.js';

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
  const d = webhookDestination.create(parseWebhookSettings({ url: `${base}/hook?k=1`, ...extra }), { log });
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

  describe('413 from the receiver: the batch is split in halves until it fits', () => {
    const LIMIT = 1100; // bytes: one message is ~240 bytes, so at most 4 fit in a request
    const tooBig = (_req: IncomingMessage, res: ServerResponse, body: string) => {
      if (Buffer.byteLength(body) > LIMIT) {
        res.statusCode = 413;
        res.end('Payload Too Large');
      } else {
        res.statusCode = 200;
        res.end('ok');
      }
    };
    const ids = (r: Received) => (JSON.parse(r.body).batch as Message[]).map((m) => m.messageId);

    test('every message delivered exactly once, in order; only the 413s are re-split', async () => {
      handler = tooBig;
      received.length = 0;
      const js = jobs(13);
      const out = await dest().deliver(js);
      assert.deepEqual([...out].sort((a, b) => a.jobId - b.jobId), js.map((j) => ({ jobId: j.id, status: 'done' })));
      const accepted = received.filter((r) => Buffer.byteLength(r.body) <= LIMIT);
      assert.deepEqual(accepted.flatMap(ids), js.map((j) => j.message.messageId), 'each once, in the original order');
      assert.ok(accepted.every((r) => ids(r).length <= 4));
      assert.equal(received[0].body.length > LIMIT, true, 'the whole batch was tried first');
      assert.ok(received.length < 13 * 2, `requests: ${received.length}`);
    });

    test('a single message that still gets 413 is dead (webhook_http_413); the rest are delivered', async () => {
      handler = tooBig;
      received.length = 0;
      const js = jobs(6);
      (js[2].message.properties as Record<string, unknown>).blob = 'x'.repeat(LIMIT);
      const out = (await dest().deliver(js)).sort((a, b) => a.jobId - b.jobId);
      assert.deepEqual(out.map((o) => o.status), ['done', 'done', 'dead', 'done', 'done', 'done']);
      const dead = out[2];
      assert.ok(dead.status === 'dead' && dead.code === 'webhook_http_413' && /^webhook answered 413: Payload Too Large/.test(dead.reason), JSON.stringify(dead));
      const accepted = received.filter((r) => Buffer.byteLength(r.body) <= LIMIT).flatMap(ids);
      assert.deepEqual(accepted, ['m0', 'm1', 'm3', 'm4', 'm5']);
    });

    test('a one-message batch answered 413 is dead without a retry', async () => {
      handler = (_req, res) => {
        res.statusCode = 413;
        res.end();
      };
      received.length = 0;
      const js = jobs(1);
      assert.deepEqual(await dest().deliver(js), [{ jobId: js[0].id, status: 'dead', code: 'webhook_http_413', reason: 'webhook answered 413' }]);
      assert.equal(received.length, 1);
    });

    test('a retryable error after part was delivered: delivered jobs stay done, the rest retry', async () => {
      let n = 0;
      handler = (req, res, body) => {
        n++;
        if (n >= 4) {
          res.statusCode = 503;
          res.setHeader('retry-after', '7');
          res.end('down');
          return;
        }
        tooBig(req, res, body);
      };
      received.length = 0;
      // Requests: [16] 413, [8] 413, [4] ok (m0-m3), [4] 503 (m4-m7); the last [8] is never sent.
      const js = jobs(16);
      const out = (await dest().deliver(js)).sort((a, b) => a.jobId - b.jobId);
      assert.equal(out.length, 16);
      assert.deepEqual(out.slice(0, 4).map((o) => o.status), ['done', 'done', 'done', 'done']);
      for (const o of out.slice(4)) {
        assert.equal(o.status, 'retry');
        if (o.status !== 'retry') continue;
        assert.equal(o.code, 'webhook_http_503');
        assert.equal(o.retryAfterMs, 7000);
        assert.equal(o.scope, 'request');
      }
      assert.equal(received.length, 4);
    });

    test('a retryable error before anything was delivered still fails the whole batch', async () => {
      let n = 0;
      handler = (req, res, body) => {
        if (++n >= 2) {
          res.statusCode = 500;
          res.end('boom');
          return;
        }
        tooBig(req, res, body);
      };
      await assert.rejects(dest().deliver(jobs(8)), (err: unknown) => err instanceof RetryableError && err.code === 'webhook_http_500');
    });
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
    const d = webhookDestination.create(parseWebhookSettings({ url: `http://127.0.0.1:${port}/` }), { log });
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
