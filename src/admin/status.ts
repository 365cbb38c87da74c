// The status report shared by the admin API and `taproute status`.
import type { DestinationWorker } from '../router/worker.js';
import type { Store } from '../store/types.js';

export function statusReport(store: Store, workers?: Map<string, DestinationWorker>) {
  const counts = store.counts().map((c) => ({ ...c, reconciled: c.received === c.delivered + c.dead + c.filtered + c.pending }));
  return {
    sources: store.sourceCounts(),
    connections: counts,
    destinations: workers ? Object.fromEntries([...workers].map(([id, w]) => [id, { ...w.status(), inFlight: w.inFlight() }])) : undefined,
  };
}
