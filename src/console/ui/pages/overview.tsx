// Connections with their counts, each destination's state (Resume for a paused one), events per second.
import { useEffect, useState } from 'preact/hooks';
import { api, time } from '../api.js';
import { RateChart } from './chart.js';

interface Overview {
  sources: { sourceId: string; received: number; duplicates: number; rejected: number }[];
  connections: { sourceId: string; destinationId: string; received: number; delivered: number; dead: number; filtered: number; pending: number; reconciled: boolean }[];
  destinations: Record<string, { state: string; reason?: string; until?: number; inFlight: number }>;
  destinationTypes: Record<string, string>;
  rates: { t: number; received: number; delivered: number; dead: number }[];
  warningsByCode: { sourceId: string; destinationId: string; code: string; warnings: number }[];
}

export function Overview() {
  const [data, setData] = useState<Overview | null>(null);
  const [error, setError] = useState('');
  const load = () => api<Overview>('/overview').then(setData, (e) => setError(e.message));
  useEffect(() => {
    load();
    const t = setInterval(load, 3000);
    return () => clearInterval(t);
  }, []);
  if (!data) return <p class="muted">{error || 'Loading…'}</p>;
  return (
    <div>
      {error && <p class="error">{error}</p>}
      <section>
        <h2>Connections</h2>
        <table>
          <thead>
            <tr><th>source → destination</th><th>received</th><th>delivered</th><th>dead</th><th>filtered</th><th>pending</th></tr>
          </thead>
          <tbody>
            {data.connections.map((c) => (
              <tr data-connection={`${c.sourceId}:${c.destinationId}`}>
                <td>{c.sourceId} → {c.destinationId}</td>
                <td class="num">{c.received}</td>
                <td class="num">{c.delivered}</td>
                <td class="num">{c.dead}</td>
                <td class="num">{c.filtered}</td>
                <td class="num">{c.pending}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>Destinations</h2>
        <table>
          <thead><tr><th>destination</th><th>type</th><th>state</th><th>in flight</th><th></th></tr></thead>
          <tbody>
            {Object.entries(data.destinations ?? {}).map(([id, s]) => (
              <tr data-destination={id}>
                <td>{id}</td>
                <td>{data.destinationTypes[id]}</td>
                <td>
                  <span class={`state state-${s.state}`}>{s.state === 'backoff' ? 'backing off' : s.state}</span>
                  {s.reason && <span class="muted"> {s.reason}</span>}
                  {s.until && <span class="muted"> until {time(s.until)}</span>}
                </td>
                <td class="num">{s.inFlight}</td>
                <td>
                  {s.state === 'paused' && (
                    <button onClick={() => api(`/destinations/${encodeURIComponent(id)}/resume`, { body: {} }).then(load, (e) => setError(e.message))}>Resume</button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section>
        <h2>Warnings by code</h2>
        {data.warningsByCode.length === 0 ? (
          <p class="muted">No warnings: the mappings had nothing to fix or leave out.</p>
        ) : (
          <table class="warning-codes">
            <thead><tr><th>source → destination</th><th>code</th><th>warnings</th></tr></thead>
            <tbody>
              {data.warningsByCode.map((w) => (
                <tr data-warning={`${w.sourceId}:${w.destinationId}:${w.code}`}>
                  <td>{w.sourceId} → {w.destinationId}</td>
                  <td>{w.code}</td>
                  <td class="num">{w.warnings}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section>
        <h2>Events per second, last hour</h2>
        <RateChart points={data.rates} />
      </section>
      <section>
        <h2>Sources</h2>
        <table>
          <thead><tr><th>source</th><th>received</th><th>duplicates</th><th>rejected</th></tr></thead>
          <tbody>
            {data.sources.map((s) => (
              <tr><td>{s.sourceId}</td><td class="num">{s.received}</td><td class="num">{s.duplicates}</td><td class="num">{s.rejected}</td></tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
