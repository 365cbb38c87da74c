// Everything known about one userId or anonymousId, and "delete this user" (suppress + delete in every
// destination that can) behind a confirmation.
import { useState } from 'preact/hooks';
import { api, time } from '../api.js';
import { outcomeText } from './debugger.js';
import { Json } from './json.js';

export function Users() {
  const [key, setKey] = useState('');
  const [data, setData] = useState<any>(null);
  const [shownKey, setShownKey] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState('');
  const look = async () => {
    setError('');
    setNote('');
    try {
      setData(await api(`/users/${encodeURIComponent(key)}`));
      setShownKey(key);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const del = async () => {
    try {
      const r = await api<{ suppressed: number; deleted: Record<string, number> }>('/users/delete', { body: { userId: shownKey } });
      setNote(`${shownKey} suppressed; deleted in ${Object.keys(r.deleted).join(', ') || 'no destination'}`);
      setConfirming(false);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          if (key) look();
        }}
      >
        <label>
          userId or anonymousId
          <input name="user" value={key} onInput={(e) => setKey((e.target as HTMLInputElement).value)} />
        </label>
        <button type="submit">Look up</button>
      </form>
      {error && <p class="error">{error}</p>}
      {note && <p class="note">{note}</p>}
      {data && (
        <>
          <section>
            <h2>Recent messages (this node)</h2>
            {data.recent.length === 0 && <p class="muted">None in this node's recent traffic.</p>}
            {data.recent.map((r: any) => (
              <details class="user-message">
                <summary>
                  {time(r.event.receivedAt)} {r.event.type} {r.event.event ?? ''} — {r.outcomes.map((o: any) => `${o.destinationId}: ${outcomeText(o)}`).join('; ') || 'not settled yet'}
                </summary>
                <Json value={r.message} />
              </details>
            ))}
          </section>
          <section>
            <h2>Dead letters</h2>
            {data.failures.length === 0 && <p class="muted">None.</p>}
            <ul>
              {data.failures.map((f: any) => (
                <li>{time(f.failedAt)} {f.destinationId}: {f.code}: {f.reason}</li>
              ))}
            </ul>
          </section>
          <section class="danger">
            {!confirming ? (
              <button class="danger" onClick={() => setConfirming(true)}>Delete this user…</button>
            ) : (
              <div>
                <p>
                  This suppresses <strong>{shownKey}</strong> (later events are never sent) and deletes the user in every destination that can delete users. Type the user id to confirm.
                </p>
                <input name="confirm-user" value={typed} onInput={(e) => setTyped((e.target as HTMLInputElement).value)} />
                <button class="danger" disabled={typed !== shownKey} onClick={del}>Delete {shownKey}</button>
                <button class="link" onClick={() => setConfirming(false)}>Cancel</button>
              </div>
            )}
          </section>
        </>
      )}
    </div>
  );
}
