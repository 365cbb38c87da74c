// Dead letters with filters; Replay one, a selection, or everything matching the filter.
import { useEffect, useState } from 'preact/hooks';
import { api, time } from '../api.js';
import { Records } from './debugger.js';
import { Json } from './json.js';
import type { DeadLetter } from '../../../store/types.js';

export function Failures() {
  const [filter, setFilter] = useState({ destination: '', code: '', clevertapCode: '', from: '', to: '' });
  const [list, setList] = useState<DeadLetter[] | null>(null);
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [open, setOpen] = useState<number | null>(null);
  const [note, setNote] = useState('');
  const [error, setError] = useState('');
  const query = () => {
    const q = new URLSearchParams({ limit: '500' });
    for (const [k, v] of Object.entries(filter)) if (v) q.set(k, k === 'from' || k === 'to' ? new Date(v).toISOString() : v);
    return q;
  };
  const load = () =>
    api<DeadLetter[]>(`/failures?${query()}`).then(
      (l) => {
        setList(l);
        setError('');
      },
      (e) => setError(e.message),
    );
  useEffect(() => {
    load();
  }, []);
  const replay = async (body: Record<string, unknown>) => {
    try {
      const r = await api<{ replayed: number }>('/failures/replay', { body });
      setNote(`${r.replayed} sent again`);
      setSelected(new Set());
      await load();
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const field = (k: keyof typeof filter, label: string, type: 'text' | 'datetime-local' = 'text') => (
    <label>
      {label}
      <input name={`failure-${k}`} type={type as 'text'} value={filter[k]} onInput={(e) => setFilter({ ...filter, [k]: (e.target as HTMLInputElement).value })} />
    </label>
  );
  const filterBody = () => Object.fromEntries([...query()].filter(([k]) => k !== 'limit'));
  return (
    <div>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          load();
        }}
      >
        {field('destination', 'Destination')}
        {field('code', 'Taproute code')}
        {field('clevertapCode', 'CleverTap code')}
        {field('from', 'Failed from', 'datetime-local')}
        {field('to', 'to', 'datetime-local')}
        <button type="submit">Filter</button>
      </form>
      <div class="toolbar">
        <button disabled={selected.size === 0} onClick={() => replay({ ids: [...selected] })}>
          Replay selected ({selected.size})
        </button>
        <button
          disabled={!list?.length}
          onClick={() => {
            if (confirm(`Send every dead letter matching this filter again?`)) replay(filterBody());
          }}
        >
          Replay all matching
        </button>
        {note && <span class="note">{note}</span>}
        {error && <span class="error">{error}</span>}
      </div>
      {list && list.length === 0 && <p class="muted">No dead letters match.</p>}
      {list && list.length > 0 && (
        <table class="failures">
          <thead><tr><th></th><th>failed</th><th>source → destination</th><th>user</th><th>code</th><th>reason</th><th>attempts</th><th></th></tr></thead>
          <tbody>
            {list.map((f) => (
              <>
                <tr data-failure-id={String(f.id)}>
                  <td>
                    <input
                      type="checkbox"
                      aria-label={`select ${f.id}`}
                      checked={selected.has(f.id)}
                      onChange={(e) => {
                        const next = new Set(selected);
                        if ((e.target as HTMLInputElement).checked) next.add(f.id);
                        else next.delete(f.id);
                        setSelected(next);
                      }}
                    />
                  </td>
                  <td>{time(f.failedAt)}</td>
                  <td>{f.sourceId} → {f.destinationId}</td>
                  <td>{f.userKey}</td>
                  <td>{f.code}</td>
                  <td class="reason">{f.reason}</td>
                  <td class="num">{f.attempts}</td>
                  <td>
                    <button class="link" onClick={() => setOpen(open === f.id ? null : f.id)}>{open === f.id ? 'Hide' : 'Open'}</button>{' '}
                    <button onClick={() => replay({ ids: [f.id] })}>Replay</button>
                  </td>
                </tr>
                {open === f.id && (
                  <tr class="detail"><td colSpan={8}><FailureDetail id={f.id} /></td></tr>
                )}
              </>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function FailureDetail({ id }: { id: number }) {
  const [f, setF] = useState<any>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    api(`/failures/${id}`).then(setF, (e) => setError(e.message));
  }, [id]);
  if (error) return <p class="error">{error}</p>;
  if (!f) return <p class="muted">Loading…</p>;
  return (
    <div class="panes">
      <div>
        <h3>Message</h3>
        <Json value={f.message} />
      </div>
      <div>
        <h3>Why</h3>
        <p class="status-dead">{f.code}: {f.reason}</p>
        {f.records && <Records view={f.records} />}
      </div>
    </div>
  );
}
