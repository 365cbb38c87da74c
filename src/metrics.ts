// Prometheus metrics. The reconciliation counts are read from the store at scrape time, so /metrics,
// `taproute status` and the admin API always agree.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Job, Outcome } from './destinations/types.js';
import type { DestinationWorker } from './router/worker.js';
import type { Store } from './store/types.js';
import { toEpochMs } from './message/time.js';

export function createMetrics(store: Store, workers: Map<string, DestinationWorker>) {
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
  void events;
  return {
    registry,
    onRejected(source: string, reason: string) {
      rejected.inc({ source, reason });
    },
    // Runs for every delivered request on the delivering thread: counts are added once per status, the age
    // histogram's child is looked up once, and timestamps are read by the char scan (ingest wrote them as ISO).
    onSettled(destination: string, list: Outcome[], jobs: readonly Job[] = [], now = Date.now()) {
      const byId = jobs.length ? new Map(jobs.map((j) => [j.id, j])) : undefined;
      const byStatus = new Map<string, number>();
      const ageOf = age.labels({ destination });
      for (const o of list) {
        byStatus.set(o.status, (byStatus.get(o.status) ?? 0) + 1);
        if ((o.status === 'done' || o.status === 'dead') && o.warnings) for (const w of o.warnings) warnings.inc({ destination, code: w.code });
        if (o.status !== 'done') continue;
        const msg = byId?.get(o.jobId)?.message;
        const at = msg ? toEpochMs(String(msg.timestamp ?? msg.receivedAt ?? '')) : NaN;
        if (Number.isFinite(at)) ageOf.observe(Math.max(0, (now - at) / 1000));
      }
      for (const [status, n] of byStatus) outcomes.inc({ destination, status }, n);
    },
  };
}
