// Reads the console's live stream (Server-Sent Events) in a test: every item of its `items` events, as they come.
import type { Dispatcher } from 'undici';

export function readItems(body: Dispatcher.ResponseData['body']): { seen: any[]; reading: Promise<void> } {
  const seen: any[] = [];
  let buf = '';
  const reading = (async () => {
    for await (const chunk of body) {
      buf += chunk.toString();
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const data = block.split('\n').find((l) => l.startsWith('data: '));
        if (block.startsWith('event: items') && data) seen.push(...JSON.parse(data.slice(6)));
      }
    }
  })().catch(() => {});
  return { seen, reading };
}
