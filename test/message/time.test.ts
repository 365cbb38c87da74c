import { test } from 'node:test';
import assert from 'node:assert/strict';
import { correctedTimestamp, isoOrUndefined, parseIsoFast, toEpochMs } from '../../src/message/time.js';

test('the fast ISO parser agrees with Date.parse, and declines what it does not know', () => {
  const same = [
    '2024-03-05T10:20:30Z', '2024-03-05T10:20:30.123Z', '2024-03-05T10:20:30.1Z', '2024-03-05T10:20:30.123456Z',
    '2024-03-05T10:20:30+05:30', '2024-03-05T10:20:30-0800', '2024-03-05 10:20:30Z', '1969-12-31T23:59:59Z', '2024-02-29T00:00:00.000+00:00',
  ];
  for (const s of same) assert.equal(parseIsoFast(s), Date.parse(s.replace(' ', 'T').replace(/([+-]\d\d)(\d\d)$/, '$1:$2')), s);
  for (const s of ['2024-03-05', '2024-03-05T10:20:30', 'March 5, 2024', '2024-13-05T10:20:30Z', '2024-03-05T10:20:30.Z', '2024-03-05T10:20:30+5']) {
    assert.ok(Number.isNaN(parseIsoFast(s)), s);
  }
});

test('the fast ISO parser computes epoch ms as Date.UTC does: leap days, rollover past the month end, every era', () => {
  const cases: [string, number][] = [
    ['2024-02-29T12:00:00Z', Date.UTC(2024, 1, 29, 12)],
    ['2023-02-29T00:00:00Z', Date.UTC(2023, 1, 29)], // March 1st, as Date.UTC has it
    ['2023-04-31T23:59:59.999Z', Date.UTC(2023, 3, 31, 23, 59, 59, 999)],
    ['1900-02-28T00:00:00+01:00', Date.UTC(1900, 1, 28) - 3_600_000],
    ['2000-02-29T00:00:00-05:30', Date.UTC(2000, 1, 29) + 19_800_000],
    ['1600-03-01T00:00:00Z', Date.UTC(1600, 2, 1)],
    ['1969-12-31T23:59:59Z', -1000],
    ['0050-06-15T00:00:00Z', Date.UTC(50, 5, 15)], // years 0-99 read as 1900-1999, as Date.UTC reads them
    ['0000-01-01T00:00:00Z', Date.UTC(0, 0, 1)],
    ['9999-12-31T23:59:59.999Z', Date.UTC(9999, 11, 31, 23, 59, 59, 999)],
  ];
  for (const [s, ms] of cases) assert.equal(parseIsoFast(s), ms, s);
  for (let y = 1800; y <= 2200; y += 7) {
    for (let m = 1; m <= 12; m++) {
      const s = `${y}-${String(m).padStart(2, '0')}-28T01:02:03.004Z`;
      assert.equal(parseIsoFast(s), Date.UTC(y, m - 1, 28, 1, 2, 3, 4), s);
    }
  }
});

test('toEpochMs: ISO, epoch seconds and milliseconds, numeric strings, other date strings', () => {
  const ms = Date.UTC(2024, 2, 5, 10, 20, 30);
  assert.equal(toEpochMs('2024-03-05T10:20:30Z'), ms);
  assert.equal(toEpochMs(ms / 1000), ms);
  assert.equal(toEpochMs(ms), ms);
  assert.equal(toEpochMs(String(ms / 1000)), ms);
  assert.equal(toEpochMs('2024-03-05'), Date.UTC(2024, 2, 5));
  assert.ok(Number.isNaN(toEpochMs('soon')));
  assert.ok(Number.isNaN(toEpochMs('')));
  assert.ok(Number.isNaN(toEpochMs(null)));
});

test("Segment's clock correction", () => {
  const received = Date.UTC(2024, 0, 1, 12, 0, 0);
  // client clock 1 h fast; event 10 s before sending
  assert.equal(correctedTimestamp(received, '2024-01-01T12:59:50Z', '2024-01-01T13:00:00Z'), received - 10_000);
  assert.equal(correctedTimestamp(received, '2024-01-01T11:00:00Z'), Date.UTC(2024, 0, 1, 11), 'no sentAt: kept');
  assert.equal(correctedTimestamp(received), received, 'no time at all: receivedAt');
});

test('times beyond what a Date can hold are not times (no RangeError downstream)', () => {
  assert.ok(Number.isNaN(toEpochMs(1e17)));
  assert.ok(Number.isNaN(toEpochMs('99999999999999999')));
  assert.equal(isoOrUndefined(1e17), undefined);
  assert.equal(isoOrUndefined(0), '1970-01-01T00:00:00.000Z');
});
