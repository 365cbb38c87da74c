// Paste a message (or pick an example), pick a destination and a mode: the records and warnings, and every
// mode side by side. A dry run: nothing is sent.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { Records } from './debugger.js';

const EXAMPLES: Record<string, unknown> = {
  identify: { type: 'identify', userId: 'u1', traits: { name: 'Ada Lovelace', email: 'ada@example.com', phone: '+14155550100', plan: 'pro' } },
  track: { type: 'track', userId: 'u1', event: 'Signed Up', properties: { plan: 'pro', trial: true } },
  order: { type: 'track', userId: 'u1', event: 'Order Completed', properties: { checkout_id: 'c1', revenue: 15, products: [{ sku: 'G-32', price: 14, quantity: 1 }] } },
  page: { type: 'page', userId: 'u1', name: 'Pricing', properties: { path: '/pricing' } },
  screen: { type: 'screen', userId: 'u1', name: 'Home' },
};

interface Dest {
  id: string;
  type: string;
  modes: string[];
  compat: string;
}

export function Transform() {
  const [dests, setDests] = useState<Dest[]>([]);
  const [dest, setDest] = useState('');
  const [mode, setMode] = useState('');
  const [text, setText] = useState(JSON.stringify(EXAMPLES.track, null, 2));
  const [result, setResult] = useState<any>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    api<Dest[]>('/destinations').then((d) => {
      const withModes = d.filter((x) => x.modes.length > 0 || x.type !== 'warehouse');
      setDests(withModes);
      if (withModes[0]) {
        setDest(withModes[0].id);
        setMode(withModes[0].compat);
      }
    });
  }, []);
  const current = dests.find((d) => d.id === dest);
  const run = async () => {
    setError('');
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch (e) {
      setError(`not JSON: ${(e as Error).message}`);
      return;
    }
    try {
      setResult(await api('/transform', { body: { message, destination: dest, mode: current?.modes.length ? mode : undefined } }));
    } catch (e) {
      setError((e as Error).message);
    }
  };
  return (
    <div>
      <div class="toolbar">
        <label>
          Example
          <select name="example" onChange={(e) => setText(JSON.stringify(EXAMPLES[(e.target as HTMLSelectElement).value], null, 2))}>
            {Object.keys(EXAMPLES).map((k) => <option value={k} selected={k === 'track'}>{k}</option>)}
          </select>
        </label>
        <label>
          Destination
          <select name="destination" onChange={(e) => setDest((e.target as HTMLSelectElement).value)}>
            {dests.map((d) => <option value={d.id} selected={d.id === dest}>{d.id} ({d.type})</option>)}
          </select>
        </label>
        {current && current.modes.length > 0 && (
          <label>
            Mode
            <select name="mode" onChange={(e) => setMode((e.target as HTMLSelectElement).value)}>
              {current.modes.map((m) => <option value={m} selected={m === mode}>{m || 'own mapping'}</option>)}
            </select>
          </label>
        )}
        <button onClick={run}>Transform</button>
      </div>
      <textarea name="message" rows={14} spellcheck={false} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
      {error && <p class="error">{error}</p>}
      {result && (
        <>
          <section class="selected">
            <Records view={result.selected} />
          </section>
          {result.modes.length > 0 && (
            <section>
              <h2>Every mode side by side</h2>
              <div class="side-by-side">
                {result.modes.map((v: any) => (
                  <div><Records view={v} /></div>
                ))}
              </div>
            </section>
          )}
        </>
      )}
    </div>
  );
}
