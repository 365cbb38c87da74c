// Live events over Server-Sent Events, newest first. The browser keeps at most MAX_ROWS messages; pausing
// closes the stream (resuming reopens it with the node's recent messages).
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, time } from '../api.js';
import { Json } from './json.js';
import type { TapEvent, TapItem, TapOutcome } from '../../items.js';

const MAX_ROWS = 500;

type Row = TapEvent;
type OutcomeItem = TapOutcome;

export function outcomeText(o: { status: string; code?: string; reason?: string }): string {
  if (o.status === 'done') return 'delivered';
  if (o.status === 'retry') return `retrying: ${o.reason ?? ''}`;
  if (o.status === 'dead') return `dead (${o.code ?? ''}): ${o.reason ?? ''}`;
  return `filtered: ${o.reason ?? ''}`;
}

export function Debugger() {
  const [rows, setRows] = useState<Row[]>([]);
  const [outcomes, setOutcomes] = useState<Record<string, OutcomeItem[]>>({});
  const [paused, setPaused] = useState(false);
  const [live, setLive] = useState(false);
  const [skipped, setSkipped] = useState(0);
  const [filter, setFilter] = useState({ source: '', type: '', event: '', user: '' });
  const [open, setOpen] = useState<string | null>(null);
  const seen = useRef(new Set<string>());

  useEffect(() => {
    if (paused) return;
    const es = new EventSource('/console/api/stream');
    es.onopen = () => setLive(true);
    es.onerror = () => setLive(false);
    es.addEventListener('skipped', (e) => setSkipped((n) => n + (JSON.parse((e as MessageEvent).data).count as number)));
    es.addEventListener('items', (e) => {
      const items = JSON.parse((e as MessageEvent).data) as TapItem[];
      const over = items.reduce((n, i) => n + (i.kind === 'skipped' ? i.count : 0), 0);
      if (over) setSkipped((n) => n + over);
      const fresh = items.filter((i): i is Row => i.kind === 'message' && !seen.current.has(i.messageId));
      for (const r of fresh) seen.current.add(r.messageId);
      const outs = items.filter((i): i is OutcomeItem => i.kind === 'outcome');
      if (fresh.length) {
        fresh.sort((a, b) => b.seq - a.seq);
        setRows((old) => {
          const next = [...fresh, ...old];
          for (const r of next.slice(MAX_ROWS)) seen.current.delete(r.messageId);
          return next.slice(0, MAX_ROWS);
        });
      }
      if (outs.length)
        setOutcomes((old) => {
          const next = { ...old };
          for (const o of outs) if (seen.current.has(o.messageId)) next[o.messageId] = [...(next[o.messageId] ?? []).filter((x) => x.destinationId !== o.destinationId || x.at !== o.at), o];
          for (const k of Object.keys(next)) if (!seen.current.has(k)) delete next[k];
          return next;
        });
    });
    return () => {
      es.close();
      setLive(false);
    };
  }, [paused]);

  const match = (v: string | undefined, f: string) => f === '' || (v ?? '').toLowerCase().includes(f.toLowerCase());
  const shown = rows.filter(
    (r) => match(r.sourceId, filter.source) && match(r.type, filter.type) && match(r.event, filter.event) && (match(r.userId, filter.user) || (filter.user !== '' && match(r.anonymousId, filter.user))),
  );
  const input = (k: keyof typeof filter, label: string) => (
    <label>
      {label}
      <input name={`filter-${k}`} value={filter[k]} onInput={(e) => setFilter({ ...filter, [k]: (e.target as HTMLInputElement).value })} />
    </label>
  );

  return (
    <div class="debugger">
      <div class="toolbar">
        {input('source', 'Source')}
        {input('type', 'Type')}
        {input('event', 'Event')}
        {input('user', 'User')}
        <button onClick={() => setPaused(!paused)}>{paused ? 'Resume' : 'Pause'}</button>
        <span class={live ? 'state state-running' : 'state state-paused'}>{paused ? 'paused' : live ? 'live' : 'connecting'}</span>
        {skipped > 0 && <span class="muted"> {skipped} events not shown (more than a person can read: filter, or look them up)</span>}
      </div>
      <table class="events">
        <thead><tr><th>time</th><th>source</th><th>type</th><th>event</th><th>user</th><th>outcome</th></tr></thead>
        <tbody>
          {shown.map((r) => (
            <>
              <tr class={`event ${open === r.messageId ? 'open' : ''}`} data-message-id={r.messageId} onClick={() => setOpen(open === r.messageId ? null : r.messageId)}>
                <td>{time(r.receivedAt)}</td>
                <td>{r.sourceId}</td>
                <td>{r.type}</td>
                <td class="event-name">{r.event ?? ''}</td>
                <td>{r.userId ?? (r.anonymousId ? `anon ${r.anonymousId}` : '')}</td>
                <td class="outcome">
                  {(outcomes[r.messageId] ?? []).map((o) => (
                    <div class={`status-${o.status}`}>{o.destinationId}: {outcomeText(o)}</div>
                  ))}
                  {(r.filtered ?? []).map((f) => <div class="status-filtered">{f.destination}: filtered: {f.reason}</div>)}
                </td>
              </tr>
              {open === r.messageId && (
                <tr class="detail"><td colSpan={6}><MessageDetail id={r.messageId} outcomes={outcomes[r.messageId] ?? []} /></td></tr>
              )}
            </>
          ))}
        </tbody>
      </table>
      {shown.length === 0 && <p class="muted">No events yet. Send one to any source; it shows here within a second.</p>}
    </div>
  );
}

function MessageDetail({ id, outcomes }: { id: string; outcomes: OutcomeItem[] }) {
  const [data, setData] = useState<any>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    api(`/messages/${encodeURIComponent(id)}`).then(setData, (e) => setError(e.message));
  }, [id]);
  if (error) return <p class="error">{error}</p>;
  if (!data) return <p class="muted">Loading…</p>;
  return (
    <div class="panes">
      <div>
        <h3>Message as stored</h3>
        <Json value={data.message} />
      </div>
      <div>
        {data.records.map((r: any) => (
          <Records view={r} />
        ))}
        <h3>Delivery</h3>
        {outcomes.length === 0 ? <p class="muted">not settled yet</p> : outcomes.map((o) => <p class={`status-${o.status}`}>{o.destinationId}: {outcomeText(o)}</p>)}
      </div>
    </div>
  );
}

export function Records({ view }: { view: any }) {
  return (
    <div class="records">
      <h3>
        {view.destinationId} ({view.type}
        {view.mode !== undefined ? `, ${view.mode || 'own mapping'}` : ''})
      </h3>
      {view.ok ? (
        <>
          <Json value={view.records} />
          {view.warnings?.length > 0 && (
            <ul class="warnings">
              {view.warnings.map((w: any) => (
                <li>{w.code}: {w.message}</li>
              ))}
            </ul>
          )}
        </>
      ) : (
        <p class={view.filtered ? 'status-filtered' : 'status-dead'}>
          {view.filtered ? 'filtered' : 'rejected'}: {view.error?.code} {view.error?.clevertapCode ? `(CleverTap ${view.error.clevertapCode})` : ''} {view.error?.message}
        </p>
      )}
    </div>
  );
}
