// User deletion against the CleverTap emulator: at most 3 delete calls in flight per account, and a 429 without
// Retry-After is retried with backoff until every call went through.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, type RunningEmulator } from '../../../src/emulator/index.js';
import { deleteCleverTapProfiles } from '../../../src/destinations/clevertap/deliver.js';

const ACC = { id: 'DEL-ACC', passcode: 'pass' };
const ids = (n: number) => Array.from({ length: n }, (_, i) => `user-${i}`);
const started: RunningEmulator[] = [];
after(async () => {
  await Promise.all(started.map((e) => e.close()));
});

async function emulator(maxInFlight: number): Promise<RunningEmulator> {
  const e = await startEmulator({ accounts: [ACC], maxInFlight, logger: false });
  started.push(e);
  e.setFaults({ latencyMs: 20 });
  return e;
}

test('1,000 identities: 10 calls, never more than 3 in flight for the account', async () => {
  const e = await emulator(3);
  const r = await deleteCleverTapProfiles({ accountId: ACC.id, passcode: ACC.passcode, endpoint: e.url }, ids(1000));
  assert.equal(r.deleted, 1000);
  const s = e.stats(ACC.id);
  assert.equal(s.status429, 0, 'CleverTap never had to refuse a call');
  assert.ok(s.peakInFlight <= 3, `peak ${s.peakInFlight}`);
  assert.equal(s.requests, 10);
});

test('a 429 without Retry-After is retried with backoff, and every call goes through', async () => {
  const e = await emulator(1);
  const r = await deleteCleverTapProfiles({ accountId: ACC.id, passcode: ACC.passcode, endpoint: e.url }, ids(300));
  assert.equal(r.deleted, 300);
  const s = e.stats(ACC.id);
  assert.ok(s.status429 > 0, 'the emulator refused calls over its limit of 1');
  assert.equal(s.requests - s.status429, 3, 'each of the 3 calls succeeded once');
});
