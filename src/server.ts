// Assembles a running Taproute node: store → ingest (HTTP) → router workers → destinations.
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { createGunzip, createInflate } from 'node:zlib';
import { adminRoutes } from './admin/routes.js';
import type { Config } from './config/schema.js';
import { consoleRoutes } from './console/routes.js';
import { LiveTap } from './console/tap.js';
import { createDeliverer, deviceModeSettings, platformOf } from './destinations/registry.js';
import { connectionId, ConnectionStage } from './connections/stage.js';
import { createIngestContext } from './ingest/accept.js';
import { parseBatchBody, parseBody } from './message/ids.js';
import { mparticleRoutes } from './sources/mparticle/routes.js';
import { analyticsBundleRoutes } from './sources/segment/bundle.js';
import { registerCors } from './sources/segment/cors.js';
import { segmentRoutes } from './sources/segment/routes.js';
import { sdkSettingsRoutes } from './sources/segment/sdk-settings.js';
import { webhookRoutes } from './sources/clevertap-webhook/routes.js';
import { createMetrics } from './metrics.js';
import { configWarnings } from './config/warnings.js';
import { observeRequests, requestIds } from './http/observe.js';
import { registerOpenApi } from './http/openapi.js';
import { DestinationWorker, type RetryPolicy } from './router/worker.js';
import type { Membership } from './cluster/membership.js';
import { MAX_IN_FLIGHT } from './clevertap/limits.js';
import { SqliteThreadStore } from './store/sqlite/thread.js';
import { StoreUnavailableError } from './store/errors.js';
import type { Store } from './store/types.js';
import { durationMs } from './util/duration.js';
import { createLogger, type Logger } from './util/logger.js';

export interface RunningServer {
  /** A URL a client on this machine can use (loopback when bound to every interface). */
  url: string;
  /** The address actually bound, e.g. http://0.0.0.0:8080 or http://[::1]:8080. */
  boundUrl: string;
  port: number;
  app: FastifyInstance;
  store: Store;
  workers: Map<string, DestinationWorker>;
  /** Set when the store is PostgreSQL: this node's membership of the cluster. */
  cluster?: Membership;
  config: Config;
  /** What the console's live debugger sees of this node's traffic. */
  tap: LiveTap;
  close(): Promise<void>;
}

export const DEFAULTS = {
  maxEventBytes: 32 * 1024,
  maxRequestBytes: 500 * 1024,
  maxBatchEvents: 2500,
  maxBacklog: 5_000_000,
  dedupeWindowMs: 86_400_000,
  requestTimeoutMs: 30_000,
};

/** HTTP timeouts from `server.requestTimeout`: a request must arrive whole within it (else 408 and the connection is
 *  closed), headers within 10 s of it; idle keep-alive connections live 72 s, longer than the 60 s idle timeout of
 *  common load balancers (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-load-balancer-attributes.html#connection-idle-timeout).
 *  Node checks these timeouts only every connectionsCheckingInterval (30 s by default,
 *  https://nodejs.org/api/http.html#httpcreateserveroptions-requestlistener), so it is checked every second. */
export function httpTimeouts(cfg: Config) {
  const requestTimeout = Math.max(1, durationMs(cfg.server?.requestTimeout, DEFAULTS.requestTimeoutMs));
  return {
    requestTimeout,
    keepAliveTimeout: 72_000,
    http: { headersTimeout: Math.min(requestTimeout, 10_000), connectionsCheckingInterval: Math.min(1000, requestTimeout) },
  };
}

/** The one line `taproute start` prints when the port is taken. */
export class PortInUseError extends Error {
  constructor(host: string, port: number) {
    super(`port ${port} on ${host} is already in use: choose another with --port <n> (or server.port in the config; PORT=<n> for the sandbox)`);
  }
}

export function retryPolicy(cfg: Config): RetryPolicy {
  const r = cfg.router ?? {};
  return {
    maxRetryAgeMs: durationMs(r.maxRetryAge, 24 * 3_600_000),
    // Zero delays would make hot loops: every interval is at least a millisecond.
    baseMs: Math.max(1, durationMs(r.retryBase, 1000)),
    maxMs: Math.max(1, durationMs(r.retryMax, 5 * 60_000)),
    authProbeMs: 5 * 60_000,
    lingerMs: 10,
    pollMs: Math.max(1, durationMs(r.pollInterval, 250)),
    maxRequestBytes: 2 * 1024 * 1024,
  };
}

export async function startServer(config: Config, opts: { logger?: Logger } = {}): Promise<RunningServer> {
  const log = opts.logger ?? createLogger(config.log?.level);
  const policy = retryPolicy(config);
  const workers = new Map<string, DestinationWorker>();
  // PostgreSQL: this node joins the cluster of every node sharing the database, and delivers only the lanes
  // whose lease it holds (docs/cluster.md). SQLite: one node, every lane.
  // The cluster's modules are loaded only when used, so a single node starts as fast as before.
  let nodeId: string | undefined;
  const leaseTimeoutMs = durationMs(config.cluster?.leaseTimeout, 10_000);
  const pgUrl = config.storage?.postgres;
  const pgMods = pgUrl
    ? await Promise.all([import('./store/postgres/reach.js'), import('./cluster/membership.js'), import('./cluster/slots.js'), import('./cluster/report.js')])
    : undefined;
  // PostgreSQL out of reach at start: the node waits for it (not listening meanwhile) rather than exiting.
  const pgStore = pgMods && (await pgMods[0].openWhenReachable(pgUrl!, { fence: { nodeId: (nodeId = pgMods[1].newNodeId()), leaseTimeoutMs } }, log));
  const store: Store =
    pgStore ??
    // The SQLite work runs on its own thread, beside the HTTP and delivery work of this one (store/sqlite/thread.ts).
    (await SqliteThreadStore.open(resolve(config.storage?.sqlite ?? 'data/taproute.sqlite'), {
      synchronous: config.storage?.synchronous,
      owner: true,
      onThreadError: (err) => log.error({ err }, 'store thread failed'),
    }));
  const cluster: Membership | undefined = pgStore
    ? new pgMods![1].Membership(pgStore.pool, {
        nodeId,
        leaseTimeoutMs,
        destinations: config.destinations.map((d) => d.id),
        busy: (d, lane) => workers.get(d)?.laneBusy(lane) ?? false,
        log,
      })
    : undefined;
  // CleverTap's requests in flight per account hold across the cluster: one connection per slot held here.
  const slots = pgMods ? new pgMods[2].ClusterSlots(pgUrl!, MAX_IN_FLIGHT * Math.max(1, config.destinations.length)) : undefined;
  // The cluster section of /admin/status and /metrics (nodes, leases, tokens); absent on SQLite: a single node.
  const clusterInfo = pgStore && (async () => ({ ...(await pgMods![3].clusterSection(pgStore.pool, nodeId)), settlesRefused: pgStore.settlesRefused }));
  const metrics = createMetrics(store, workers, clusterInfo);
  const tap = new LiveTap();
  for (const w of configWarnings(config)) log.warn(`config: ${w}`);

  // Connection stages (dropFields, functions): every function is loaded before anything listens, so a function
  // that cannot be loaded stops the start with its error.
  const stages = config.connections.map((c) => {
    const d = config.destinations.find((x) => x.id === c.destination)!;
    return new ConnectionStage(c, { id: d.id, type: d.type }, log.child({ connection: connectionId(c) }));
  });
  try {
    await Promise.all(stages.map((s) => s.start()));
  } catch (err) {
    await Promise.all(stages.map((s) => s.close()));
    await store.close();
    throw err;
  }
  for (const d of config.destinations) {
    const deliverer = createDeliverer(d, { log: log.child({ destination: d.id }), sourceIds: config.sources.map((s) => s.id), sharedSlots: slots });
    const ownership = cluster && { owns: (lane: number) => cluster.owns(d.id, lane) };
    const own = new Map(stages.filter((s) => s.connection.destination === d.id && s.active).map((s) => [s.connection.source, s]));
    workers.set(
      d.id,
      new DestinationWorker(
        d.id,
        store,
        deliverer,
        policy,
        log,
        (id, outcomes, jobs) => {
          metrics.onSettled(id, outcomes, jobs);
          tap.settled(id, outcomes, jobs);
        },
        undefined,
        own,
        ownership,
      ),
    );
  }

  const ing = config.ingest ?? {};
  const limits = {
    maxEventBytes: ing.maxEventBytes ?? DEFAULTS.maxEventBytes,
    maxRequestBytes: ing.maxRequestBytes ?? DEFAULTS.maxRequestBytes,
    maxBatchEvents: ing.maxBatchEvents ?? DEFAULTS.maxBatchEvents,
    maxBacklog: ing.maxBacklog ?? DEFAULTS.maxBacklog,
  };
  const targets = config.destinations.map((d) => ({ id: d.id, type: d.type, platform: platformOf(d.type) }));
  const ctx = createIngestContext(config.sources, targets, config.connections, store, limits, (ids) => {
    for (const id of ids) workers.get(id)?.wake();
  }, tap);

  const app = Fastify({ logger: false, bodyLimit: limits.maxRequestBytes, return503OnClosing: true, ...requestIds, ...httpTimeouts(config) });
  observeRequests(app, log, metrics.onRejected);
  // While stopping, requests still in flight are answered with `Connection: close`, so their keep-alive
  // connections end with them instead of holding the shutdown until the keep-alive timeout.
  let stopping = false;
  app.addHook('onSend', async (_req, reply, payload) => {
    if (stopping) reply.header('Connection', 'close');
    return payload;
  });
  registerOpenApi(app);
  // Every body is parsed as JSON whatever its content type (curl and some SDKs send none or form types; Segment's
  // browser SDK and sendBeacon send text/plain, which needs no CORS preflight). Long numeric ids keep their digits.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (req, body, done) => {
    if (body === '' || body === undefined) return done(null, undefined);
    try {
      // A batch route's body is scanned rather than parsed whole when it can be (message/batch-scan.ts).
      const batch = (req.routeOptions.config as { batchBody?: boolean } | undefined)?.batchBody;
      done(null, batch ? parseBatchBody(body as string) : parseBody(body as string));
    } catch {
      done(Object.assign(new Error('Invalid JSON'), { statusCode: 400 }), undefined);
    }
  });
  // RudderStack's SDKs gzip their batches. Decompress before parsing; bodyLimit then applies to the inflated body.
  app.addHook('preParsing', async (req, _reply, payload) => {
    const enc = String(req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
    if (enc === 'gzip' || enc === 'x-gzip' || enc === 'deflate') {
      delete req.headers['content-length'];
      return payload.pipe(enc === 'deflate' ? createInflate() : createGunzip());
    }
    if (enc !== 'identity' && enc !== '') throw Object.assign(new Error(`unsupported content-encoding "${enc.slice(0, 20)}"`), { statusCode: 415 });
    return payload;
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const zlibError = typeof err.code === 'string' && err.code.startsWith('Z_');
    const status = zlibError ? 400 : err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    // The store could not take the events (e.g. PostgreSQL out of reach): nothing was acknowledged, send again.
    if (status === 503 && !(err instanceof StoreUnavailableError)) void reply.header('Retry-After', '5');
    const message = err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'request body too large' : err.message;
    // The store cannot write (disk full): nothing was stored, and the client is told when to send again.
    if (err instanceof StoreUnavailableError) void reply.header('retry-after', String(err.retryAfterSeconds));
    void reply.code(status).send({ success: false, error: message });
  });
  app.setNotFoundHandler((_req, reply) => void reply.code(404).send({ success: false, error: 'not found' }));

  // Before any route: SDK paths answer CORS, every other path refuses other origins.
  registerCors(app, ctx);
  // Unhealthy while the store cannot write (disk full, failed fsync, PostgreSQL out of reach), so a load balancer sends elsewhere.
  const unhealthy = pgUrl ? 'store cannot reach PostgreSQL' : 'store cannot write to disk';
  app.get('/healthz', async (_req, reply) => (store.healthy() ? { ok: true, ...(cluster && { node: cluster.nodeId }) } : reply.code(503).send({ ok: false, error: unhealthy })));
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  segmentRoutes(app, ctx);
  sdkSettingsRoutes(app, ctx, (sourceId) => deviceModeSettings(config, sourceId));
  analyticsBundleRoutes(app, ctx);
  mparticleRoutes(app, ctx);
  webhookRoutes(app, ctx);
  adminRoutes(app, { config, store, workers, log, cluster: clusterInfo });
  consoleRoutes(app, { config, store, workers, log, tap });

  const dedupeWindowMs = durationMs(ing.dedupeWindow, DEFAULTS.dedupeWindowMs);
  const housekeeping = setInterval(() => {
    store.prune(Date.now(), dedupeWindowMs).catch((err) => log.warn({ err }, 'housekeeping failed'));
  }, 30_000);
  housekeeping.unref();

  const listenOn = { port: config.server?.port ?? 8080, host: config.server?.host ?? '127.0.0.1' };
  try {
    await app.listen(listenOn);
  } catch (err) {
    clearInterval(housekeeping);
    await app.close().catch(() => {});
    await Promise.all([...workers.values()].map((w) => w.stop()));
    await store.close();
    throw (err as NodeJS.ErrnoException).code === 'EADDRINUSE' ? new PortInUseError(listenOn.host, listenOn.port) : err;
  }
  const bound = app.server.address() as AddressInfo;
  const port = bound.port;
  const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  // Joining waits for PostgreSQL; until then (and whenever it is out of reach) this node delivers nothing.
  await cluster?.start();
  // The live debugger shows the whole cluster: taps are shared over PostgreSQL while any node watches.
  const clusterTap = pgUrl ? new (await import('./console/cluster-tap.js')).ClusterTap(pgUrl, nodeId!, tap, log) : undefined;
  await clusterTap?.start();
  const wildcard = bound.address === '0.0.0.0' || bound.address === '::';
  for (const w of workers.values()) w.start();
  log.info({ port, sources: config.sources.map((s) => s.id), destinations: config.destinations.map((d) => d.id) }, 'taproute listening');

  let closed = false;
  return {
    url: wildcard ? `http://127.0.0.1:${port}` : `http://${host}:${port}`,
    boundUrl: `http://${host}:${port}`,
    port,
    app,
    store,
    workers,
    cluster,
    config,
    tap,
    async close() {
      if (closed) return;
      closed = true;
      stopping = true;
      clearInterval(housekeeping);
      await app.close();
      tap.close();
      await clusterTap?.close();
      await Promise.all([...workers.values()].map((w) => w.stop()));
      await Promise.all(stages.map((s) => s.close()));
      // Requests in flight are settled: give the leases back at once so other nodes take the lanes over.
      await cluster?.stop();
      await slots?.close();
      await store.close();
    },
  };
}
