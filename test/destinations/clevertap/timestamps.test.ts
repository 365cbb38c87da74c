// A record's ts: plausible epoch seconds from properties.ts / traits.ts, else the message time.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { epochSeconds } from '../../../src/destinations/clevertap/timestamps.js';
import { event, track, codes, TS, ALL_MODES } from './helpers.js';

describe('ts is plausible epoch seconds (2001–2100)', () => {
  const rows: [label: string, ts: unknown, expected: number, warn: boolean][] = [
    ['microseconds', 1714557600123000, 1714557600, false],
    ['microseconds as a string', '1714557600123000', 1714557600, false],
    ['milliseconds', 1714557600123, 1714557600, false],
    ['seconds', 1714557600, 1714557600, false],
    ['nanoseconds → message time', 1714557600123000000, TS, true],
    ['1973 → message time', 100000000, TS, true],
    ['2128 → message time', 5000000000, TS, true],
    ['year 1999 ISO → message time', '1999-01-01T00:00:00Z', TS, true],
  ];
  for (const compat of ALL_MODES) {
    for (const [label, ts, expected, warn] of rows) {
      test(`${compat ?? 'own'}: properties.ts ${label}`, () => {
        const r = event(track('Clicked', { ts }), { compat });
        assert.equal(r.rec.ts, expected);
        assert.deepEqual(codes(r.warnings), warn ? ['invalid_ts'] : []);
      });
    }
  }
  test('epochSeconds reads microseconds', () => assert.equal(epochSeconds(1714557600123000), 1714557600));
  test('an implausible message time leaves no ts, with a warning', () => {
    const r = event({ type: 'track', userId: 'u', event: 'x', timestamp: '1970-01-02T00:00:00Z' });
    assert.equal('ts' in r.rec, false);
    assert.deepEqual(codes(r.warnings), ['invalid_ts']);
  });
});
