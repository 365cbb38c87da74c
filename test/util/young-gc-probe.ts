// Run by attached.test.ts in a child process with --expose-gc: makes requests' worth of parsed bodies and payload
// spans as ingest does, lets go of them, runs one young-generation collection and prints how many bytes of the
// young generation survived it, for each kind of request data.
import { getHeapSpaceStatistics } from 'node:v8';
import { parseBatchBody, parseBody, scannedItems } from '../../src/message/ids.js';
import { noteSpans, spansOf } from '../../src/message/payload-spans.js';
import type { StoredMessage } from '../../src/store/types.js';

const gc = (globalThis as { gc?: (o?: { type: 'minor' | 'major' }) => void }).gc!;
const REQUESTS = 40;
/** A body of about 11 KB, its own string (not one shared with an earlier request). */
const body = (r: number) =>
  JSON.stringify({ batch: Array.from({ length: 100 }, (_, i) => ({ type: 'track', event: 'Viewed', userId: `u${i}`, messageId: `r${r}-${i}`, properties: { n: i, page: '/products/123' } })) });

const kinds: Record<string, (r: number) => void> = {
  scanned(r) {
    const b = parseBatchBody(body(r));
    if (!scannedItems(b as object)) throw new Error('the body was not scanned');
  },
  parsed(r) {
    parseBody(body(r));
  },
  spans(r) {
    const text = body(r);
    const msgs: StoredMessage[] = [{ messageId: 'm', userKey: 'u', receivedAt: 0, payload: text.slice(0, 10) + '}', destinations: ['ct'] }];
    const spans = { text, start: [0], end: [10], rest: ['}'] };
    noteSpans(msgs, spans);
    if (spansOf(msgs) !== spans) throw new Error('the spans were not noted');
  },
};

const youngUsed = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')!.space_used_size;
const out: Record<string, number> = {};
for (const [name, make] of Object.entries(kinds)) {
  // Once, so that every module-level structure exists; then everything long-lived goes to the old generation.
  make(-1);
  gc({ type: 'major' });
  gc({ type: 'major' });
  for (let r = 0; r < REQUESTS; r++) make(r);
  gc({ type: 'minor' });
  out[name] = youngUsed();
}
console.log(JSON.stringify(out));
