// Prometheus metrics. The reconciliation counts are read from the store at scrape time, so /metrics,
// `taproute status` and the admin API always agree.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ClusterSection, ClusterSource } from './cluster/report.js';
import type { Job, Outcome } from './destinations/types.js';
import type { DestinationWorker } from './router/worker.js';
import type { Store } from './store/types.js';
import { toEpochMs } from './message/time.js';

/** The cluster as one scrape sees it: read once per scrape (the gauges collect concurrently), never cached longer. */
function perScrape(source: ClusterSource): () => Promise<ClusterSection | undefined> {
  let last: { at: number; p: Promise<ClusterSection | undefined> } | null = null;
  return () => {
    if (!last || Date.now() - last.at > 200) last = { at: Date.now(), p: source().catch(() => undefined) };
    return last.p;
  };
}

export function createMetrics(store: Store, workers: Map<string, DestinationWorker>, cluster?: ClusterSource) {
  const registry = new Registry();
  // Process metrics (RSS, heap, event-loop lag) with the taproute_ prefix.
  collectDefaultMetrics({ register: registry, prefix: 'taproute_' });
  const events = new Gauge({
    name: 'taproute_events',
    help: 'Events per source and destination by state: received = delivered + dead + filtered + pending',
    labelNames: ['source', 'destination', 'state'],
    registers: [registry],
    async collect() {
      const counts = await store.counts();
      this.reset();
      for (const c of counts) {
        for (const state of ['received', 'delivered', 'dead', 'filtered', 'pending'] as const)
          this.set({ source: c.sourceId, destination: c.destinationId, state }, c[state]);
      }
    },
  });
  new Gauge({
    name: 'taproute_source_messages',
    help: 'Messages per source: accepted (received), duplicates dropped, rejected as invalid',
    labelNames: ['source', 'kind'],
    registers: [registry],
    async collect() {
      const sources = await store.sourceCounts();
      this.reset();
      for (const s of sources) {
        this.set({ source: s.sourceId, kind: 'received' }, s.received);
        this.set({ source: s.sourceId, kind: 'duplicates' }, s.duplicates);
        this.set({ source: s.sourceId, kind: 'rejected' }, s.rejected);
      }
    },
  });
  new Gauge({
    name: 'taproute_destination_up',
    help: '1 when the destination is delivering, 0 when paused or backing off',
    labelNames: ['destination', 'state'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [id, w] of workers) {
        const s = w.status();
        this.set({ destination: id, state: s.state }, s.state === 'running' ? 1 : 0);
      }
    },
  });
  const outcomes = new Counter({
    name: 'taproute_delivery_outcomes_total',
    help: 'Job outcomes returned by destinations',
    labelNames: ['destination', 'status'],
    registers: [registry],
  });
  const warnings = new Counter({
    name: 'taproute_transform_warnings_total',
    help: 'Values the mapping fixed or left out, by warning code (delivered and dead-lettered events)',
    labelNames: ['destination', 'code'],
    registers: [registry],
  });
  // CleverTap uses only events younger than 2 hours for live campaigns: the age at delivery shows when events
  // arrive too late for them.
  const age = new Histogram({
    name: 'taproute_event_age_seconds',
    help: 'Age of each delivered event (delivery time minus its timestamp)',
    labelNames: ['destination'],
    buckets: [1, 10, 60, 300, 900, 1800, 3600, 7200, 21600, 86400],
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'taproute_rejected_requests_total',
    help: 'Ingest requests refused, by source (unknown when the credentials named none) and reason',
    labelNames: ['source', 'reason'],
    registers: [registry],
  });
  clusterMetrics(registry, cluster);
  void events;
  return {
    registry,
    onRejected(source: string, reason: string) {
      rejected.inc({ source, reason });
    },
    // Runs for every delivered request on the delivering thread: counts are added once per status and per warning
    // code, the age histogram's child is looked up once, and timestamps are read by the char scan (ingest wrote
    // them as ISO).
    onSettled(destination: string, list: Outcome[], jobs: readonly Job[] = [], now = Date.now()) {
      const byId = jobs.length ? new Map(jobs.map((j) => [j.id, j])) : undefined;
      const byStatus = new Map<string, number>();
      const byCode = new Map<string, number>();
      const ageOf = age.labels({ destination });
      for (const o of list) {
        byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
        if ((o.status === 'done' || o.status === 'dead') && o.warnings) for (const w of o.warnings) byCode.set(w.code, (byCode.get(w.code) ?? 0) + 1);
        if (o.status !== 'done') continue;
        const msg = byId?.get(o.jobId)?.message;
        const at = msg ? toEpochMs(String(msg.timestamp ?? msg.receivedAt ?? '')) : NaN;
        if (Number.isFinite(at)) ageOf.observe(Math.max(0, (now - at) / 1000));
      }
      for (const [status, n] of byStatus) outcomes.inc({ destination, status }, n);
      for (const [code, n] of byCode) warnings.inc({ destination, code }, n);
    },
  };
}

/**
 * The cluster: live nodes (1 on SQLite), each node's liveness, last heartbeat and lanes held per destination,
 * and each lease's fencing token. While PostgreSQL is out of reach these series are left out of the scrape.
 */
function clusterMetrics(registry: Registry, source?: ClusterSource): void {
  const read = source ? perScrape(source) : async () => undefined;
  new Gauge({
    name: 'taproute_cluster_nodes',
    help: 'Live nodes sharing the store (1: a single node on SQLite)',
    labelNames: ['mode'],
    registers: [registry],
    async collect() {
      this.reset();
      if (!source) return this.set({ mode: 'single' }, 1);
      const c = await read();
      if (c?.mode === 'cluster') this.set({ mode: 'cluster' }, c.alive);
    },
  });
  const perNode = (name: string, help: string, value: (n: Extract<ClusterSection, { mode: 'cluster' }>['nodes'][number]) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['node'],
      registers: [registry],
      async collect() {
        this.reset();
        const c = await read();
        if (c?.mode === 'cluster') for (const n of c.nodes) this.set({ node: n.name }, value(n));
      },
    });
  perNode('taproute_cluster_node_alive', '1 while the node renews its heartbeat within the lease timeout, else 0', (n) => (n.alive ? 1 : 0));
  perNode('taproute_cluster_node_heartbeat_seconds', 'Time of the node\'s last heartbeat (Unix seconds, the database\'s clock)', (n) => Date.parse(n.lastHeartbeat) / 1000);
  new Gauge({
    name: 'taproute_cluster_lanes',
    help: 'Lanes (destination, lane) whose lease the node holds',
    labelNames: ['node', 'destination'],
    registers: [registry],
    async collect() {
      this.reset();
      const c = await read();
      if (c?.mode === 'cluster') for (const n of c.nodes) for (const [d, k] of Object.entries(n.lanes)) this.set({ node: n.name, destination: d }, k);
    },
  });
  new Counter({
    name: 'taproute_cluster_settles_refused_total',
    help: 'Settlements of this node refused by fencing: the lane\'s lease was lost (a pause, a partition) and its jobs go to the new owner',
    registers: [registry],
    async collect() {
      const c = await read();
      if (c?.mode !== 'cluster' || c.settlesRefused === undefined) return;
      this.reset();
      this.inc(c.settlesRefused);
    },
  });
  new Gauge({
    name: 'taproute_cluster_lease_token',
    help: 'Fencing token of each lane\'s lease (grows at every change of owner)',
    labelNames: ['destination', 'lane'],
    registers: [registry],
    async collect() {
      this.reset();
      const c = await read();
      if (c?.mode === 'cluster') for (const l of c.leases) this.set({ destination: l.destinationId, lane: String(l.lane) }, l.token);
    },
  });
}
