// Paste a message (or pick an example), pick a destination and a mode: the records and warnings, and every
// mode side by side. Optionally through a connection (its filter, its function) and/or a pasted function, run
// on the server in the same isolated runner as connections: its output messages, then each one's records.
// A dry run: nothing is sent.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';
import { Records } from './debugger.js';
import { Json } from './json.js';

const EXAMPLES: Record<string, unknown> = {
  identify: { type: 'identify', userId: 'u1', traits: { name: 'Ada Lovelace', email: 'ada@example.com', phone: '+14155550100', plan: 'pro' } },
  track: { type: 'track', userId: 'u1', event: 'Signed Up', properties: { plan: 'pro', trial: true } },
  order: { type: 'track', userId: 'u1', event: 'Order Completed', properties: { checkout_id: 'c1', revenue: 15, products: [{ sku: 'G-32', price: 14, quantity: 1 }] } },
  page: { type: 'page', userId: 'u1', name: 'Pricing', properties: { path: '/pricing' } },
  screen: { type: 'screen', userId: 'u1', name: 'Home' },
};

const FUNCTION_EXAMPLE = `// export function transform(message, ctx) { ... } returns a message, a list of messages, or null to drop.
export function transform(message) {
  return { ...message, event: message.event && message.event.toUpperCase() };
}
`;

interface Connection {
  source: string;
  destination: string;
  filter: boolean;
  function: string | null;
}

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
  const [connections, setConnections] = useState<Connection[]>([]);
  const [source, setSource] = useState('');
  const [fn, setFn] = useState('');
  const [error, setError] = useState('');
  useEffect(() => {
    api<Connection[]>('/connections').then(setConnections, () => {});
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
      setResult(null);
      setResult(await api('/transform', { body: { message, destination: dest, mode: current?.modes.length ? mode : undefined, source: source || undefined, function: fn.trim() ? fn : undefined } }));
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
          <select name="destination" onChange={(e) => (setDest((e.target as HTMLSelectElement).value), setSource(''))}>
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
        <label>
          Connection
          <select name="connection" onChange={(e) => setSource((e.target as HTMLSelectElement).value)}>
            <option value="" selected={source === ''}>none</option>
            {connections.filter((c) => c.destination === dest).map((c) => (
              <option value={c.source} selected={c.source === source}>
                {c.source} → {c.destination}{c.filter ? ' (filter)' : ''}{c.function ? ` (function ${c.function})` : ''}
              </option>
            ))}
          </select>
        </label>
        <button onClick={run}>Transform</button>
      </div>
      <textarea name="message" rows={14} spellcheck={false} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
      <details class="function" open={fn !== ''}>
        <summary>Transformation function (JavaScript or TypeScript; runs on the server, isolated, with the connection's time limit)</summary>
        <textarea name="function" rows={8} spellcheck={false} placeholder={FUNCTION_EXAMPLE} value={fn} onInput={(e) => setFn((e.target as HTMLTextAreaElement).value)} />
        <p class="muted">Empty: the chosen connection's own function, if it has one.</p>
      </details>
      {error && <p class="error">{error}</p>}
      {result?.step && <Step step={result.step} />}
      {result?.outputs.map((o: any, i: number) => (
        <>
          {result.outputs.length > 1 && <h2>Output message {i + 1}</h2>}
          <section class="selected">
            <Records view={o.selected} />
          </section>
          {o.modes.length > 0 && (
            <section>
              <h2>Every mode side by side</h2>
              <div class="side-by-side">
                {o.modes.map((v: any) => (
                  <div><Records view={v} /></div>
                ))}
              </div>
            </section>
          )}
        </>
      ))}
    </div>
  );
}

/** What the connection step made of the message: the function's output messages, or why none go on. */
function Step({ step }: { step: any }) {
  if (step.kind === 'filtered')
    return (
      <section class="step">
        <p class="status-filtered">filtered by {step.by === 'filter' ? `the connection's filter (rule ${step.rule})` : `the function (${step.reason ?? step.rule})`}</p>
      </section>
    );
  if (step.kind === 'dead')
    return (
      <section class="step">
        <h2>Function failed</h2>
        <p class="status-dead">{step.code}</p>
        <pre class="function-error">{step.reason}</pre>
      </section>
    );
  return (
    <section class="step">
      <h2>{step.ran.function ? `Function output (${step.messages.length} message${step.messages.length === 1 ? '' : 's'})` : 'Passed the connection\'s filter'}</h2>
      {step.ran.function && step.messages.map((m: unknown) => <Json value={m} />)}
    </section>
  );
}
