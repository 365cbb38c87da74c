// Every fix visible, end to end against the emulator: warnings in /metrics and per connection in /admin/status,
// a dead letter with the records that were sent and the warnings, the event age at delivery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, post, get, basic, waitFor, WRITE_KEY, ADMIN_TOKEN } from '../helpers.js';

const auth = { authorization: basic(WRITE_KEY) };
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

test('warnings are counted, a dead letter keeps records and warnings, event age is observed', async () => {
  const stack = await startStack({ emulator: { discardedEvents: ['Old Event'] } });
  try {
    const batch = [
      { type: 'identify', userId: 'u1', messageId: 'm1', traits: { email: 'not-an-email', gender: 'other', plan: 'pro' } },
      { type: 'track', userId: 'u1', messageId: 'm2', event: 'Old Event', properties: { 'a.b': 1 } },
    ];
    assert.equal((await post(`${stack.server.url}/v1/batch`, { batch }, auth)).status, 200);
    await waitFor(async () => (await stack.server.store.counts()).every((c) => c.pending === 0), 20_000, 'all jobs settled');

    const status = (await get(`${stack.server.url}/admin/status`, admin)).body;
    const conn = status.connections.find((c: { destinationId: string }) => c.destinationId === 'ct');
    assert.deepEqual([conn.delivered, conn.dead, conn.warnings], [1, 1, 3]);

    const metrics = (await get(`${stack.server.url}/metrics`)).body as string;
    for (const code of ['invalid_email', 'invalid_gender', 'key_cleaned']) {
      assert.match(metrics, new RegExp(`taproute_transform_warnings_total\\{destination="ct",code="${code}"\\} 1`));
    }
    assert.match(metrics, /taproute_event_age_seconds_count\{destination="ct"\} 1/);

    const [failure] = (await get(`${stack.server.url}/admin/failures`, admin)).body;
    const one = (await get(`${stack.server.url}/admin/failures/${failure.id}`, admin)).body;
    assert.equal(one.message.event, 'Old Event', 'the original message');
    assert.deepEqual(one.records.map((r: { evtName: string; evtData: unknown }) => [r.evtName, r.evtData]), [['Old Event', { ab: 1 }]]);
    assert.deepEqual(one.warnings.map((w: { code: string }) => w.code), ['key_cleaned']);
  } finally {
    await stack.close();
  }
});
