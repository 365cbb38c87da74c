// Prometheus metrics. The reconciliation counts are read from the store at scrape time, so /metrics,
// `taproute status` and the admin API always agree.
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Outcome } from './destinations/types.js';
import type { DestinationWorker } from './router/worker.js';
import type { Store } from './store/types.js';

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
    onSettled(destination: string, list: Outcome[]) {
      for (const o of list) outcomes.inc({ destination, status: o.status });
    },
  };
}
