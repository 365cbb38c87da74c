// Numeric ids keep every digit. JSON.parse reads 1234567890123456789 as the double 1234567890123456800, so two
// users whose numeric ids differ past the 16th digit would become one. Before parsing, an integer literal of
// 16 or more digits given to an id field (userId, anonymousId, previousId, anywhere in the body, so also in
// batch items) is written as a string; JSON.parse then runs as usual (no reviver, no JavaScript parser). A batch
// body scanned instead (batch-scan.ts) has no such literal: the scan leaves any body with one to this path.
// Ingest turns the remaining (short) numeric ids into strings (src/ingest/accept.ts).
// https://developer.mozilla.org/en-US/docs/Web/JavaScript/Reference/Global_Objects/Number/MAX_SAFE_INTEGER

import { scanBatch, type ScannedBatch } from './batch-scan.js';
import { attach, attached } from '../util/attached.js';

/** The id fields whose numeric values are quoted. */
export const ID_FIELDS = ['userId', 'anonymousId', 'previousId'] as const;

// A member `"<id field>" : <integer of 16+ digits>` that ends where a JSON number ends. A key written inside a
// string value is escaped (\"userId\":1…) and so never matches: its closing quote follows a backslash.
const LONG_ID = /("(?:userId|anonymousId|previousId)"\s*:\s*)(-?[1-9]\d{15,})(?=\s*[,}\]])/g;
/** What every long id literal has (a key ending in `Id"`, then 16 digits): searched for its literal part first,
 *  so a body without one is passed over far faster than by scanning every digit run. */
const LONG_ID_HINT = /Id"\s*:\s*-?[1-9]\d{15}/;

/** The JSON text with every long integer id literal quoted; the same string when there is none. */
export function quoteLongIds(json: string): string {
  // Most bodies carry no long id literal at all: one scan for its literal part and done.
  if (!LONG_ID_HINT.test(json)) return json;
  return json.replace(LONG_ID, '$1"$2"');
}

/** Where a parsed request body keeps the text it was parsed from (see bodyText; util/attached.ts). */
const TEXT = Symbol('text');

/** JSON.parse of a request body, long integer ids kept as strings. */
export function parseBody(json: string): unknown {
  const text = quoteLongIds(json);
  const body: unknown = JSON.parse(text);
  if (body !== null && typeof body === 'object') attach(body, TEXT, text);
  return body;
}

/** The exact text parseBody() parsed this body from (its messages can then be stored as they were written). */
export function bodyText(body: object): string | undefined {
  return attached<string>(body, TEXT);
}

/** Numeric ids as strings (CleverTap identities are strings; a number's digits are kept as written). */
export function stringifyIds(m: Record<string, unknown>): void {
  for (const k of ID_FIELDS) if (typeof m[k] === 'number') m[k] = String(m[k]);
}

/** Where a batch body parseBatchBody scanned keeps the scan, with its items' texts. */
const SCANNED = Symbol('scanned');

/** A batch body read by scanBatch (its bulky item members elided, see batch-scan.ts) when it can be, else as
 *  parseBody reads it; long integer ids are kept as strings either way. */
export function parseBatchBody(json: string): unknown {
  // A body with a long integer anywhere is not scanned: it needs no quoting here.
  const scanned = scanBatch(json);
  if (!scanned) return parseBody(json);
  attach(scanned.body, SCANNED, scanned);
  return scanned.body;
}

/** The item texts of a body parseBatchBody scanned, with the body's text and where each starts in it; undefined
 *  for a body JSON.parse read. */
export function scannedItems(body: object): Pick<ScannedBatch, 'texts' | 'text' | 'starts'> | undefined {
  return attached<ScannedBatch>(body, SCANNED);
}
