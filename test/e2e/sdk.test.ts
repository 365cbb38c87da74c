// The real Segment and RudderStack Node SDKs from npm, pointed at Taproute, land in the emulated CleverTap.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';
import { startStack, waitFor, reconciled, WRITE_KEY, type Stack } from '../helpers.js';

describe('SDK clients end to end', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  test('@segment/analytics-node: identify, track, page, screen, Order Completed', async () => {
    const a = new SegmentAnalytics({ writeKey: WRITE_KEY, host: stack.server.url, flushAt: 10, flushInterval: 50 });
    a.identify({ userId: 'seg-1', traits: { name: 'Ada Lovelace', email: 'ada@example.com', plan: 'pro' } });
    a.track({ userId: 'seg-1', event: 'Signed Up', properties: { source: 'ad' } });
    a.page({ userId: 'seg-1', name: 'Home', properties: { url: 'https://example.com/' } });
    a.screen({ userId: 'seg-1', name: 'Cart' });
    a.track({
      userId: 'seg-1',
      event: 'Order Completed',
      properties: { checkout_id: 'c-1', revenue: 15, products: [{ product_id: 'p1', name: 'Monopoly', price: 14, quantity: 1 }] },
    });
    await a.closeAndFlush();
    const events = await waitFor(() => {
      const e = stack.emulator.events('acc') as any[];
      return e.filter((x) => x.identity === 'seg-1').length >= 4 ? e.filter((x) => x.identity === 'seg-1') : null;
    }, 10_000, 'segment events in the emulator');
    const names = events.map((e) => e.evtName);
    assert.ok(names.includes('Signed Up'));
    assert.ok(names.includes('Charged'));
    const charged = events.find((e) => e.evtName === 'Charged');
    assert.equal(charged.evtData['Charged ID'], 'c-1');
    assert.equal(charged.evtData.Amount, 15);
    assert.ok(Array.isArray(charged.evtData.Items) && charged.evtData.Items.length === 1);
    for (const e of events) assert.ok(Number.isInteger(e.ts) && e.ts > 1.6e9 && e.ts < 4e9, 'ts in epoch seconds');
    const profile = await waitFor(() => (stack.emulator.profiles('acc') as any[]).find((p) => p.identity === 'seg-1' || p.identities?.includes('seg-1')));
    assert.equal(profile.profileData.Name, 'Ada Lovelace');
    assert.equal(profile.profileData.Email, 'ada@example.com');
  });

  test('@rudderstack/rudder-sdk-node (gzip batches): identify and track', async () => {
    const r = new RudderAnalytics(WRITE_KEY, { dataPlaneUrl: stack.server.url, flushAt: 5, flushInterval: 50, logLevel: 'error' });
    r.identify({ userId: 'rs-1', traits: { email: 'rs@example.com', gender: 'female' } });
    for (let i = 0; i < 7; i++) r.track({ userId: 'rs-1', event: 'Viewed Item', properties: { i } });
    await new Promise<void>((res) => r.flush(() => res()));
    const events = await waitFor(() => {
      const e = (stack.emulator.events('acc') as any[]).filter((x) => x.identity === 'rs-1');
      return e.length >= 7 ? e : null;
    }, 10_000, 'rudderstack events in the emulator');
    assert.deepEqual(events.map((e) => e.evtData.i), [0, 1, 2, 3, 4, 5, 6], 'one user\'s events arrive in order');
    const profile = await waitFor(() => (stack.emulator.profiles('acc') as any[]).find((p) => p.identity === 'rs-1' || p.identities?.includes('rs-1')));
    assert.equal(profile.profileData.Gender, 'F');
    await waitFor(async () => (await stack.server.store.counts()).every((c) => c.pending === 0), 5000, 'drain');
    assert.ok(await reconciled(stack.server));
  });
});
