// Admin HTTP API (bearer token): status, dead letters (list, inspect, replay), user deletion, resume.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.js';
import type { DestinationWorker } from '../router/worker.js';
import type { Store } from '../store/types.js';
import type { Logger } from '../util/logger.js';
import { safeEqual } from '../util/secrets.js';
import { failureFilter } from './filters.js';
import { applyRegulation } from './regulations.js';
import type { ClusterSource } from '../cluster/report.js';
import { statusReport } from './status.js';

interface Deps {
  config: Config;
  store: Store;
  workers: Map<string, DestinationWorker>;
  log: Logger;
  /** The cluster section of the status (PostgreSQL store); absent: a single node. */
  cluster?: ClusterSource;
}

export function adminRoutes(app: FastifyInstance, deps: Deps): void {
  const token = deps.config.admin?.token;
  const guard = async (req: FastifyRequest, reply: FastifyReply) => {
    const h = req.headers.authorization ?? '';
    const given = /^bearer /i.test(h) ? h.slice(7).trim() : '';
    if (!token) return reply.code(403).send({ error: 'admin API disabled: set admin.token in the config' });
    if (!given || !safeEqual(given, token)) return reply.code(401).send({ error: 'admin token required' });
  };

  app.register(async (admin) => {
    admin.addHook('onRequest', guard);
    admin.get('/admin/status', async () => statusReport(deps.store, deps.workers, deps.cluster));
    admin.get('/admin/failures', async (req) => deps.store.failures(failureFilter(req.query as Record<string, unknown>)));
    admin.get('/admin/failures/:id', async (req, reply) => {
      const f = await deps.store.failure(Number((req.params as { id: string }).id));
      return f ?? reply.code(404).send({ error: 'no such failure' });
    });
    admin.post('/admin/failures/replay', async (req) => {
      const n = await deps.store.replay(failureFilter((req.body ?? {}) as Record<string, unknown>));
      for (const w of deps.workers.values()) w.wake();
      return { replayed: n };
    });
    admin.post('/admin/destinations/:id/resume', async (req, reply) => {
      const w = deps.workers.get((req.params as { id: string }).id);
      if (!w) return reply.code(404).send({ error: 'no such destination' });
      w.resume();
      return { ok: true };
    });
    // RudderStack's regulation shape: {"regulationType":"suppress_with_delete","users":[{"userId":"..."}]}.
    admin.post('/admin/regulations', async (req, reply) => {
      const r = await applyRegulation(deps, req.body);
      return reply.code(r.status).send(r.body);
    });
  });
}
