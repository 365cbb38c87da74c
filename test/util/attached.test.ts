import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { attach, attached } from '../../src/util/attached.js';
import { bodyText, parseBatchBody, parseBody } from '../../src/message/ids.js';

test('attached data is invisible to JSON, spreads, keys and for-in, and can be replaced', () => {
  const key = Symbol('k');
  const o: Record<string, unknown> = { a: 1 };
  attach(o, key, 'first');
  attach(o, key, 'second');
  assert.equal(attached(o, key), 'second');
  assert.equal(JSON.stringify(o), '{"a":1}');
  assert.deepEqual(Object.getOwnPropertySymbols({ ...o }), []);
  assert.deepEqual(Object.keys(o), ['a']);
  const seen: string[] = [];
  for (const k in o) seen.push(k);
  assert.deepEqual(seen, ['a']);
  assert.equal(attached({}, key), undefined);
});

test('a parsed body serialises and copies as JSON.parse gave it, and still knows its text', () => {
  const text = '{"batch":[{"type":"track","event":"x","userId":"u","messageId":"m"}],"sentAt":"2026-11-30T00:00:00.000Z"}';
  for (const body of [parseBody(text), parseBatchBody(text)] as Record<string, unknown>[]) {
    assert.equal(JSON.stringify({ ...body, batch: undefined }), '{"sentAt":"2026-11-30T00:00:00.000Z"}');
    assert.deepEqual(Object.keys(body), ['batch', 'sentAt']);
  }
  assert.equal(bodyText(parseBody(text) as object), text);
});

test("a request's parsed body and payload spans die in the young generation once let go", () => {
  // In a child process with the collector exposed: young-gc-probe.ts prints, per kind of request data, the bytes of
  // the young generation that survived one young collection after 40 requests' worth (about 450 KB) was let go.
  // Kept in module-level WeakMaps, all of it survived (and each request's data reached the old generation).
  const probe = fileURLToPath(new URL('./young-gc-probe.ts', import.meta.url));
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', probe], { encoding: 'utf8' });
  const survived = JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
  assert.deepEqual(Object.keys(survived), ['scanned', 'parsed', 'spans']);
  for (const [kind, bytes] of Object.entries(survived)) assert.ok(bytes < 100_000, `${kind}: ${bytes} bytes of the young generation survived`);
});
