// HTTP layer of the emulator: node:http with a raw JSON body parse (fast path for /1/upload).
import { setMaxListeners } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Accounts } from './auth.js';
import { FaultError, FaultState, faultBody } from './faults.js';
import { AccountStore } from './store.js';
import { ERR, isPlainObject, isValidPhone, skipped, validateRecord, type ValidationLimits } from './validate.js';

export interface CoreConfig {
  maxInFlight: number;
  maxRecords: number;
  maxTokens: number;
  maxBodyBytes: number;
  /** Ids per /1/delete and /1/demerge request (CleverTap: 100). */
  maxIdsPerRequest: number;
  limits: ValidationLimits;
  logErrors: boolean;
}

type Reply = [status: number, body: unknown];

const MALFORMED = { status: 'fail', error: 'Malformed request', code: 400 } as const;
const AUTH_FAIL = { status: 'fail', error: 'Account ID is not valid', code: 401 } as const;
const TOO_MANY_CONCURRENT = { status: 'fail', error: 'Too many concurrent requests', code: 429 } as const;
const NOT_FOUND = { status: 'fail', error: 'Not found', code: 404 } as const;
const MAX_DISASSOCIATE = 1000;

type ApiKind = 'upload' | 'delete' | 'demerge' | 'disassociate' | 'profile';
const API_ROUTES: Record<string, { method: 'GET' | 'POST'; kind: ApiKind }> = {
  '/1/upload': { method: 'POST', kind: 'upload' },
  '/1/delete/profiles.json': { method: 'POST', kind: 'delete' },
  '/1/demerge/profiles.json': { method: 'POST', kind: 'demerge' },
  '/1/disassociate': { method: 'POST', kind: 'disassociate' },
  '/1/profile.json': { method: 'GET', kind: 'profile' },
};

const TOO_LARGE = Symbol('too large');

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json;charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | typeof TOO_LARGE> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    let done = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) over = true;
      else chunks.push(c);
    });
    req.on('end', () => {
      done = true;
      resolve(over ? TOO_LARGE : chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size));
    });
    req.on('error', reject);
    // A client that goes away mid-body would otherwise leave the request in flight forever.
    req.on('close', () => {
      if (!done) reject(new Error('request aborted'));
    });
  });
}

function parseJson(buf: Buffer): unknown {
  if (buf.length === 0) return undefined;
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch {
    return undefined;
  }
}

function splitUrl(raw: string | undefined): { path: string; query: URLSearchParams } {
  let url = raw ?? '/';
  if (!url.startsWith('/')) {
    // absolute-form (proxies): keep only path and query
    const i = url.indexOf('/', url.indexOf('//') + 2);
    url = i < 0 ? '/' : url.slice(i);
  }
  const q = url.indexOf('?');
  let path = q < 0 ? url : url.slice(0, q);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return { path, query: new URLSearchParams(q < 0 ? '' : url.slice(q + 1)) };
}

function isTrue(v: string | null): boolean {
  return v === '1' || v === 'true';
}

/** string | string[] of non-empty strings, or null when malformed. */
function idList(v: unknown): string[] | null {
  if (typeof v === 'string') return v.length > 0 ? [v] : null;
  if (!Array.isArray(v) || v.length === 0) return null;
  for (const x of v) if (typeof x !== 'string' || x.length === 0) return null;
  return v as string[];
}

export class EmulatorCore {
  readonly stores = new Map<string, AccountStore>();
  private readonly closing = new AbortController();

  constructor(
    readonly accounts: Accounts,
    readonly faults: FaultState,
    private readonly config: CoreConfig,
    retain: number,
  ) {
    for (const id of accounts.ids()) this.stores.set(id, new AccountStore(id, retain));
    // Every request waiting on injected latency listens on this signal.
    setMaxListeners(0, this.closing.signal);
  }

  /** Cancels pending latency waits (server shutdown). */
  shutdown(): void {
    this.closing.abort();
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.route(req, res).catch((err: unknown) => {
      if (this.closing.signal.aborted || res.destroyed) return;
      if (this.config.logErrors) console.error('[emulator] internal error:', err);
      send(res, 500, { status: 'fail', error: 'Internal server error', code: 500 });
    });
  };

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { path, query } = splitUrl(req.url);
    if (path.startsWith('/1/')) return this.api(req, res, path, query);
    if (path.startsWith('/_emulator')) return this.inspect(req, res, path, query);
    send(res, 404, NOT_FOUND);
  }

  // ---------------------------------------------------------------- CleverTap API

  private async api(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const route = API_ROUTES[path];
    if (!route) return send(res, 404, NOT_FOUND);
    if (req.method !== route.method) return send(res, 405, { status: 'fail', error: 'Method not allowed', code: 405 });

    const auth = this.accounts.check(req.headers);
    const store = auth.accountId === undefined ? undefined : this.stores.get(auth.accountId);
    if (store) store.stats.requests++;
    if (!auth.ok || !store) {
      if (store) store.stats.status401++;
      return send(res, 401, AUTH_FAIL);
    }
    const st = store.stats;
    if (st.inFlight >= this.config.maxInFlight) {
      st.status429++;
      return send(res, 429, TOO_MANY_CONCURRENT);
    }
    st.inFlight++;
    if (st.inFlight > st.peakInFlight) st.peakInFlight = st.inFlight;
    let reply: Reply;
    try {
      reply = await this.process(route.kind, req, store, query);
    } finally {
      // Released before the response is written, so a sender at exactly the limit never sees a 429.
      store.stats.inFlight--;
    }
    send(res, reply[0], reply[1]);
  }

  private async process(kind: ApiKind, req: IncomingMessage, store: AccountStore, query: URLSearchParams): Promise<Reply> {
    const body = req.method === 'POST' ? await readBody(req, this.config.maxBodyBytes) : Buffer.alloc(0);
    const latency = this.faults.latencyMs;
    if (latency > 0) await sleep(latency, undefined, { signal: this.closing.signal });
    const fault = this.faults.pickStatus();
    if (fault !== 0) {
      store.stats.faulted++;
      return [fault, faultBody(fault)];
    }
    if (body === TOO_LARGE) {
      store.stats.status400++;
      return [413, { status: 'fail', error: `Request body larger than ${this.config.maxBodyBytes} bytes`, code: 413 }];
    }
    switch (kind) {
      case 'upload':
        return this.upload(store, body, query);
      case 'delete':
        return this.deleteProfiles(store, body);
      case 'demerge':
        return this.demerge(store, body);
      case 'disassociate':
        return this.disassociate(store, body);
      case 'profile':
        return this.getProfile(store, query);
    }
  }

  private bad(store: AccountStore, error: string = MALFORMED.error): Reply {
    store.stats.status400++;
    return [400, { status: 'fail', error, code: 400 }];
  }

  private upload(store: AccountStore, buf: Buffer, query: URLSearchParams): Reply {
    const parsed = parseJson(buf);
    if (!isPlainObject(parsed) || !Array.isArray(parsed.d)) return this.bad(store);
    const d = parsed.d as unknown[];
    const { maxRecords, maxTokens, limits } = this.config;
    if (d.length > maxRecords) {
      return this.bad(store, `Too many records in one request: ${d.length}. A maximum of ${maxRecords} records can be sent per request`);
    }
    let tokens = 0;
    for (let i = 0; i < d.length; i++) {
      const r = d[i] as { type?: unknown } | null;
      if (r !== null && typeof r === 'object' && r.type === 'token') tokens++;
    }
    if (tokens > maxTokens) {
      return this.bad(store, `Too many device tokens in one request: ${tokens}. A maximum of ${maxTokens} tokens can be sent per request`);
    }
    const dryRun = isTrue(query.get('dryRun'));
    const partialRate = this.faults.partialRate;
    const st = store.stats;
    const unprocessed: unknown[] = [];
    const now = Date.now();
    for (let i = 0; i < d.length; i++) {
      const rec = d[i];
      let code = 0;
      let error = '';
      const err = validateRecord(rec, limits);
      if (err !== null) {
        code = err.code;
        error = err.error;
      } else if (partialRate > 0 && Math.random() < partialRate) {
        code = 555;
        error = ERR.misc;
      }
      if (code !== 0) {
        unprocessed.push({ status: 'fail', code, error: skipped(error, i), record: rec });
        st.rejected++;
        st.rejectedByCode[code] = (st.rejectedByCode[code] ?? 0) + 1;
        continue;
      }
      if (dryRun) continue;
      const r = rec as Record<string, unknown>;
      if (r.type === 'event') store.addEvent(r, now);
      else if (r.type === 'profile') store.addProfile(r, now);
      else store.addToken(r, now);
    }
    st.uploads++;
    if (dryRun) st.dryRunRequests++;
    const processed = d.length - unprocessed.length;
    const status = unprocessed.length === 0 ? 'success' : processed === 0 ? 'fail' : 'partial';
    return [200, { status, processed, unprocessed }];
  }

  private deleteProfiles(store: AccountStore, buf: Buffer): Reply {
    const parsed = parseJson(buf);
    if (!isPlainObject(parsed)) return this.bad(store);
    const max = this.config.maxIdsPerRequest;
    const ids: string[] = [];
    for (const key of ['identity', 'guid'] as const) {
      if (parsed[key] === undefined) continue;
      const list = idList(parsed[key]);
      if (!list) return this.bad(store);
      if (list.length > max) return this.bad(store, `Too many ${key} values: ${list.length}. A maximum of ${max} can be sent per request`);
      ids.push(...list);
    }
    if (ids.length === 0) return this.bad(store);
    for (const id of ids) store.deleteById(id);
    return [200, { status: 'success' }];
  }

  private demerge(store: AccountStore, buf: Buffer): Reply {
    const parsed = parseJson(buf);
    if (!isPlainObject(parsed)) return this.bad(store);
    const list = Array.isArray(parsed.identities) ? idList(parsed.identities) : null;
    if (!list) return this.bad(store);
    const max = this.config.maxIdsPerRequest;
    if (list.length > max) return this.bad(store, `Too many identities: ${list.length}. A maximum of ${max} can be sent per request`);
    const now = Date.now();
    for (const id of list) store.demerge(id, now);
    return [200, { status: 'success' }];
  }

  private disassociate(store: AccountStore, buf: Buffer): Reply {
    const parsed = parseJson(buf);
    if (!isPlainObject(parsed) || !Array.isArray(parsed.d)) return this.bad(store);
    const d = parsed.d as unknown[];
    if (d.length > MAX_DISASSOCIATE) {
      return this.bad(store, `Too many records in one request: ${d.length}. A maximum of ${MAX_DISASSOCIATE} records can be sent per request`);
    }
    const unprocessed: unknown[] = [];
    for (let i = 0; i < d.length; i++) {
      const rec = d[i];
      if (!isPlainObject(rec) || rec.type !== 'phone') {
        unprocessed.push({ status: 'fail', code: 524, error: skipped('Record type should be phone. ', i), record: rec });
      } else if (!isValidPhone(rec.value)) {
        unprocessed.push({ status: 'fail', code: 516, error: skipped(ERR.phone, i), record: rec });
      } else {
        store.disassociate(rec.value as string);
      }
    }
    const processed = d.length - unprocessed.length;
    const status = unprocessed.length === 0 ? 'success' : processed === 0 ? 'fail' : 'partial';
    return [200, { status, processed, unprocessed }];
  }

  private getProfile(store: AccountStore, query: URLSearchParams): Reply {
    const identity = query.get('identity');
    const objectId = query.get('objectId');
    const email = query.get('email');
    let p;
    if (identity) p = store.find(identity);
    else if (objectId) p = store.find(objectId);
    else if (email) p = store.findByEmail(email);
    else return this.bad(store);
    if (!p) return [404, { status: 'fail', error: 'Profile not found', code: 404 }];
    return [200, { status: 'success', record: p }];
  }

  // ---------------------------------------------------------------- inspection (no auth: test tool)

  private async inspect(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    let parts: string[];
    try {
      parts = path.split('/').slice(2).map((s) => decodeURIComponent(s)); // after '/_emulator'
    } catch {
      return send(res, 400, { status: 'fail', error: 'Bad path encoding', code: 400 });
    }
    const method = req.method ?? 'GET';
    const body = method === 'POST' ? await readBody(req, this.config.maxBodyBytes) : Buffer.alloc(0);
    const json = body === TOO_LARGE ? undefined : parseJson(body);

    if (parts.length === 1 && parts[0] === 'health' && method === 'GET') {
      return send(res, 200, { status: 'ok', accounts: this.accounts.ids() });
    }
    if (parts.length === 1 && parts[0] === 'faults') {
      if (method === 'GET') return send(res, 200, this.faults.get());
      if (method === 'POST') {
        // An empty body clears the faults; a body that is not JSON is an error and changes nothing.
        if (body === TOO_LARGE || (body.length > 0 && json === undefined)) {
          return send(res, 400, { status: 'fail', error: 'faults body must be a JSON object', code: 400 });
        }
        try {
          this.faults.set((json ?? {}) as never);
        } catch (e) {
          if (e instanceof FaultError) return send(res, 400, { status: 'fail', error: e.message, code: 400 });
          throw e;
        }
        return send(res, 200, { status: 'success', faults: this.faults.get() });
      }
    }
    if (parts.length === 1 && parts[0] === 'reset' && method === 'POST') {
      const target = query.get('account') ?? (isPlainObject(json) && typeof json.accountId === 'string' ? json.accountId : null);
      if (target !== null) {
        const s = this.stores.get(target);
        if (!s) return send(res, 404, { status: 'fail', error: 'Unknown account', code: 404 });
        s.reset();
      } else {
        for (const s of this.stores.values()) s.reset();
      }
      return send(res, 200, { status: 'success' });
    }
    if (parts[0] === 'accounts' && method === 'GET') {
      if (parts.length === 1) {
        return send(res, 200, [...this.stores.values()].map((s) => ({ id: s.id, stats: s.snapshot() })));
      }
      const s = this.stores.get(parts[1]);
      if (!s) return send(res, 404, { status: 'fail', error: 'Unknown account', code: 404 });
      const offset = Number(query.get('offset') ?? 0) || 0;
      const limitRaw = query.get('limit');
      const limit = limitRaw === null ? Infinity : Math.max(0, Number(limitRaw) || 0);
      if (parts.length === 2 || parts[2] === 'stats') return send(res, 200, s.snapshot());
      if (parts.length === 3) {
        if (parts[2] === 'events') return send(res, 200, s.events.slice(offset, limit));
        if (parts[2] === 'tokens') return send(res, 200, s.tokens.slice(offset, limit));
        if (parts[2] === 'profiles') {
          const all = [...s.profiles];
          return send(res, 200, all.slice(offset, limit === Infinity ? undefined : offset + limit));
        }
      }
    }
    send(res, 404, NOT_FOUND);
  }
}
