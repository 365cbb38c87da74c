// The console: a browser UI at /console (built by scripts/build-console.mjs into dist/console-ui) and its
// JSON API under /console/api, behind the admin token. Counts, failures, replays and user lookups come from the
// store, so any node of a cluster shows the whole cluster; the live stream is this node's tap (tap.ts), which in
// a cluster also carries what the other nodes tap (cluster-tap.ts).
import type { FastifyInstance } from 'fastify';
import { readFileSync, existsSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyRegulation, type RegulationDeps } from '../admin/regulations.js';
import { failureFilter } from '../admin/filters.js';
import { statusReport } from '../admin/status.js';
import { safeEqual } from '../util/secrets.js';
import { RateSampler } from './rates.js';
import { connectionStep, needsStep } from './playground.js';
import { compatModes, hasDryRun, recordsOf } from './records.js';
import { clearedCookie, isSecure, sameOrigin, sessionCookie, validSession } from './session.js';
import { sourcesView, writeKeyOf } from './sources.js';
import { openStream } from './stream.js';
import type { LiveTap, TapEvent } from './tap.js';
import type { Store } from '../store/types.js';

const ASSETS = fileURLToPath(new URL('../../dist/console-ui/', import.meta.url));
const PAGES = ['', '/debugger', '/failures', '/transform', '/sources', '/users'];

// No inline script or style anywhere; user data is only ever set as text by the UI.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const SHELL = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Taproute console</title><link rel="stylesheet" href="/console/assets/app.css">
<script type="module" src="/console/assets/app.js"></script></head>
<body><div id="app"><noscript>The Taproute console needs JavaScript.</noscript></div></body></html>
`;

/** A message another node received, read from the store by its user's index (the newest pages: it is recent). */
async function storedMessage(store: Store, e: TapEvent): Promise<unknown> {
  const key = e.userId || e.anonymousId;
  if (!key) return undefined;
  let before: number | undefined;
  for (let page = 0; page < 4; page++) {
    const p = await store.userMessages(key, { limit: 500, before });
    const m = p.messages.find((x) => x.messageId === e.messageId && x.sourceId === e.sourceId);
    if (m || p.next === undefined) return m?.message;
    before = p.next;
  }
  return undefined;
}

export interface ConsoleDeps extends RegulationDeps {
  tap: LiveTap;
}

export function consoleRoutes(app: FastifyInstance, deps: ConsoleDeps): void {
  const token = deps.config.admin?.token;
  if (!token) return;
  const rates = new RateSampler(deps.store);
  rates.start();
  const streams = new Set<() => void>();
  // Streams never end by themselves: close them before the server waits for its connections.
  app.addHook('preClose', async () => {
    rates.stop();
    for (const end of streams) end();
  });

  app.register(async (c) => {
    c.addHook('onRequest', async (req, reply) => {
      reply.header('Content-Security-Policy', CSP);
      reply.header('X-Content-Type-Options', 'nosniff');
      reply.header('X-Frame-Options', 'DENY');
      // The login address carries the token: never hand it on in a Referer.
      reply.header('Referrer-Policy', 'no-referrer');
      reply.header('Cache-Control', 'no-store');
      if (req.method !== 'GET' && req.method !== 'HEAD' && !sameOrigin(req)) return reply.code(403).send({ error: 'cross-origin request refused' });
    });

    for (const p of PAGES) {
      c.get(`/console${p}`, async (req, reply) => {
        const given = (req.query as { token?: unknown }).token;
        if (typeof given === 'string') {
          // Either way the token leaves the address bar.
          if (safeEqual(given, token)) reply.header('Set-Cookie', sessionCookie(token, isSecure(req)));
          return reply.redirect(`/console${p}`, 303);
        }
        return reply.type('text/html; charset=utf-8').send(SHELL);
      });
    }
    c.get('/console/assets/:file', async (req, reply) => {
      const file = (req.params as { file: string }).file;
      const type = file === 'app.js' ? 'text/javascript; charset=utf-8' : file === 'app.css' ? 'text/css; charset=utf-8' : undefined;
      if (!type) return reply.code(404).send({ error: 'not found' });
      if (!existsSync(ASSETS + file)) return reply.code(503).send({ error: 'console assets are not built: run npm run build' });
      return reply.type(type).send(readFileSync(ASSETS + file));
    });

    c.post('/console/api/login', async (req, reply) => {
      const given = (req.body as { token?: unknown } | undefined)?.token;
      if (typeof given !== 'string' || !safeEqual(given, token)) return reply.code(401).send({ error: 'wrong token' });
      reply.header('Set-Cookie', sessionCookie(token, isSecure(req)));
      return { ok: true };
    });
    c.post('/console/api/logout', async (_req, reply) => {
      reply.header('Set-Cookie', clearedCookie());
      return { ok: true };
    });

    c.register(async (api) => {
      api.addHook('onRequest', async (req, reply) => {
        if (!validSession(req, token)) return reply.code(401).send({ error: 'log in with the admin token' });
      });
      api.get('/console/api/session', async () => ({ ok: true }));

      api.get('/console/api/overview', async () => {
        const [status, warningsByCode] = await Promise.all([statusReport(deps.store, deps.workers), deps.store.warningsByCode()]);
        return {
          ...status,
          warningsByCode,
          destinationTypes: Object.fromEntries(deps.config.destinations.map((d) => [d.id, d.type])),
          rates: rates.points(),
        };
      });
      api.post('/console/api/destinations/:id/resume', async (req, reply) => {
        const w = deps.workers.get((req.params as { id: string }).id);
        if (!w) return reply.code(404).send({ error: 'no such destination' });
        w.resume();
        return { ok: true };
      });

      api.get('/console/api/failures', async (req) => deps.store.failures(failureFilter(req.query as Record<string, unknown>)));
      api.get('/console/api/failures/:id', async (req, reply) => {
        const f = await deps.store.failure(Number((req.params as { id: string }).id));
        if (!f) return reply.code(404).send({ error: 'no such failure' });
        return { ...f, records: f.message === undefined ? undefined : recordsOf(deps.config, f.destinationId, f.message) };
      });
      api.post('/console/api/failures/replay', async (req) => {
        const n = await deps.store.replay(failureFilter((req.body ?? {}) as Record<string, unknown>));
        for (const w of deps.workers.values()) w.wake();
        return { replayed: n };
      });

      api.get('/console/api/stream', async (req, reply) => openStream(req, reply, deps.tap, streams));
      api.get('/console/api/messages/:id', async (req, reply) => {
        const found = deps.tap.lookup((req.params as { id: string }).id);
        if (!found) return reply.code(404).send({ error: 'this node no longer holds that message' });
        // Another node of the cluster received it: its tap entry has no payload, the shared store has the message.
        const message = found.message ?? (await storedMessage(deps.store, found.event));
        if (message === undefined) return reply.code(404).send({ error: 'the store no longer holds that message' });
        const dests = deps.config.connections.filter((x) => x.source === found.event.sourceId).map((x) => x.destination);
        return { ...found, message, records: dests.map((d) => recordsOf(deps.config, d, message)).filter(Boolean) };
      });

      api.get('/console/api/destinations', async () =>
        deps.config.destinations.map((d) => ({ id: d.id, type: d.type, modes: compatModes(d.type), compat: (d.settings as { compat?: string }).compat ?? '' })),
      );
      api.get('/console/api/connections', async () =>
        deps.config.connections.map((c) => ({ source: c.source, destination: c.destination, filter: c.filter !== undefined, function: c.function ? basename(c.function) : null })),
      );
      // A dry run; with a connection (its filter) or a function (pasted, or the connection's), first the connection
      // step. That runs user code, isolated as connections run it (playground.ts), behind the admin session.
      api.post('/console/api/transform', async (req, reply) => {
        const b = (req.body ?? {}) as { message?: unknown; destination?: string; mode?: string; source?: unknown; function?: unknown };
        if (b.message === null || typeof b.message !== 'object' || Array.isArray(b.message)) return reply.code(400).send({ error: 'message must be a JSON object' });
        const d = deps.config.destinations.find((x) => x.id === b.destination);
        if (!d) return reply.code(404).send({ error: 'no such destination' });
        if (!hasDryRun(d.type)) return reply.code(400).send({ error: `destination type "${d.type}" has no dry run` });
        const r = { destinationId: d.id, source: typeof b.source === 'string' && b.source ? b.source : undefined, functionSource: typeof b.function === 'string' ? b.function : undefined };
        const step = needsStep(r) ? await connectionStep(deps.config, b.message as Record<string, unknown>, r) : undefined;
        const messages = step ? (step.kind === 'send' ? step.messages : []) : [b.message];
        const modes = compatModes(d.type);
        const outputs = messages.map((m) => ({ message: m, selected: recordsOf(deps.config, d.id, m, b.mode), modes: modes.map((x) => recordsOf(deps.config, d.id, m, x)) }));
        return { ...(step && { step }), outputs, selected: outputs[0]?.selected, modes: outputs[0]?.modes ?? [] };
      });

      api.get('/console/api/sources', async (req) => sourcesView(deps.config, req));
      api.post('/console/api/sources/:id/key', async (req, reply) => {
        const key = writeKeyOf(deps.config, (req.params as { id: string }).id);
        return key === undefined ? reply.code(404).send({ error: 'this source has no write key' }) : { writeKey: key };
      });

      // What the store holds for the user (the whole cluster: pending, dead with the reason, filtered with the
      // rule, delivered until housekeeping forgets it), newest first, a page at a time.
      api.get('/console/api/users/:key', async (req, reply) => {
        const key = (req.params as { key: string }).key;
        const q = req.query as { limit?: string; before?: string };
        const limit = q.limit === undefined ? undefined : Number(q.limit);
        const before = q.before === undefined ? undefined : Number(q.before);
        if ((limit !== undefined && !(Number.isInteger(limit) && limit > 0)) || (before !== undefined && !Number.isInteger(before)))
          return reply.code(400).send({ error: 'limit and before must be whole numbers' });
        return deps.store.userMessages(key, { limit, before });
      });
      api.post('/console/api/users/delete', async (req, reply) => {
        const b = (req.body ?? {}) as { userId?: unknown; regulationType?: unknown };
        if (typeof b.userId !== 'string' || b.userId === '') return reply.code(400).send({ error: 'userId required' });
        const r = await applyRegulation(deps, { regulationType: b.regulationType === 'suppress' ? 'suppress' : 'suppress_with_delete', users: [{ userId: b.userId }] });
        return reply.code(r.status).send(r.body);
      });
    });
  });
}

