import { test } from 'node:test';
import assert from 'node:assert/strict';
import { retryAfterMs } from '../../../src/destinations/clevertap/client.js';

test('Retry-After: seconds or an HTTP date, capped at an hour; nonsense ignored', () => {
  assert.equal(retryAfterMs('5'), 5000);
  assert.equal(retryAfterMs('2592000'), 3_600_000, 'a 30-day value is capped');
  const d = retryAfterMs(new Date(Date.now() + 60_000).toUTCString())!;
  assert.ok(d > 50_000 && d <= 60_000);
  assert.equal(retryAfterMs('soon'), undefined);
  assert.equal(retryAfterMs(undefined), undefined);
  assert.equal(retryAfterMs('0'), undefined);
});
