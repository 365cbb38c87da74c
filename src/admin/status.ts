// The status report shared by the admin API and `taproute status`.
import type { DestinationWorker } from '../router/worker.js';
import type { Store } from '../store/types.js';

export async function statusReport(store: Store, workers?: Map<string, DestinationWorker>) {
  const [connections, sources, rules] = await Promise.all([store.counts(), store.sourceCounts(), store.filteredByRule()]);
  const byRule = (c: { sourceId: string; destinationId: string }) =>
    Object.fromEntries(rules.filter((r) => r.sourceId === c.sourceId && r.destinationId === c.destinationId).map((r) => [r.rule, r.filtered]));
  const counts = connections.map((c) => ({ ...c, filteredByRule: byRule(c), reconciled: c.received === c.delivered + c.dead + c.filtered + c.pending }));
  return {
    sources,
    connections: counts,
    destinations: workers ? Object.fromEntries([...workers].map(([id, w]) => [id, { ...w.status(), inFlight: w.inFlight() }])) : undefined,
  };
}
