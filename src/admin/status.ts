// The status report shared by the admin API and `taproute status`.
import type { DestinationWorker, WorkerState } from '../router/worker.js';
import type { DestinationState, Store } from '../store/types.js';

/** A destination as the running server sees it (admin API), or as it last recorded it in the store (CLI). */
export type DestinationStatus = WorkerState & { inFlight?: number; since?: number };

export async function statusReport(store: Store, workers?: Map<string, DestinationWorker>) {
  const [connections, sources, recorded] = await Promise.all([store.counts(), store.sourceCounts(), store.destinationStates()]);
  const counts = connections.map((c) => ({ ...c, reconciled: c.received === c.delivered + c.dead + c.filtered + c.pending }));
  const destinations: Record<string, DestinationStatus> = workers
    ? Object.fromEntries([...workers].map(([id, w]) => [id, { ...w.status(), inFlight: w.inFlight() }]))
    : Object.fromEntries(recorded.map((d) => [d.destinationId, fromRecord(d)]));
  return { sources, connections: counts, destinations };
}

function fromRecord(d: DestinationState): DestinationStatus {
  return d.paused === null ? { state: 'running', since: d.since } : { state: 'paused', reason: d.paused, since: d.since };
}
