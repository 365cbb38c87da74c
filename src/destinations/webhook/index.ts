// The webhook destination (`type: webhook`): canonical messages POSTed as JSON batches to a URL.
//
// Decisions:
// - Body: `{"batch":[...canonical messages...]}` with content-type application/json and user-agent
//   `taproute-webhook`; configured `headers` are added and may override both. Credentials in the URL
//   (https://user:pass@host/path) become an HTTP Basic Authorization header.
// - One undici Pool per destination (keep-alive, `maxInFlight` connections); `timeoutMs` (default 30 s) bounds the
//   whole request (connect + headers + body).
// - Outcomes: 2xx → every job done. 408, 429, 5xx, network errors and timeouts → RetryableError for the batch
//   (Retry-After honoured, in seconds or as an HTTP date, capped at 1 h). 401/403 → AuthError (the router pauses
//   the destination). Any other status (other 4xx, 3xx: redirects are not followed) → every job dead with code
//   `webhook_http_<status>` and the first 500 characters of the response body.
// - 413 (payload too large) is about the batch, not its messages: the batch is split in halves and each half sent
//   (recursively, first half first, one request at a time so a user's messages stay in order). Only a single
//   message that still gets 413 is dead (`webhook_http_413`). Once part of the batch has been delivered, a later
//   part's retryable/auth failure no longer throws for the whole batch (that would re-send what was delivered):
//   the undelivered jobs get `retry` outcomes (scope `request`, Retry-After kept; scope `auth` for 401/403, which
//   pauses the destination); before that, errors are thrown for the batch as usual.
import { FormatRegistry, Type, type Static } from '@sinclair/typebox';
import { Pool } from 'undici';
import { batchFailureOutcomes, parseRetryAfter } from '../../core/batch.js';
import { AuthError, RetryableError, defineDestination, type Deliverer, type Job, type Outcome } from '../types.js';

// An http(s) URL that parses (the pattern alone lets `http://` through), checked when the config is loaded.
if (!FormatRegistry.Has('http-url')) FormatRegistry.Set('http-url', (v) => /^https?:\/\//.test(v) && URL.canParse(v));

export const WebhookSettingsSchema = Type.Object(
  {
    url: Type.String({ pattern: '^https?://', format: 'http-url', description: 'Receiving URL (http or https)' }),
    headers: Type.Optional(Type.Record(Type.String(), Type.String(), { description: 'Extra request headers (e.g. Authorization)' })),
    batchSize: Type.Integer({ minimum: 1, maximum: 5000, default: 100, description: 'Messages per request' }),
    timeoutMs: Type.Integer({ minimum: 100, default: 30_000, description: 'Request timeout' }),
    maxInFlight: Type.Integer({ minimum: 1, maximum: 100, default: 4, description: 'Concurrent requests' }),
  },
  { additionalProperties: false },
);
export type WebhookSettings = Static<typeof WebhookSettingsSchema>;

const BODY_CLIP = 500;

async function readClipped(body: AsyncIterable<Buffer> & { destroy?: () => void }): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.length;
    if (size > BODY_CLIP * 4) break; // enough: the rest is dropped (the connection is closed)
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text.length > BODY_CLIP ? text.slice(0, BODY_CLIP) + '…' : text;
}

/** The receiver answered 413 for a batch. */
class TooLarge {
  constructor(readonly reason: string) {}
}

export class WebhookDeliverer implements Deliverer {
  readonly maxBatch: number;
  readonly maxInFlight: number;
  private readonly pool: Pool;
  private readonly path: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;

  constructor(settings: WebhookSettings) {
    const url = new URL(settings.url);
    this.maxBatch = settings.batchSize;
    this.maxInFlight = settings.maxInFlight;
    this.timeoutMs = settings.timeoutMs;
    this.path = `${url.pathname}${url.search}`;
    this.headers = { 'content-type': 'application/json', 'user-agent': 'taproute-webhook' };
    // Credentials in the URL (https://user:pass@host/...) become HTTP Basic auth.
    if (url.username) this.headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString('base64')}`;
    for (const [k, v] of Object.entries(settings.headers ?? {})) this.headers[k.toLowerCase()] = v;
    this.pool = new Pool(url.origin, {
      connections: this.maxInFlight,
      keepAliveTimeout: 10_000,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      connectTimeout: Math.min(this.timeoutMs, 10_000),
    });
  }

  async deliver(jobs: Job[]): Promise<Outcome[]> {
    const out: Outcome[] = [];
    let delivered = false;
    // Batches still to send, next first: a 413 replaces a batch by its two halves.
    const pending: Job[][] = [jobs];
    while (pending.length > 0) {
      const batch = pending.shift()!;
      let r: Outcome[] | TooLarge;
      try {
        r = await this.post(batch);
      } catch (err) {
        if (!delivered) throw err;
        out.push(...batchFailureOutcomes([batch, ...pending].flat(), err));
        return out;
      }
      if (r instanceof TooLarge) {
        if (batch.length === 1) {
          out.push({ jobId: batch[0].id, status: 'dead', code: 'webhook_http_413', reason: r.reason });
        } else {
          const mid = Math.ceil(batch.length / 2);
          pending.unshift(batch.slice(0, mid), batch.slice(mid));
        }
        continue;
      }
      for (const o of r) {
        if (o.status === 'done') delivered = true;
        out.push(o);
      }
    }
    return out;
  }

  /** One POST of `jobs`: outcomes, TooLarge on 413, or throws RetryableError / AuthError. */
  private async post(jobs: Job[]): Promise<Outcome[] | TooLarge> {
    const body = JSON.stringify({ batch: jobs.map((j) => j.message) });
    let res;
    try {
      res = await this.pool.request({
        path: this.path,
        method: 'POST',
        headers: this.headers,
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (err) {
      const e = err as { name?: string; code?: string; message?: string };
      const timeout = e?.name === 'TimeoutError' || /TIMEOUT/i.test(e?.code ?? '');
      throw new RetryableError(`webhook ${timeout ? 'timeout' : 'network error'}: ${e?.code ?? e?.name ?? ''} ${e?.message ?? String(err)}`.trim(), undefined, timeout ? 'webhook_timeout' : 'webhook_network');
    }
    const status = res.statusCode;
    if (status >= 200 && status < 300) {
      await res.body.dump().catch(() => undefined);
      return jobs.map((j) => ({ jobId: j.id, status: 'done' }));
    }
    let text = '';
    try {
      text = await readClipped(res.body);
    } catch {
      // the status decides; a broken error body changes nothing
    }
    if (status === 401 || status === 403) throw new AuthError(`webhook answered ${status}: ${text}`.trim(), `webhook_http_${status}`);
    if (status === 408 || status === 429 || status >= 500) {
      throw new RetryableError(`webhook answered ${status}: ${text}`.trim(), parseRetryAfter(res.headers['retry-after']), `webhook_http_${status}`);
    }
    const reason = `webhook answered ${status}${text ? `: ${text}` : ''}`;
    if (status === 413) return new TooLarge(reason);
    return jobs.map((j) => ({ jobId: j.id, status: 'dead', code: `webhook_http_${status}`, reason }));
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

export const webhookDestination = defineDestination({
  type: 'webhook',
  settingsSchema: WebhookSettingsSchema,
  create: (settings) => new WebhookDeliverer(settings),
  /** The message as it would be posted (one element of the request's `batch`). */
  transform: (message) => ({ ok: true, records: [message], warnings: [] }),
});

/** Defaults and checks webhook settings given outside a config file. */
export function parseWebhookSettings(raw: unknown): WebhookSettings {
  return webhookDestination.checkSettings(raw);
}
