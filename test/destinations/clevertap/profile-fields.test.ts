// Standard profile field normalisers: DOB and Phone, directly and through the mapping.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { toCleverTapDate, normalisePhone } from '../../../src/destinations/clevertap/profile-fields.js';
import { profile, fail, identify, codes, DROP, REJECT } from './helpers.js';

describe('DOB: only real dates become $D_', () => {
  const rows: [input: unknown, expected: string | undefined][] = [
    ['19900101', '$D_631152000'],
    [19900101, '$D_631152000'],
    ['20000229', '$D_951782400'],
    ['19900230', undefined],
    ['19901301', undefined],
    ['1990', undefined],
    [1990, undefined],
    ['199001', undefined],
    ['1990-02-30', undefined],
    ['1900-02-29', undefined],
    ['2000-02-29', '$D_951782400'],
    ['1990-01-01', '$D_631152000'],
    ['1990-01-01T10:00:00', '$D_631188000'],
    ['1990-01-01T10:00:00.5Z', '$D_631188000'],
    ['1990-01-01T12:00:00+02:00', '$D_631188000'],
    ['1990-01-01T25:00:00Z', undefined],
    ['May 5', undefined],
    ['5 May 1990', undefined],
    ['Tue, 01 Jan 1990 00:00:00 GMT', '$D_631152000'], // RFC 2822
    ['01011990', undefined],
    [1e20, undefined],
    ['1e20', undefined],
    [-1e20, undefined],
    [Number.NaN, undefined],
    [631152000, '$D_631152000'],
    [631152000000, '$D_631152000'],
    ['631152000', '$D_631152000'],
    [-315619200, '$D_-315619200'],
    ['$D_631152000', '$D_631152000'],
    ['$D_-315619200', '$D_-315619200'],
    ['$D_abc', undefined],
    ['$D_99999999999999', undefined],
    ['1799-12-31', undefined],
    ['1800-01-01', '$D_-5364662400'],
    ['2200-12-31', '$D_7289568000'],
    ['2201-01-01', undefined],
    [new Date(Date.UTC(1990, 0, 1)), '$D_631152000'],
    [new Date(Number.NaN), undefined],
  ];
  for (const [input, expected] of rows) {
    const label = input instanceof Date ? `Date(${input.getTime()})` : typeof input === 'number' ? String(input) : JSON.stringify(input);
    test(`${label} → ${expected ?? 'invalid_date'}`, () => {
      assert.equal(toCleverTapDate(input), expected);
      if (input instanceof Date || Number.isNaN(input)) return; // messages carry JSON values
      if (expected === undefined) {
        const e = fail(identify({ birthday: input, plan: 'pro' }), REJECT).error;
        assert.equal(e.code, 'invalid_date');
        const r = profile(identify({ birthday: input, plan: 'pro' }), DROP);
        assert.deepEqual(r.rec.profileData, { plan: 'pro' });
        assert.deepEqual(codes(r.warnings), ['invalid_date']);
      } else {
        assert.equal(profile(identify({ birthday: input })).rec.profileData.DOB, expected);
      }
    });
  }
  test('a rejected "$D_…" DOB is named as sent', () => {
    assert.match(fail(identify({ birthday: '$D_abc' }), REJECT).error.message, /^DOB "\$D_abc" is invalid/);
  });
});

describe('Phone: the default country code is not added twice', () => {
  const rows: [input: unknown, cc: string, expected: string | undefined][] = [
    ['1-555-123-4567', '+1', '+15551234567'],
    ['15551234567', '1', '+15551234567'],
    [15551234567, '+1', '+15551234567'],
    ['919876543210', '+91', '+919876543210'],
    ['91 98765 43210', '91', '+919876543210'],
    ['5551234567', '+1', '+15551234567'],
    ['9876543210', '+91', '+919876543210'],
    ['1555123456', '+1', '+11555123456'], // 10 digits: a national number, the code is prepended
    ['447700900123', '+44', '+447700900123'],
    ['07700 900123', '+44', '+447700900123'],
    ['06 1234 5678', '+39', '+390612345678'],
    ['390612345678', '+39', '+390612345678'],
  ];
  for (const [input, cc, expected] of rows) {
    test(`${JSON.stringify(input)} with ${cc} → ${expected}`, () => {
      assert.equal(normalisePhone(input, cc.replace('+', '')), expected);
      assert.equal(profile(identify({ phone: input }), { defaultCountryCode: cc }).rec.profileData.Phone, expected);
    });
  }
});
