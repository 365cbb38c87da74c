// Each source: its endpoints, masked credentials and ready-to-paste snippets. The copy button fetches the full
// write key only when pressed; it is never part of the page.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.js';

interface SourceView {
  id: string;
  type: string;
  base: string;
  writeKey?: string;
  fields: { label: string; value: string; secret?: boolean; copy?: boolean }[];
  sdk: boolean;
  fromCleverTap: boolean;
}

const KEY = '<WRITE_KEY>';

function snippets(s: SourceView): { title: string; text: string }[] {
  return [
    {
      title: 'Segment SDK (Node)',
      text: `import { Analytics } from '@segment/analytics-node';\nconst analytics = new Analytics({ writeKey: '${KEY}', host: '${s.base}' });\nanalytics.track({ userId: 'u1', event: 'Signed Up', properties: { plan: 'pro' } });`,
    },
    {
      title: 'Segment SDK (browser, npm)',
      text: `import { AnalyticsBrowser } from '@segment/analytics-next';\nexport const analytics = AnalyticsBrowser.load(\n  { writeKey: '${KEY}', cdnURL: '${s.base}' },\n  { integrations: { 'Segment.io': { apiHost: '${s.base.replace(/^https?:\/\//, '')}/v1', protocol: '${s.base.startsWith('https') ? 'https' : 'http'}' } } },\n);`,
    },
    {
      title: 'RudderStack SDK (Node)',
      text: `import Analytics from '@rudderstack/rudder-sdk-node';\nconst client = new Analytics('${KEY}', { dataPlaneUrl: '${s.base}' });\nclient.track({ userId: 'u1', event: 'Signed Up', properties: { plan: 'pro' } });`,
    },
    {
      title: 'curl',
      text: `curl -s ${s.base}/v1/track -u '${KEY}:' -H 'Content-Type: application/json' \\\n  -d '{"userId":"u1","event":"Signed Up","properties":{"plan":"pro"}}'`,
    },
  ];
}

export function Sources() {
  const [list, setList] = useState<SourceView[] | null>(null);
  const [note, setNote] = useState('');
  useEffect(() => {
    api<SourceView[]>('/sources').then(setList, (e) => setNote(e.message));
  }, []);
  const copy = async (s: SourceView, text?: string) => {
    try {
      const { writeKey } = await api<{ writeKey: string }>(`/sources/${encodeURIComponent(s.id)}/key`, { body: {} });
      await navigator.clipboard.writeText(text === undefined ? writeKey : text.split(KEY).join(writeKey));
      setNote(text === undefined ? `write key of ${s.id} copied` : `snippet for ${s.id} copied with its write key`);
    } catch (e) {
      setNote(`copy failed: ${(e as Error).message}`);
    }
  };
  if (!list) return <p class="muted">{note || 'Loading…'}</p>;
  return (
    <div>
      {note && <p class="note">{note}</p>}
      {list.map((s) => (
        <section class="source" data-source={s.id}>
          <h2>{s.id} <span class="muted">({s.type})</span></h2>
          {s.fromCleverTap && <p class="muted">In CleverTap, add this partner export (Settings → Partners) or webhook with the values below.</p>}
          <dl>
            {s.fields.map((f) => (
              <>
                <dt>{f.label}</dt>
                <dd>
                  <code class={f.secret ? 'secret' : ''}>{f.value}</code>
                  {f.copy && <button class="copy" onClick={() => copy(s)}>Copy</button>}
                </dd>
              </>
            ))}
          </dl>
          {s.sdk &&
            snippets(s).map((sn) => (
              <div class="snippet">
                <h3>{sn.title} <button class="copy" onClick={() => copy(s, sn.text)}>Copy with key</button></h3>
                <pre>{sn.text.split(KEY).join(s.writeKey ?? KEY)}</pre>
              </div>
            ))}
        </section>
      ))}
    </div>
  );
}
