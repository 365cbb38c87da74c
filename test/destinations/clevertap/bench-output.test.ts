// The transform's output for the benchmark's events (bench/events.ts), in every mode, plus variants with values that
// take the slow paths (escapes, surrogates, nesting, dirty and reserved keys, bad standard values), is pinned by a
// digest: performance work must leave it byte-identical. The digest was taken before the performance work of
// issue #14 (commit a9c16c5); a deliberate change of output updates it (the failure prints the new one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { compileTransform } from '../../../src/destinations/clevertap/transform.js';
import type { CleverTapSettings } from '../../../src/destinations/clevertap/settings.js';
import { buildEvents, MIXES } from '../../../bench/events.js';

const MODES: CleverTapSettings[] = [
  { accountId: 'b', passcode: 'b', defaultCountryCode: '+1' },
  { accountId: 'b', passcode: 'b', compat: 'segment' },
  { accountId: 'b', passcode: 'b', compat: 'rudderstack', trackAnonymous: true, objectIdMapping: true },
  { accountId: 'b', passcode: 'b', invalidValues: 'reject', objectIdMapping: true },
];
const ODD = ['a"b', 'back\\slash', 'ctl\u0001x', 'nl\nx', '\ud83d\ude00 emoji', 'lone \ud800 hi', 'é ü', '', '$D_123', 'x'.repeat(600), '\u2028'];

function variant(e: Record<string, unknown>, i: number): Record<string, unknown> {
  const c = JSON.parse(JSON.stringify(e)) as Record<string, Record<string, unknown> | undefined>;
  const bag = c.traits ?? c.properties;
  if (!bag) return c;
  const odd = ODD[i % ODD.length];
  switch (i % 7) {
    case 0:
      bag.nested = { a: { b: odd }, c: [1, odd, null, true, 1.5e300, -0] };
      break;
    case 1:
      bag['we"ird'] = { 'k"ey': odd, k2: 1 };
      break;
    case 2:
      bag.list = [odd, 1, false, null];
      bag.flat = { s: odd, n: NaN, d: '2020-01-01' };
      break;
    case 3:
      Object.assign(bag, { name: odd, gender: odd, email: odd, birthday: odd, phone: odd });
      break;
    case 4:
      Object.assign(bag, { 'a.b': odd, ' Email': 'x@y.com', 'First Name': odd, firstName: 'F', identity: 'id' });
      break;
    case 5:
      Object.assign(bag, { empty: {}, emptyList: [], ts: odd });
      break;
    default:
      Object.assign(bag, { tags: ['featured', odd], campaign: { source: odd, medium: 'email' } });
  }
  return c;
}

test('benchmark events in every mode: output byte-identical to before the performance work', () => {
  const hash = createHash('sha256');
  let n = 0;
  for (const mix of MIXES) {
    const events = JSON.parse(JSON.stringify(buildEvents(1500, 42, mix))) as Record<string, unknown>[];
    for (const s of MODES) {
      const t = compileTransform(s);
      // Each event twice, and a variant after every third: remembered shapes and texts are met warm and cold.
      for (let i = 0; i < events.length; i++) {
        for (let again = 0; again < 2; again++) hash.update(JSON.stringify(t(events[i] as never)) + '\n');
        if (i % 3 === 0) hash.update(JSON.stringify(t(variant(events[i], i / 3) as never)) + '\n');
        n++;
      }
    }
  }
  assert.equal(n, 12_000);
  assert.equal(hash.digest('hex'), 'c1adce230a28e454b2695d0241c8589b2502b2cd75263cd51658433f473f825e');
});
