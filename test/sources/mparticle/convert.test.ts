import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mparticleBatchToMessages, type MParticleBatch } from '../../../src/sources/mparticle/convert.js';

const RECEIVED = Date.parse('2025-03-01T12:00:00.000Z');
const T1 = Date.parse('2025-03-01T11:59:00.000Z');
const convert = (b: unknown, o: Partial<{ historical: boolean; clevertap: boolean }> = {}) =>
  mparticleBatchToMessages(b, { receivedAt: RECEIVED, ...o });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('mParticle custom_event of every custom_event_type', () => {
  const types = ['attribution', 'location', 'media', 'navigation', 'search', 'social', 'transaction', 'user_content', 'user_preference', 'other'];
  for (const t of types) {
    test(t, () => {
      const r = convert({
        user_identities: { customer_id: 'c1' },
        events: [
          {
            event_type: 'custom_event',
            data: { event_name: 'My Event', custom_event_type: t, custom_attributes: { a: '1', B: 'x y' }, timestamp_unixtime_ms: T1, source_message_id: `m-${t}` },
          },
        ],
      });
      assert.deepEqual(r.errors, []);
      assert.equal(r.messages.length, 1);
      const m = r.messages[0];
      assert.equal(m.type, 'track');
      assert.equal(m.event, 'My Event');
      assert.equal(m.userId, 'c1');
      assert.equal(m.anonymousId, undefined);
      assert.equal(m.messageId, `m-${t}`);
      assert.equal(m.timestamp, new Date(T1).toISOString());
      assert.deepEqual(m.properties, { a: '1', B: 'x y' });
      assert.equal((m.context?.mparticle as Record<string, unknown>).customEventType, t);
      assert.equal((m.context?.mparticle as Record<string, unknown>).eventType, 'custom_event');
      assert.deepEqual(m.context?.clevertap, { system: false });
      assert.deepEqual(m.context?.integration, { name: 'clevertap' });
    });
  }
  test('a catalogue event gets its canonical name and catalogue type (the wire type stays in context.mparticle)', () => {
    const r = convert({
      user_identities: { customer_id: 'c1' },
      events: [{ event_type: 'custom_event', data: { event_name: 'GeoCluster Entered', custom_event_type: 'other' } }],
    });
    const m = r.messages[0];
    assert.equal(m.event, 'Geocluster Entered');
    assert.deepEqual(m.context?.clevertap, { system: true, eventType: 'Location' });
    assert.equal((m.context?.mparticle as Record<string, unknown>).customEventType, 'other');
  });
  test('custom_event without event_name is skipped with an error', () => {
    const r = convert({ user_identities: { customer_id: 'c' }, events: [{ event_type: 'custom_event', data: {} }] });
    assert.equal(r.messages.length, 0);
    assert.match(r.errors[0], /events\[0\]: custom_event needs event_name/);
  });
});

describe('mParticle other event types', () => {
  test('uninstall → track App Uninstalled', () => {
    const r = convert({
      user_identities: { customer_id: 'c' },
      events: [{ event_type: 'uninstall', data: { custom_attributes: { 'CT Source': 'Mobile', token: 't' }, timestamp_unixtime_ms: T1 } }],
    });
    assert.equal(r.messages[0].type, 'track');
    assert.equal(r.messages[0].event, 'App Uninstalled');
    assert.deepEqual(r.messages[0].properties, { 'CT Source': 'Mobile', token: 't' });
    assert.deepEqual(r.messages[0].context?.clevertap, { system: true, eventType: 'Uninstall' });
  });
  test('screen_view → screen', () => {
    const r = convert({
      user_identities: { customer_id: 'c' },
      events: [{ event_type: 'screen_view', data: { screen_name: 'Home', custom_attributes: { tab: 'top' } } }],
    });
    assert.equal(r.messages[0].type, 'screen');
    assert.equal(r.messages[0].name, 'Home');
    assert.deepEqual(r.messages[0].properties, { tab: 'top' });
    assert.equal(r.messages[0].timestamp, new Date(RECEIVED).toISOString(), 'no timestamp → receivedAt');
  });
  test('screen_view without screen_name → error', () => {
    const r = convert({ user_identities: { customer_id: 'c' }, events: [{ event_type: 'screen_view', data: {} }] });
    assert.equal(r.messages.length, 0);
    assert.equal(r.errors.length, 1);
  });
  test('session_start / session_end → Session Started / Session Ended', () => {
    const r = convert({
      user_identities: { customer_id: 'c' },
      events: [
        { event_type: 'session_start', data: { session_uuid: 's1' } },
        { event_type: 'session_end', data: { session_uuid: 's1', session_duration_ms: 5000 } },
      ],
    });
    assert.deepEqual(r.messages.map((m) => [m.event, m.properties]), [
      ['Session Started', { session_uuid: 's1' }],
      ['Session Ended', { session_uuid: 's1', session_duration_ms: 5000 }],
    ]);
  });
  for (const t of ['crash_report', 'opt_out', 'push_registration', 'application_state_transition', 'push_message', 'network_performance', 'breadcrumb', 'bogus', undefined]) {
    test(`unsupported event_type ${t} is skipped with an error`, () => {
      const r = convert({ user_identities: { customer_id: 'c' }, events: [{ event_type: t, data: {} }, { event_type: 'uninstall' }] });
      assert.equal(r.messages.length, 1);
      assert.equal(r.messages[0].event, 'App Uninstalled');
      assert.match(r.errors[0], /events\[0\]: unsupported event_type/);
    });
  }
});

describe('commerce_event', () => {
  const product = { id: 'sku-1', name: 'Book', brand: 'B', category: 'books', variant: 'hard', price: 10, quantity: 2, coupon_code: 'C', position: 1, custom_attributes: { color: 'red' } };
  const mapped = { color: 'red', product_id: 'sku-1', name: 'Book', brand: 'B', category: 'books', variant: 'hard', price: 10, quantity: 2, coupon: 'C', position: 1 };
  const one = (data: Record<string, unknown>) => convert({ user_identities: { customer_id: 'c' }, events: [{ event_type: 'commerce_event', data }] });

  test('purchase → Order Completed with products', () => {
    const r = one({
      currency_code: 'USD',
      custom_attributes: { channel: 'web', revenue: 'ignored' },
      product_action: { action: 'purchase', transaction_id: 'o1', affiliation: 'shop', total_amount: 25, tax_amount: 2, shipping_amount: 3, coupon_code: 'SAVE', products: [product, { id: 'sku-2', price: 5 }] },
    });
    assert.deepEqual(r.errors, []);
    const m = r.messages[0];
    assert.equal(m.type, 'track');
    assert.equal(m.event, 'Order Completed');
    assert.deepEqual(m.properties, {
      channel: 'web',
      order_id: 'o1',
      affiliation: 'shop',
      revenue: 25,
      total: 25,
      tax: 2,
      shipping: 3,
      coupon: 'SAVE',
      currency: 'USD',
      products: [mapped, { product_id: 'sku-2', price: 5 }],
    });
  });
  const actions: [string, string, boolean][] = [
    ['refund', 'Order Refunded', false],
    ['checkout', 'Checkout Started', false],
    ['checkout_option', 'Checkout Step Completed', false],
    ['add_to_cart', 'Product Added', true],
    ['remove_from_cart', 'Product Removed', true],
    ['add_to_wishlist', 'Product Added to Wishlist', true],
    ['remove_from_wishlist', 'Product Removed from Wishlist', true],
    ['view_detail', 'Product Viewed', true],
    ['click', 'Product Clicked', true],
  ];
  for (const [action, event, single] of actions) {
    test(`${action} → ${event}`, () => {
      const m = one({ product_action: { action, products: [product] } }).messages[0];
      assert.equal(m.event, event);
      assert.deepEqual(m.properties, single ? mapped : { products: [mapped] });
    });
  }
  test('promotion view / click', () => {
    const v = one({ promotion_action: { action: 'view', promotions: [{ id: 'p1', name: 'Spring', creative: 'banner', position: 'top' }] } }).messages[0];
    assert.equal(v.event, 'Promotion Viewed');
    assert.deepEqual(v.properties, { promotion_id: 'p1', name: 'Spring', creative: 'banner', position: 'top' });
    const c = one({ promotion_action: { action: 'click', promotions: [{ id: 'p1' }, { id: 'p2' }] } }).messages[0];
    assert.equal(c.event, 'Promotion Clicked');
    assert.deepEqual(c.properties, { promotions: [{ promotion_id: 'p1' }, { promotion_id: 'p2' }] });
  });
  test('impressions → Product List Viewed', () => {
    const m = one({ product_impressions: [{ product_impression_list: 'search', products: [product] }, { product_impression_list: 'x', products: [{ id: 'z' }] }] }).messages[0];
    assert.equal(m.event, 'Product List Viewed');
    assert.deepEqual(m.properties, { list_id: 'search', products: [mapped, { product_id: 'z' }] });
  });
  test('unknown action or empty commerce_event → error', () => {
    assert.match(one({ product_action: { action: 'teleport' } }).errors[0], /unsupported product_action/);
    assert.match(one({}).errors[0], /commerce_event without/);
  });
});

describe('the batch user', () => {
  test('customer_id → userId; customerid (mParticle SDK spelling) too; numbers stringified', () => {
    for (const ui of [{ customer_id: 'c9' }, { customerid: 'c9' }, { customer_id: 'c9', customerid: 'other' }]) {
      const r = convert({ user_identities: ui, events: [{ event_type: 'uninstall' }] });
      assert.equal(r.messages[0].userId, 'c9');
    }
    assert.equal(convert({ user_identities: { customer_id: 99 }, events: [{ event_type: 'uninstall' }] }).messages[0].userId, '99');
  });
  test('email → traits.email on an identify that comes first, shared user on every message', () => {
    const r = convert({
      user_identities: { customer_id: 'c', email: 'a@b.test' },
      events: [{ event_type: 'uninstall', data: { timestamp_unixtime_ms: T1 } }, { event_type: 'screen_view', data: { screen_name: 'S' } }],
    });
    assert.deepEqual(r.messages.map((m) => m.type), ['identify', 'track', 'screen']);
    assert.deepEqual(r.messages[0].traits, { email: 'a@b.test' });
    assert.equal(r.messages[0].timestamp, new Date(T1).toISOString(), 'identify takes the earliest event time');
    for (const m of r.messages) assert.equal(m.userId, 'c');
  });
  test('user attributes → identify traits ($-reserved and ct_* mapped, others kept, deleted → null)', () => {
    const r = convert({
      user_identities: { customer_id: 'c', email: 'e@x.test', mobile_number: '+15550001' },
      user_attributes: {
        $firstname: 'Ada', $LastName: 'L', $age: '36', $gender: 'F', $mobile: '+15559999', $city: 'Paris', $state: 'IDF', $zip: '75001', $country: 'FR', $address: '1 rue',
        ct_name: 'Ada L', ct_dob: '$D_638928000', ct_photo: 'https://p', ct_email_opt_in: 'true', ct_push_opt_in: 'false', ct_sms_opt_in: 'true', ct_whatsapp_opt_in: 'false', ct_gender: 'F',
        plan: 'gold', tags: ['a', 'b'],
      },
      deleted_user_attributes: ['old_attr'],
    });
    assert.equal(r.messages.length, 1);
    const m = r.messages[0];
    assert.equal(m.type, 'identify');
    assert.deepEqual(m.traits, {
      firstName: 'Ada', lastName: 'L', age: 36, gender: 'F', phone: '+15559999',
      address: { city: 'Paris', state: 'IDF', postalCode: '75001', country: 'FR', street: '1 rue' },
      plan: 'gold', tags: ['a', 'b'], old_attr: null, email: 'e@x.test',
      name: 'Ada L', birthday: '1990-04-01T00:00:00.000Z', avatar: 'https://p',
      emailOptIn: true, pushOptIn: false, smsOptIn: true, whatsappOptIn: false,
    });
    assert.equal(m.timestamp, new Date(RECEIVED).toISOString());
  });
  test('mobile_number → phone when no $mobile; other identities → context.externalIds', () => {
    const m = convert({ user_identities: { customer_id: 'c', mobile_number: '+1555', other: 'o1', facebook: 'fb' } }).messages[0];
    assert.deepEqual(m.traits, { phone: '+1555' });
    assert.deepEqual(m.context?.externalIds, [
      { id: 'o1', type: 'other', collection: 'users', encoding: 'none' },
      { id: 'fb', type: 'facebook', collection: 'users', encoding: 'none' },
    ]);
  });
  test('only customer_id and no events → nothing to say', () => {
    assert.deepEqual(convert({ user_identities: { customer_id: 'c' } }), { messages: [], errors: [] });
  });
  test('no customer id: anonymousId from mpid, else a device id, else userId = email', () => {
    assert.deepEqual(
      convert({ mpid: 123, events: [{ event_type: 'uninstall' }] }).messages.map((m) => [m.userId, m.anonymousId]),
      [[undefined, '123']],
    );
    const dev = convert({ device_info: { android_uuid: 'dev-1' }, events: [{ event_type: 'uninstall' }] }).messages[0];
    assert.equal(dev.anonymousId, 'dev-1');
    const mail = convert({ user_identities: { email: 'e@x.test' }, events: [{ event_type: 'uninstall' }] }).messages;
    assert.deepEqual(mail.map((m) => [m.type, m.userId]), [['identify', 'e@x.test'], ['track', 'e@x.test']]);
  });
  test('no user at all → batch error', () => {
    const r = convert({ events: [{ event_type: 'uninstall' }] });
    assert.equal(r.messages.length, 0);
    assert.match(r.errors[0], /no user/);
  });
});

describe('ids and timestamps', () => {
  const batch = (extra: Partial<MParticleBatch> = {}): MParticleBatch => ({
    user_identities: { customer_id: 'c', email: 'e@x.test' },
    events: [
      { event_type: 'custom_event', data: { event_name: 'A', custom_event_type: 'other', source_message_id: 'smid-1' } },
      { event_type: 'custom_event', data: { event_name: 'B', custom_event_type: 'other' } },
    ],
    ...extra,
  });
  test('source_message_id becomes the messageId', () => {
    assert.equal(convert(batch()).messages[1].messageId, 'smid-1');
  });
  test('without it: deterministic from source_request_id + index', () => {
    const a = convert(batch({ source_request_id: 'req-1' })).messages;
    const b = convert(batch({ source_request_id: 'req-1' })).messages;
    const c = convert(batch({ source_request_id: 'req-2' })).messages;
    assert.deepEqual(a.map((m) => m.messageId), b.map((m) => m.messageId));
    assert.match(a[2].messageId!, /^mp-[0-9a-f]{40}$/);
    assert.match(a[0].messageId!, /^mp-[0-9a-f]{40}$/, 'identify too');
    assert.notEqual(a[2].messageId, c[2].messageId);
    assert.notEqual(a[0].messageId, a[2].messageId);
    assert.equal((a[1].context?.mparticle as Record<string, unknown>).sourceRequestId, 'req-1');
  });
  test('else, for an event without a usable time, a random uuid', () => {
    const a = convert(batch()).messages[2].messageId!;
    const b = convert(batch()).messages[2].messageId!;
    assert.match(a, UUID);
    assert.notEqual(a, b);
  });
  test('an over-long source_message_id is hashed', () => {
    const long = 'x'.repeat(150);
    const id = convert({ user_identities: { customer_id: 'c' }, events: [{ event_type: 'uninstall', data: { source_message_id: long } }] }).messages[0].messageId!;
    assert.ok(id.length <= 100);
    assert.match(id, /^mp-/);
  });
  test('timestamp_unixtime_ms as number or numeric string; invalid → receivedAt, with an error note', () => {
    const r = convert({
      user_identities: { customer_id: 'c' },
      events: [
        { event_type: 'uninstall', data: { timestamp_unixtime_ms: T1 } },
        { event_type: 'uninstall', data: { timestamp_unixtime_ms: String(T1) } },
        { event_type: 'uninstall', data: { timestamp_unixtime_ms: 'yesterday' } },
      ],
    });
    assert.deepEqual(r.messages.map((m) => m.timestamp), [new Date(T1).toISOString(), new Date(T1).toISOString(), new Date(RECEIVED).toISOString()]);
    assert.deepEqual(r.errors, ['events[2]: invalid timestamp_unixtime_ms (receivedAt used)']);
  });
});

describe('batch shape, transport context, options', () => {
  test('not an object / events not an array', () => {
    assert.deepEqual(convert([]).errors, ['batch must be a JSON object']);
    assert.deepEqual(convert(null).errors, ['batch must be a JSON object']);
    assert.deepEqual(convert({ user_identities: { customer_id: 'c' }, events: {} }).errors, ['events must be an array']);
  });
  test('device, app, ip, location, environment, mpid', () => {
    const m = convert({
      user_identities: { customer_id: 'c' },
      mpid: '42',
      environment: 'production',
      ip: '10.0.0.1',
      device_info: { platform: 'Android', os_version: '14', device_manufacturer: 'G', device_model: 'P8', android_uuid: 'du', android_advertising_id: 'aa', push_token: 'tok' },
      application_info: { application_name: 'App', application_version: '1.2', package: 'com.x' },
      events: [{ event_type: 'uninstall', data: { location: { latitude: 1, longitude: 2 }, session_uuid: 'su' } }],
    }).messages[0];
    assert.deepEqual(m.context, {
      mparticle: { mpid: '42', environment: 'production', eventType: 'uninstall', sessionUuid: 'su' },
      ip: '10.0.0.1',
      app: { name: 'App', version: '1.2', namespace: 'com.x' },
      device: { id: 'du', advertisingId: 'aa', manufacturer: 'G', model: 'P8', type: 'android', token: 'tok' },
      os: { name: 'android', version: '14' },
      location: { latitude: 1, longitude: 2 },
      integration: { name: 'clevertap' },
      clevertap: { system: true, eventType: 'Uninstall' },
    });
  });
  test('clevertap: false skips the CleverTap normalisation', () => {
    const m = convert({ user_identities: { customer_id: 'c' }, events: [{ event_type: 'custom_event', data: { event_name: 'A/B Experiment Stopped', custom_event_type: 'other' } }] }, { clevertap: false }).messages[0];
    assert.equal(m.event, 'A/B Experiment Stopped');
    assert.equal(m.context?.integration, undefined);
  });
  test('historical: every event must carry a timestamp older than 72 h', () => {
    const old = RECEIVED - 73 * 3600_000;
    const ok = convert({ user_identities: { customer_id: 'c' }, events: [{ event_type: 'uninstall', data: { timestamp_unixtime_ms: old } }] }, { historical: true });
    assert.equal(ok.messages.length, 1);
    assert.equal((ok.messages[0].context?.mparticle as Record<string, unknown>).historical, true);
    const recent = convert({ user_identities: { customer_id: 'c' }, events: [{ event_type: 'uninstall', data: { timestamp_unixtime_ms: old } }, { event_type: 'uninstall', data: { timestamp_unixtime_ms: RECEIVED - 3600_000 } }] }, { historical: true });
    assert.equal(recent.messages.length, 0);
    assert.match(recent.errors[0], /72 hours/);
    const none = convert({ user_identities: { customer_id: 'c' }, events: [{ event_type: 'uninstall' }] }, { historical: true });
    assert.equal(none.messages.length, 0);
    assert.match(none.errors[0], /timestamp_unixtime_ms/);
  });
  test('does not mutate its input', () => {
    const b = { user_identities: { customer_id: 'c' }, user_attributes: { ct_name: 'x' }, events: [{ event_type: 'custom_event', data: { event_name: 'GeoCluster Exited', custom_event_type: 'location', custom_attributes: { a: 1 } } }] };
    const copy = structuredClone(b);
    const r = convert(b);
    (r.messages[1].properties as Record<string, unknown>).a = 2;
    assert.deepEqual(b, copy);
  });
});

// --- hostile / odd input (review fixes) ---

/** `{"a":{"a":…1…}}` n levels deep, parsed from text as a request body would be. */
const deepJson = (n: number) => JSON.parse('{"a":'.repeat(n) + '1' + '}'.repeat(n));

describe('hostile nesting: a batch that cannot be converted is one error, never a throw', () => {
  // 2500 levels break structuredClone only; 5000 break JSON.stringify too.
  for (const depth of [2500, 5000]) {
    for (const where of ['custom_attributes', 'user_attributes', 'device_info'] as const) {
      test(`${depth} levels in ${where}`, () => {
        const b: Record<string, unknown> = {
          user_identities: { customer_id: 'c' },
          events: [{ event_type: 'custom_event', data: { event_name: 'E', timestamp_unixtime_ms: T1, ...(where === 'custom_attributes' ? { custom_attributes: { deep: deepJson(depth) } } : {}) } }],
        };
        if (where === 'user_attributes') b.user_attributes = { deep: deepJson(depth) };
        if (where === 'device_info') b.device_info = { device_model: deepJson(depth) };
        let r: ReturnType<typeof convert> | undefined;
        assert.doesNotThrow(() => (r = convert(b)));
        assert.deepEqual(r!.messages, []);
        assert.equal(r!.failed, true);
        assert.deepEqual(r!.errors, ['batch could not be converted (nested too deeply; skipped)']);
      });
    }
  }
});

describe('huge / invalid timestamps', () => {
  for (const ts of [1e17, -1e17, 8.64e15 + 1, '100000000000000000', 'yesterday']) {
    test(`timestamp_unixtime_ms ${ts} → event kept with receivedAt, error note`, () => {
      let r: ReturnType<typeof convert> | undefined;
      assert.doesNotThrow(() => (r = convert({ user_identities: { customer_id: 'c', email: 'e@x.test' }, events: [{ event_type: 'uninstall', data: { timestamp_unixtime_ms: ts } }] })));
      assert.deepEqual(r!.messages.map((m) => [m.type, m.timestamp]), [['identify', new Date(RECEIVED).toISOString()], ['track', new Date(RECEIVED).toISOString()]]);
      assert.deepEqual(r!.errors, ['events[0]: invalid timestamp_unixtime_ms (receivedAt used)']);
    });
  }
  test('the identify takes the earliest VALID event time', () => {
    const r = convert({
      user_identities: { customer_id: 'c', email: 'e@x.test' },
      events: [
        { event_type: 'uninstall', data: { timestamp_unixtime_ms: -1e17 } },
        { event_type: 'uninstall', data: { timestamp_unixtime_ms: T1 } },
      ],
    });
    assert.equal(r.messages[0].timestamp, new Date(T1).toISOString());
  });
  test('historical: an absurd time is no time (whole batch refused, no throw)', () => {
    const r = convert({ user_identities: { customer_id: 'c' }, events: [{ event_type: 'uninstall', data: { timestamp_unixtime_ms: 1e17 } }] }, { historical: true });
    assert.equal(r.messages.length, 0);
    assert.match(r.errors[0], /historical data needs timestamp_unixtime_ms/);
  });
});

describe('prototype-named keys are data, never built-ins', () => {
  const withProto = (json: string) => JSON.parse(json) as Record<string, unknown>;
  test('user_attributes named constructor / toString / hasOwnProperty become ordinary traits', () => {
    const m = convert({
      user_identities: { customer_id: 'c' },
      user_attributes: { constructor: 'k', toString: 't', hasOwnProperty: 'h', valueOf: 'v', $City: 'Paris' },
    }).messages[0];
    assert.equal(m.type, 'identify');
    assert.deepEqual(JSON.parse(JSON.stringify(m.traits)), { constructor: 'k', toString: 't', hasOwnProperty: 'h', valueOf: 'v', address: { city: 'Paris' } });
    assert.ok(Object.hasOwn(m.traits!, 'constructor'));
  });
  test('a __proto__ user attribute is dropped with a note; it cannot block the mobile_number fallback', () => {
    const r = convert({
      user_identities: { customer_id: 'c', mobile_number: '+1555' },
      user_attributes: withProto('{"__proto__":{"phone":"evil","email":"evil"},"plan":"gold"}'),
    });
    const t = r.messages[0].traits!;
    assert.deepEqual(JSON.parse(JSON.stringify(t)), { plan: 'gold', phone: '+1555' });
    assert.equal(Object.getPrototypeOf(t), Object.prototype);
    assert.equal((t as Record<string, unknown>).email, undefined);
    assert.deepEqual(r.errors, ['user_attributes: attribute "__proto__" ignored']);
  });
  test('deleted_user_attributes ["__proto__", "constructor"]', () => {
    const r = convert({ user_identities: { customer_id: 'c' }, deleted_user_attributes: ['__proto__', 'constructor'] });
    assert.deepEqual(JSON.parse(JSON.stringify(r.messages[0].traits)), { constructor: null });
    assert.equal(Object.getPrototypeOf(r.messages[0].traits), Object.prototype);
  });
  test('custom_attributes: __proto__ dropped with a note; constructor kept', () => {
    const r = convert({
      user_identities: { customer_id: 'c' },
      events: [{ event_type: 'custom_event', data: { event_name: 'E', custom_attributes: withProto('{"__proto__":{"x":1},"constructor":"k","a":1}') } }],
    });
    const p = r.messages[0].properties!;
    assert.deepEqual(JSON.parse(JSON.stringify(p)), { constructor: 'k', a: 1 });
    assert.equal(Object.getPrototypeOf(p), Object.prototype);
    assert.deepEqual(r.errors, ['events[0]: custom_attributes key "__proto__" ignored']);
  });
  for (const action of ['constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf']) {
    test(`product_action / promotion_action "${action}" is an unsupported action, not a crash`, () => {
      let r: ReturnType<typeof convert> | undefined;
      assert.doesNotThrow(() => {
        r = convert({
          user_identities: { customer_id: 'c' },
          events: [
            { event_type: 'commerce_event', data: { product_action: { action, products: [{ id: 'p' }] } } },
            { event_type: 'commerce_event', data: { promotion_action: { action, promotions: [{ id: 'x' }] } } },
          ],
        });
      });
      assert.deepEqual(r!.messages, []);
      assert.deepEqual(r!.errors, [`events[0]: unsupported product_action ${action} (skipped)`, `events[1]: unsupported promotion_action ${action} (skipped)`]);
    });
  }
});

describe('replays without source_request_id / source_message_id', () => {
  const replayBatch = (): MParticleBatch => ({
    user_identities: { customer_id: 'c', email: 'e@x.test' },
    user_attributes: { plan: 'gold' },
    events: [
      { event_type: 'custom_event', data: { event_name: 'A', custom_event_type: 'other', timestamp_unixtime_ms: T1 } },
      { event_type: 'custom_event', data: { event_name: 'A', custom_event_type: 'other', timestamp_unixtime_ms: T1 } },
      { event_type: 'custom_event', data: { event_name: 'A', custom_event_type: 'other', timestamp_unixtime_ms: T1 + 1 } },
    ],
  });
  const ids = (b: unknown) => convert(b).messages.map((m) => m.messageId!);
  test('a retry of the same request gets the same ids (identify included)', () => {
    const a = ids(replayBatch());
    assert.equal(a.length, 4);
    for (const id of a) assert.match(id, /^mp-[0-9a-f]{40}$/);
    assert.deepEqual(ids(replayBatch()), a);
    // Key order does not matter (canonical JSON).
    const reordered = replayBatch();
    reordered.events = reordered.events!.map((e) => Object.fromEntries(Object.entries(e).reverse()));
    assert.deepEqual(ids({ events: reordered.events, user_attributes: reordered.user_attributes, user_identities: { email: 'e@x.test', customer_id: 'c' } }), a);
  });
  test('distinct events stay distinct: index, timestamp, user', () => {
    const a = ids(replayBatch());
    assert.equal(new Set(a).size, 4, 'identical events at different indexes differ; another timestamp differs');
    const later = replayBatch();
    later.events![0].data!.timestamp_unixtime_ms = T1 + 5;
    assert.notEqual(ids(later)[1], a[1]);
    const otherUser = replayBatch();
    otherUser.user_identities = { customer_id: 'd', email: 'e@x.test' };
    assert.ok(ids(otherUser).every((id, i) => id !== a[i]));
    const otherTraits = replayBatch();
    otherTraits.user_attributes = { plan: 'silver' };
    const o = ids(otherTraits);
    assert.notEqual(o[0], a[0], 'identify differs with its traits');
    assert.deepEqual(o.slice(1), a.slice(1));
  });
  test('an anonymous (mpid) user is part of the id', () => {
    const anon = (mpid: string) => ids({ mpid, events: [{ event_type: 'uninstall', data: { timestamp_unixtime_ms: T1 } }] });
    assert.deepEqual(anon('1'), anon('1'));
    assert.notDeepEqual(anon('1'), anon('2'));
  });
});

describe('smaller fixes', () => {
  test('$mobile: null does not block the mobile_number fallback', () => {
    const t = convert({ user_identities: { customer_id: 'c', mobile_number: '+1555' }, user_attributes: { $mobile: null } }).messages[0].traits;
    assert.deepEqual(t, { phone: '+1555' });
  });
  for (const clevertap of [true, false]) {
    test(`one deep copy per message (clevertap: ${clevertap})`, () => {
      const real = globalThis.structuredClone;
      let calls = 0;
      globalThis.structuredClone = ((v: unknown, o?: StructuredSerializeOptions) => {
        calls++;
        return real(v, o);
      }) as typeof structuredClone;
      let r: ReturnType<typeof convert>;
      try {
        r = convert(
          {
            user_identities: { customer_id: 'c' },
            user_attributes: { plan: 'gold' },
            device_info: { platform: 'iOS', ios_idfv: 'v' },
            events: [1, 2, 3].map((i) => ({ event_type: 'custom_event', data: { event_name: `E${i}`, custom_attributes: { n: { i } } } })),
          },
          { clevertap },
        );
      } finally {
        globalThis.structuredClone = real;
      }
      assert.equal(r.messages.length, 4);
      assert.equal(calls, 4);
      // Still independent: changing one message's context changes no other.
      (r.messages[1].context!.device as Record<string, unknown>).id = 'changed';
      assert.equal((r.messages[2].context!.device as Record<string, unknown>).id, 'v');
    });
  }
});
