// Everything stored for one userId or anonymousId (the whole cluster's store), each message with every
// destination's outcome, newest first, a page at a time; and "delete this user" (suppress + delete in every
// destination that can) behind a confirmation.
import { useState } from 'preact/hooks';
import { api, time } from '../api.js';
import { Json } from './json.js';
import type { UserMessage, UserMessagesPage, UserOutcome } from '../../../store/types.js';

const PAGE = 50;

function userOutcomeText(o: UserOutcome): string {
  if (o.status === 'pending') return o.lastError ? `retrying (${o.attempts} attempts): ${o.lastError}` : 'pending';
  if (o.status === 'dead') return `dead (${o.code}): ${o.reason}`;
  if (o.status === 'filtered') return `filtered by ${o.rule}`;
  return 'delivered';
}

export function Users() {
  const [key, setKey] = useState('');
  const [data, setData] = useState<UserMessagesPage | null>(null);
  const [shownKey, setShownKey] = useState('');
  const [confirming, setConfirming] = useState(false);
  const [typed, setTyped] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState('');
  const look = async () => {
    setError('');
    setNote('');
    try {
      setData(await api<UserMessagesPage>(`/users/${encodeURIComponent(key)}?limit=${PAGE}`));
      setShownKey(key);
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const more = async () => {
    if (!data?.next) return;
    try {
      const page = await api<UserMessagesPage>(`/users/${encodeURIComponent(shownKey)}?limit=${PAGE}&before=${data.next}`);
      setData({ messages: [...data.messages, ...page.messages], next: page.next });
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
            <h2>Stored messages</h2>
            {data.messages.length === 0 && <p class="muted">Nothing stored for this user (delivered messages are kept only until housekeeping).</p>}
            {data.messages.map((m: UserMessage) => (
              <details class="user-message" data-message-id={m.messageId}>
                <summary>
                  {time(m.receivedAt)} {m.sourceId} {String((m.message as { type?: unknown }).type ?? '')}{' '}
                  {String((m.message as { event?: unknown; name?: unknown }).event ?? (m.message as { name?: unknown }).name ?? '')}
                  {m.outcomes.map((o) => (
                    <span class={`outcome status-${o.status}`}> {o.destinationId}: {userOutcomeText(o)}</span>
                  ))}
                </summary>
                <Json value={m.message} />
              </details>
            ))}
            {data.next !== undefined && <button onClick={more}>Older messages</button>}
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
