// HTTP client for CleverTap's server API: upload and delete, over undici with a keep-alive pool.
// It only speaks HTTP; reading per-record results into job outcomes is in deliver.ts.
import { Agent, request } from 'undici';
import { AuthError, RetryableError } from '../../core/errors.js';
import { parseRetryAfter } from '../../core/batch.js';
import { MAX_DELETES_IN_FLIGHT, MAX_IDS_PER_DELETE, MAX_IN_FLIGHT } from '../../clevertap/limits.js';
import type { DeliveryContext } from '../types.js';
import type { CleverTapRecord } from './records.js';
import { cleverTapBaseUrl, type CleverTapSettings } from './settings.js';

export interface UploadAnswer {
  /** HTTP status; 200 even when records fail. */
  status: number;
  body: {
    status?: 'success' | 'partial' | 'fail';
    processed?: number;
    unprocessed?: { status?: string; code?: number; error?: string; record?: unknown }[];
    error?: string;
    code?: number;
  };
}

/** Concurrency gate per CleverTap account: CleverTap allows N in-flight requests per account, not per destination. */
class Gate {
  private active = 0;
  private waiters: (() => void)[] = [];
  constructor(public limit: number) {}
  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((r) => this.waiters.push(r));
  }
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.active--;
  }
}
const gates = new Map<string, Gate>();
/** The delete API's own, lower limit per account (on top of the account's general gate). */
const deleteGates = new Map<string, Gate>();

export class CleverTapClient {
  readonly base: string;
  private readonly agent: Agent;
  private readonly headers: Record<string, string>;
  private readonly gate: Gate;
  private readonly timeoutMs: number;
  private readonly limit: number;
  private readonly slotKey: string;

  /** @param sharedSlots in a cluster, the account's in-flight limit holds across every node (src/cluster/slots.ts). */
  constructor(settings: CleverTapSettings, private readonly sharedSlots?: DeliveryContext['sharedSlots']) {
    this.base = cleverTapBaseUrl(settings);
    this.timeoutMs = settings.requestTimeoutMs ?? 30_000;
    const limit = settings.maxInFlight ?? MAX_IN_FLIGHT;
    this.agent = new Agent({ connections: limit, keepAliveTimeout: 30_000, pipelining: 1 });
    this.headers = {
      'content-type': 'application/json; charset=utf-8',
      'x-clevertap-account-id': settings.accountId,
      'x-clevertap-passcode': settings.passcode,
    };
    const key = `${this.base}|${settings.accountId}`;
    this.limit = limit;
    this.slotKey = `clevertap|${key}`;
    // Destinations sharing an account share one gate; its limit is the smallest any of them asked for.
    let gate = gates.get(key);
    if (!gate) gates.set(key, (gate = new Gate(limit)));
    else gate.limit = Math.min(gate.limit, limit);
    this.gate = gate;
  }

  /** POST /1/upload. Throws RetryableError (429, 5xx, network, timeout) or AuthError (401/403); returns 200 and 400 answers. */
  async upload(records: CleverTapRecord[]): Promise<UploadAnswer> {
    return this.post('/1/upload', { d: records });
  }

  /** POST /1/delete/profiles.json for up to MAX_IDS_PER_DELETE identities. */
  async deleteProfiles(identities: string[]): Promise<UploadAnswer> {
    if (identities.length > MAX_IDS_PER_DELETE) throw new Error(`at most ${MAX_IDS_PER_DELETE} identities per delete call`);
    const key = `${this.base}\u0000${this.headers['x-clevertap-account-id']}`;
    let gate = deleteGates.get(key);
    if (!gate) deleteGates.set(key, (gate = new Gate(MAX_DELETES_IN_FLIGHT)));
    await gate.acquire();
    try {
      return await this.post('/1/delete/profiles.json', { identity: identities });
    } finally {
      gate.release();
    }
  }

  private async post(path: string, payload: unknown): Promise<UploadAnswer> {
    await this.gate.acquire();
    let releaseSlot: (() => void) | undefined;
    try {
      try {
        releaseSlot = await this.sharedSlots?.acquire(this.slotKey, this.limit);
      } catch (err) {
        throw new RetryableError(`cluster slot unavailable: ${(err as Error).message}`, undefined, 'cluster_slot');
      }
      let res;
      try {
        res = await request(this.base + path, {
          method: 'POST',
          headers: this.headers,
          body: JSON.stringify(payload),
          dispatcher: this.agent,
          headersTimeout: this.timeoutMs,
          bodyTimeout: this.timeoutMs,
        });
      } catch (err) {
        throw new RetryableError(`network error: ${(err as Error).message}`, undefined, 'network');
      }
      const text = await res.body.text().catch(() => '');
      let body: UploadAnswer['body'] = {};
      try {
        body = text ? JSON.parse(text) : {};
      } catch {
        body = { error: text.slice(0, 200) };
      }
      const status = res.statusCode;
      if (status === 401 || status === 403) throw new AuthError(`CleverTap answered ${status}: ${body.error ?? 'unauthorised'}`, `http_${status}`);
      if (status === 429 || status >= 500) {
        throw new RetryableError(`CleverTap answered ${status}: ${body.error ?? text.slice(0, 120)}`, parseRetryAfter(res.headers['retry-after']), `http_${status}`);
      }
      return { status, body };
    } finally {
      releaseSlot?.();
      this.gate.release();
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}
