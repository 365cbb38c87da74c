// Where the stored payloads of one accept() call came from, for the hand-over to the store thread. Most payloads
// are a batch item's text in the request body with ingest's stamp appended (accept.ts): the body crosses the
// thread once, as one string, with each item's place in it, instead of every payload crossing as its own string.
// A structured clone (https://html.spec.whatwg.org/multipage/structured-data.html) writes a string by copying it,
// and a payload built as body slice + stamp is first copied into a flat string to be written: on the ingest thread
// that was most of postMessage's cost.
import type { StoredMessage } from '../store/types.js';
import { attach, attached } from '../util/attached.js';

export interface PayloadSpans {
  /** The text the payloads were cut from (the request body). */
  text: string;
  /** Per message: where its payload starts in `text`, or -1 when `rest` is the whole payload. */
  start: number[];
  /** Per message: where the part of `text` in its payload ends (exclusive); unused when start is -1. */
  end: number[];
  /** Per message: what follows text[start, end) in its payload (the stamp), or the whole payload. */
  rest: string[];
}

/** Where a list of stored messages keeps its spans (util/attached.ts). */
const SPANS = Symbol('spans');

/** Records that msgs[i].payload === (start[i] < 0 ? '' : text.slice(start[i], end[i])) + rest[i], for every i. */
export function noteSpans(msgs: readonly StoredMessage[], s: PayloadSpans): void {
  attach(msgs, SPANS, s);
}

/** The spans noted for exactly these messages; undefined when none were, or when they do not fit the payloads
 *  (the list changed after it was noted): the payloads then cross as they are. */
export function spansOf(msgs: readonly StoredMessage[]): PayloadSpans | undefined {
  const s = attached<PayloadSpans>(msgs, SPANS);
  if (!s || s.start.length !== msgs.length || s.end.length !== msgs.length || s.rest.length !== msgs.length) return undefined;
  for (let i = 0; i < msgs.length; i++) {
    const own = s.start[i] < 0 ? 0 : s.end[i] - s.start[i];
    if (own + s.rest[i].length !== msgs[i].payload.length || s.end[i] > s.text.length) return undefined;
  }
  return s;
}
