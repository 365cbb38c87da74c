// What the server tells its operator about requests it could not serve: every 5xx is logged with its request id
// (also sent to the client as X-Request-Id), and every refused ingest request (400, 401, 403, 408, 413, 415, 429)
// is counted by source and reason; refusals are logged at most once a minute per source and reason, with how many
// there were since the last line, so a misconfigured client cannot flood the log.
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from '../util/logger.js';
import { redactUrl } from './redact.js';

/** Route config flag of the ingest routes: their refusals are counted per source. */
export interface IngestRouteConfig {
  protocol: string;
}

const REASONS: Record<number, string> = {
  400: 'invalid',
  401: 'unauthenticated',
  403: 'forbidden',
  408: 'timeout',
  413: 'too_large',
  415: 'unsupported_encoding',
  429: 'backlog_full',
};

export const UNKNOWN_SOURCE = 'unknown';
const LOG_EVERY_MS = 60_000;

const sourceOf = new WeakMap<FastifyRequest, string>();
const errorOf = new WeakMap<FastifyRequest, string>();
const refusalOf = new WeakMap<FastifyRequest, string>();

/** Called by an ingest route once the credentials named a source: its refusals are counted under that source. */
export function noteSource(req: FastifyRequest, sourceId: string): void {
  sourceOf.set(req, sourceId);
}

/** A request id for every request (a UUID, so ids do not repeat across restarts). */
export const requestIds = { genReqId: () => randomUUID(), requestIdHeader: false as const };

/** The error text a JSON error answer carries (each protocol spells it its own way), at most 200 characters. */
function errorText(payload: unknown): string | undefined {
  if (typeof payload !== 'string' || payload.length > 64 * 1024) return undefined;
  try {
    const b = JSON.parse(payload) as { error?: unknown; errors?: { message?: unknown }[] };
    const text = typeof b.error === 'string' ? b.error : Array.isArray(b.errors) ? String(b.errors[0]?.message ?? '') : undefined;
    return text?.slice(0, 200);
  } catch {
    return undefined;
  }
}

export function observeRequests(app: FastifyInstance, log: Logger, onRejected: (source: string, reason: string) => void, now = Date.now): void {
  const lastLogged = new Map<string, { at: number; since: number }>();

  app.addHook('onRequest', async (req, reply) => {
    reply.header('X-Request-Id', req.id);
  });
  app.addHook('onError', async (req, _reply, err) => {
    errorOf.set(req, err.message);
  });
  app.addHook('onSend', async (req, reply, payload) => {
    if (reply.statusCode >= 400) {
      const text = errorText(payload);
      if (text) refusalOf.set(req, text);
    }
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    const status = reply.statusCode;
    const url = redactUrl(req.url);
    if (status >= 500) {
      log.error({ reqId: req.id, method: req.method, url, status, err: errorOf.get(req) ?? refusalOf.get(req) }, 'request failed');
      return;
    }
    const protocol = (req.routeOptions.config as Partial<IngestRouteConfig> | undefined)?.protocol;
    const reason = REASONS[status];
    if (!protocol || !reason) return;
    const source = sourceOf.get(req) ?? UNKNOWN_SOURCE;
    onRejected(source, reason);
    const key = `${source}\u0000${reason}`;
    const seen = lastLogged.get(key);
    const t = now();
    if (seen && t - seen.at < LOG_EVERY_MS) {
      seen.since++;
      return;
    }
    lastLogged.set(key, { at: t, since: 0 });
    log.warn(
      { source, reason, status, protocol, reqId: req.id, url, error: refusalOf.get(req), ...(seen ? { sinceLastLine: seen.since + 1 } : {}) },
      'request refused (logged at most once a minute per source and reason)',
    );
  });
}
