// The status report shared by the admin API and `taproute status`.
import { type ClusterSource, SINGLE_NODE } from '../cluster/report.js';
import type { DestinationWorker, WorkerState } from '../router/worker.js';
import type { DestinationState, Store } from '../store/types.js';

/** A destination as the running server sees it (admin API), or as it last recorded it in the store (CLI). */
export type DestinationStatus = WorkerState & { inFlight?: number; since?: number };

export async function statusReport(store: Store, workers?: Map<string, DestinationWorker>, cluster?: ClusterSource) {
  const [connections, sources, rules, recorded, clusterNow] = await Promise.all([
    store.counts(), store.sourceCounts(), store.filteredByRule(), store.destinationStates(), cluster ? cluster() : SINGLE_NODE,
  ]);
  const byRule = (c: { sourceId: string; destinationId: string }) =>
    Object.fromEntries(rules.filter((r) => r.sourceId === c.sourceId && r.destinationId === c.destinationId).map((r) => [r.rule, r.filtered]));
  const counts = connections.map((c) => ({ ...c, filteredByRule: byRule(c), reconciled: c.received === c.delivered + c.dead + c.filtered + c.pending }));
  const destinations: Record<string, DestinationStatus> = workers
    ? Object.fromEntries([...workers].map(([id, w]) => [id, { ...w.status(), inFlight: w.inFlight() }]))
    : Object.fromEntries(recorded.map((d) => [d.destinationId, fromRecord(d)]));
  return { sources, connections: counts, destinations, cluster: clusterNow };
}

function fromRecord(d: DestinationState): DestinationStatus {
  return d.paused === null ? { state: 'running', since: d.since } : { state: 'paused', reason: d.paused, since: d.since };
}
