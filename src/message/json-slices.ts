// The text of each element of a top-level array member of a JSON document (`{"batch": [{…}, {…}]}`), found by a
// scan of the text that JSON.parse has already accepted, so that ingest can store a message's own text (plus what
// it stamps on it) instead of serialising the parsed object again: on the ingest thread JSON.stringify cost about
// as much as JSON.parse, the scan a third of that.

/** Deeper documents are left to the serialising path, which refuses absurdly nested messages with a reason. */
const MAX_DEPTH = 64;

/** Index of the quote that closes the string whose opening quote is at `open`. */
function stringEnd(s: string, open: number): number {
  let j = s.indexOf('"', open + 1);
  for (;;) {
    // A quote preceded by an odd number of backslashes is escaped.
    let k = j - 1;
    while (s.charCodeAt(k) === 92) k--;
    if ((j - 1 - k) % 2 === 0) return j;
    j = s.indexOf('"', j + 1);
  }
}

/**
 * The texts of the elements of the array under `key` in the top-level object of `json`, in order; null when there
 * is no such array or the document nests deeper than MAX_DEPTH. `json` must be valid JSON (it was parsed).
 */
export function arrayItemTexts(json: string, key: string): string[] | null {
  const n = json.length;
  let depth = 0;
  /** Where the array's elements start (-1 until the array is found) and where the current element started. */
  let arrayDepth = -1;
  let itemStart = -1;
  let lastKey = '';
  let expectKey = false;
  let out: string[] | null = null;
  for (let i = 0; i < n; i++) {
    const c = json.charCodeAt(i);
    if (c === 34) {
      const end = stringEnd(json, i);
      // A string at depth 1 right after `{` or `,` is a key of the top-level object.
      if (depth === 1 && expectKey) {
        lastKey = json.slice(i + 1, end);
        // An escaped key may spell the same name another way (JSON.parse keeps the last of equal keys): give up.
        if (lastKey.includes('\\')) return null;
      }
      if (depth === arrayDepth && itemStart < 0) itemStart = i;
      expectKey = false;
      i = end;
    } else if (c === 123 || c === 91) {
      if (depth === arrayDepth && itemStart < 0) itemStart = i;
      depth++;
      if (depth > MAX_DEPTH) return null;
      // JSON.parse keeps the last of equal keys, and so does this.
      if (c === 91 && depth === 2 && lastKey === key) {
        arrayDepth = 2;
        out = [];
      }
      expectKey = c === 123 && depth === 1;
    } else if (c === 125 || c === 93) {
      if (depth === arrayDepth && itemStart >= 0) {
        out!.push(json.slice(itemStart, trimEnd(json, i)));
        itemStart = -1;
      }
      if (depth === arrayDepth && c === 93) arrayDepth = -2; // the array is closed: nothing more to collect
      depth--;
    } else if (c === 44) {
      if (depth === arrayDepth && itemStart >= 0) {
        out!.push(json.slice(itemStart, trimEnd(json, i)));
        itemStart = -1;
      }
      if (depth === 1) expectKey = true;
    } else if (depth === arrayDepth && itemStart < 0 && c !== 32 && c !== 10 && c !== 13 && c !== 9) itemStart = i;
  }
  return out;
}

/** End (exclusive) of the text before position i, without trailing whitespace. */
function trimEnd(s: string, i: number): number {
  let e = i;
  for (;;) {
    const c = s.charCodeAt(e - 1);
    if (c === 32 || c === 10 || c === 13 || c === 9) e--;
    else return e;
  }
}
