import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { batchFailureOutcomes, isBatchError, MAX_RETRY_AFTER_MS, parseRetryAfter } from '../../src/core/batch.js';
import { AuthError, RetryableError } from '../../src/core/errors.js';

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  const rows: [label: string, value: string | string[] | undefined, expected: number | undefined][] = [
    ['seconds', '5', 5000],
    ['zero means now', '0', 0],
    ['fractions of a second', '1.5', 1500],
    ['surrounding spaces', ' 7 ', 7000],
    ['an HTTP date 60 s ahead', new Date(now + 60_000).toUTCString(), 60_000],
    ['an HTTP date in the past is now', new Date(now - 60_000).toUTCString(), 0],
    ['the epoch as a date', new Date(0).toUTCString(), 0],
    ['a 30-day delay is capped at an hour', '2592000', MAX_RETRY_AFTER_MS],
    ['a date a day ahead is capped', new Date(now + 86_400_000).toUTCString(), MAX_RETRY_AFTER_MS],
    ['the first of several values', ['2', '9'], 2000],
    ['negative seconds are now', '-5', 0],
    ['nonsense', 'soon', undefined],
    ['empty', '', undefined],
    ['absent', undefined, undefined],
  ];
  for (const [label, value, expected] of rows) {
    test(`${label}: ${JSON.stringify(value)} → ${expected}`, () => assert.equal(parseRetryAfter(value, now), expected));
  }
  test('relative to the current time by default', () => {
    const d = parseRetryAfter(new Date(Date.now() + 60_000).toUTCString())!;
    assert.ok(d > 50_000 && d <= 60_000, String(d));
  });
});

describe('batchFailureOutcomes', () => {
  const jobs = [{ id: 1 }, { id: 2 }];
  test('RetryableError → retry, scope request, its code and Retry-After', () => {
    assert.deepEqual(batchFailureOutcomes(jobs, new RetryableError('busy', 7000, 'http_429')), [
      { jobId: 1, status: 'retry', code: 'http_429', reason: 'busy', scope: 'request', retryAfterMs: 7000 },
      { jobId: 2, status: 'retry', code: 'http_429', reason: 'busy', scope: 'request', retryAfterMs: 7000 },
    ]);
  });
  test('without a Retry-After the outcome has none', () => {
    assert.deepEqual(batchFailureOutcomes([{ id: 1 }], new RetryableError('down', undefined, 'http_503')), [
      { jobId: 1, status: 'retry', code: 'http_503', reason: 'down', scope: 'request' },
    ]);
  });
  test('AuthError → retry, scope auth (the router pauses and keeps the jobs)', () => {
    assert.deepEqual(batchFailureOutcomes([{ id: 3 }], new AuthError('refused', 'http_401')), [{ jobId: 3, status: 'retry', code: 'http_401', reason: 'refused', scope: 'auth' }]);
  });
  test('any other error → retry, scope request, delivery_error', () => {
    assert.deepEqual(batchFailureOutcomes([{ id: 4 }], new TypeError('boom')), [{ jobId: 4, status: 'retry', code: 'delivery_error', reason: 'boom', scope: 'request' }]);
    assert.deepEqual(batchFailureOutcomes([{ id: 5 }], 'odd'), [{ jobId: 5, status: 'retry', code: 'delivery_error', reason: 'odd', scope: 'request' }]);
  });
  test('no jobs, no outcomes', () => assert.deepEqual(batchFailureOutcomes([], new Error('x')), []));
  test('isBatchError tells the errors raised on purpose from bugs', () => {
    assert.equal(isBatchError(new RetryableError('x')), true);
    assert.equal(isBatchError(new AuthError('x')), true);
    assert.equal(isBatchError(new Error('x')), false);
  });
  test('error classes carry their name', () => {
    assert.equal(new RetryableError('x').name, 'RetryableError');
    assert.equal(new AuthError('x').name, 'AuthError');
  });
});
