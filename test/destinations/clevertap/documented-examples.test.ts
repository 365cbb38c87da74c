// The examples the peers publish for their CleverTap destinations, mapped here:
// https://www.rudderstack.com/docs/destinations/streaming-destinations/clevertap/ (sample payloads),
// Freshpaint's CleverTap destination (identify sample, event limitations) and
// https://segment.com/docs/connections/destinations/catalog/clevertap/ (identify, track, page, screen, push tokens).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ok, event, profile, fail, codes, T, TS, REJECT } from './helpers.js';

const MODES = [undefined, 'segment', 'rudderstack'] as const;

describe("RudderStack's samples", () => {
  const products = [
    { product_id: '123', sku: 'G-32', name: 'Monopoly', price: 14, quantity: 1, category: 'Games', url: 'https://www.website.com/product/path', image_url: 'https://www.website.com/product/path.jpg' },
    { product_id: '345', sku: 'F-32', name: 'UNO', price: 3.45, quantity: 2, category: 'Games' },
    { product_id: '125', sku: 'S-32', name: 'Ludo', price: 14, quantity: 7, category: 'Games', brand: 'Ludo King' },
  ];
  const orderCompleted = {
    type: 'track',
    userId: 'userid',
    timestamp: T,
    event: 'Order Completed',
    properties: {
      checkout_id: '12345', order_id: '1234', affiliation: 'Apple Store', 'Payment mode': 'Credit Card', total: 20, revenue: 15.0,
      shipping: 22, tax: 1, discount: 1.5, coupon: 'Games', currency: 'USD', products,
    },
  };
  for (const compat of MODES) {
    test(`Order Completed sample → Charged (${compat ?? 'own'})`, () => {
      const { rec, warnings } = event(orderCompleted, { compat });
      assert.equal(rec.evtName, 'Charged');
      assert.equal(rec.evtData['Charged ID'], '12345');
      assert.equal(rec.evtData.Amount, 15);
      assert.deepEqual(rec.evtData.Items, products);
      const rest = { order_id: '1234', affiliation: 'Apple Store', total: 20, shipping: 22, tax: 1, discount: 1.5, coupon: 'Games', currency: 'USD' };
      for (const [k, v] of Object.entries(rest)) assert.equal(rec.evtData[k], v, k);
      assert.equal(rec.evtData[compat === 'segment' ? 'payment_mode' : 'Payment mode'], 'Credit Card');
      assert.equal(rec.evtData.checkout_id, undefined);
      assert.equal(rec.evtData.revenue, undefined);
      assert.equal(rec.evtData.products, undefined);
      assert.deepEqual(warnings, []);
    });
  }
  test('Order Completed sample, own mode, whole record', () => {
    assert.deepEqual(ok(orderCompleted).records, [
      {
        type: 'event',
        identity: 'userid',
        ts: TS,
        evtName: 'Charged',
        evtData: {
          'Charged ID': '12345', Amount: 15, Items: products, order_id: '1234', affiliation: 'Apple Store', 'Payment mode': 'Credit Card',
          total: 20, shipping: 22, tax: 1, discount: 1.5, coupon: 'Games', currency: 'USD',
        },
      },
    ]);
  });

  const identifySample = {
    type: 'identify',
    userId: 'userid',
    timestamp: T,
    traits: {
      name: 'Name Surname', email: 'name@website.com', phone: 'phone', birthday: 'birthday', gender: 'M', avatar: 'link to image',
      title: 'Owner', organization: 'Company', city: 'Tokyo', region: 'ABC', country: 'JP', zip: '100-0001', Flagged: false,
      Residence: 'Shibuya', 'MSG-email': false,
    },
  };
  for (const compat of MODES) {
    test(`identify sample (${compat ?? 'own'}): the placeholder phone "phone" rejects it (516), as CleverTap would`, () => {
      assert.deepEqual(fail(identifySample, { compat, ...REJECT }).error, {
        code: 'invalid_phone',
        message: 'Phone "phone" is invalid: CleverTap needs an E.164 number (+<country code><number>)',
        clevertapCode: 516,
      });
    });
  }
  for (const compat of [undefined, 'rudderstack'] as const) {
    test(`identify sample → profile (${compat ?? 'own'}, invalidValues drop); the placeholder phone and birthday are dropped with warnings`, () => {
      const { rec, warnings } = profile(identifySample, { compat, invalidValues: 'drop' });
      assert.equal(rec.identity, 'userid');
      assert.deepEqual(rec.profileData, {
        title: 'Owner', organization: 'Company', city: 'Tokyo', region: 'ABC', country: 'JP', zip: '100-0001', Flagged: false,
        Residence: 'Shibuya', 'MSG-email': false, Name: 'Name Surname', Email: 'name@website.com', Gender: 'M', Photo: 'link to image',
      });
      assert.deepEqual(codes(warnings).sort(), ['invalid_date', 'invalid_phone']);
    });
  }
  test('identify sample in segment mode: custom traits snake_cased, MSG-email kept', () => {
    const { rec, warnings } = profile(identifySample, { compat: 'segment', invalidValues: 'drop' });
    assert.deepEqual(codes(warnings).sort(), ['invalid_date', 'invalid_phone']);
    assert.equal(rec.profileData.flagged, false);
    assert.equal(rec.profileData.residence, 'Shibuya');
    assert.equal(rec.profileData['MSG-email'], false);
  });

  const page = { type: 'page', userId: 'u1', timestamp: T, category: 'Cart', name: 'Cart Viewed', properties: { path: '/cart', referrer: 'test.com', search: 'term', title: 'test_item', url: 'http://test.in' } };
  test('page sample → "Web Page Viewed: Cart Viewed" in rudderstack mode', () => {
    const { rec } = event(page, { compat: 'rudderstack' });
    assert.equal(rec.evtName, 'Web Page Viewed: Cart Viewed');
    assert.deepEqual(rec.evtData, page.properties);
  });
  test('page sample → "Web Page Viewed" with name and category in own mode', () => {
    const { rec } = event(page);
    assert.equal(rec.evtName, 'Web Page Viewed');
    assert.deepEqual(rec.evtData, { ...page.properties, name: 'Cart Viewed', category: 'Cart' });
  });
  test('screen sample → "Screen Viewed: Sample Screen Name" in rudderstack mode', () => {
    const { rec } = event({ type: 'screen', userId: 'u1', name: 'Sample Screen Name', properties: { prop_key: 'prop_value' } }, { compat: 'rudderstack' });
    assert.equal(rec.evtName, 'Screen Viewed: Sample Screen Name');
    assert.deepEqual(rec.evtData, { prop_key: 'prop_value' });
  });
  test('track sample "Checked Out" stays a custom event (revenue alone does not make Charged)', () => {
    const { rec } = event({ type: 'track', userId: 'u1', event: 'Checked Out', properties: { Clicked_Rush_delivery_Button: true, total_value: 2000, revenue: 2000 } }, { compat: 'rudderstack' });
    assert.equal(rec.evtName, 'Checked Out');
    assert.deepEqual(rec.evtData, { Clicked_Rush_delivery_Button: true, total_value: 2000, revenue: 2000 });
  });
  test('alias sample alias("newUserId", "userId") → profile linking userId to newUserId', () => {
    assert.deepEqual(ok({ type: 'alias', userId: 'newUserId', previousId: 'userId', timestamp: T }, { compat: 'rudderstack' }).records, [
      { type: 'profile', identity: 'userId', ts: TS, profileData: { identity: 'newUserId' } },
    ]);
  });
  test('track with nested values: stringified (page/screen/track info boxes)', () => {
    const { rec } = event({ type: 'track', userId: 'u1', event: 'x', properties: { o: { a: 1 }, l: [1, 2] } }, { compat: 'rudderstack' });
    assert.deepEqual(rec.evtData, { o: '{"a":1}', l: '[1,2]' });
  });
});

describe("Freshpaint's samples", () => {
  const sample = { type: 'identify', userId: 'test_user_id', timestamp: T, traits: { email: 'jd@example.com', name: 'John Doe', gender: 'M', birthday: '1988-09-28', phone: 5555555555 } };
  test('identify sample → DOB $D_591408000 (1988-09-28 00:00 UTC) and, with defaultCountryCode +1, Phone +15555555555', () => {
    const { rec } = profile(sample, { defaultCountryCode: '+1' });
    assert.deepEqual(rec.profileData, { Email: 'jd@example.com', Name: 'John Doe', Gender: 'M', DOB: '$D_591408000', Phone: '+15555555555' });
    assert.equal(Date.UTC(1988, 8, 28) / 1000, 591408000);
  });
  test('without a default country code the phone cannot be E.164: rejected with invalid_phone (516)', () => {
    const { error } = fail(sample, REJECT);
    assert.deepEqual([error.code, error.clevertapCode], ['invalid_phone', 516]);
  });
  test('… or, with invalidValues drop, dropped with invalid_phone', () => {
    const { rec, warnings } = profile(sample, { invalidValues: 'drop' });
    assert.equal(rec.profileData.Phone, undefined);
    assert.ok(codes(warnings).includes('invalid_phone'));
  });
  test('event limitations: ≤ 256 properties, keys ≤ 120, values ≤ 512, no & $ " % > < ! in keys', () => {
    const { rec } = event({ type: 'track', userId: 'u', event: 'x', properties: { 'a&b': 1, '%c': 2, 'd>e<f!': 3 } });
    assert.deepEqual(rec.evtData, { ab: 1, c: 2, def: 3 });
  });
});

describe("Segment's documented mapping", () => {
  const s = { compat: 'segment' as const };
  test('identify: userId is the Identity, anonymousId the CleverTap ID; traits snake_cased', () => {
    const r = ok({ type: 'identify', userId: 'u1', anonymousId: 'anon-1', timestamp: T, traits: { name: 'Ann', favoriteColor: 'blue' } }, s);
    assert.deepEqual(r.records, [{ type: 'profile', identity: 'u1', objectId: 'anon-1', ts: TS, profileData: { favorite_color: 'blue', Name: 'Ann' } }]);
  });
  test('track: custom event, properties lower-cased and snake_cased', () => {
    const { rec } = event({ type: 'track', userId: 'u1', anonymousId: 'a', event: 'Video Played', properties: { VideoTitle: 'Intro', 'Play Count': 2 } }, s);
    assert.equal(rec.evtName, 'Video Played');
    assert.deepEqual(rec.evtData, { video_title: 'Intro', play_count: 2 });
  });
  test('Order Completed → Charged', () => assert.equal(event({ type: 'track', userId: 'u1', event: 'Order Completed', properties: { revenue: 1 } }, s).rec.evtName, 'Charged'));
  test('page → "Web Page Viewed", screen → "App Screen Viewed"', () => {
    assert.equal(event({ type: 'page', userId: 'u1', name: 'Home' }, s).rec.evtName, 'Web Page Viewed');
    assert.equal(event({ type: 'screen', userId: 'u1', name: 'Home' }, s).rec.evtName, 'App Screen Viewed');
  });
  test('push token from context.device.token', () => {
    const r = ok({ type: 'identify', userId: 'u1', anonymousId: 'a', context: { device: { token: 'push-token', type: 'ios' } } }, s);
    assert.deepEqual(r.records[1], { type: 'token', objectId: 'a', tokenData: { id: 'push-token', type: 'apns' } });
  });
});
