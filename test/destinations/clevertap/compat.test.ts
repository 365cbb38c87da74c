import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { snakeCase } from '../../../src/destinations/clevertap/keys.js';
import { event, fail, ok, T, TS, type Msg } from './helpers.js';
import type { ProfileRecord } from '../../../src/destinations/clevertap/records.js';

type Mode = undefined | 'segment' | 'rudderstack';
interface Ids {
  identity?: string;
  objectId?: string;
  link?: string;
}

function ids(r: { identity?: string; objectId?: string }, link?: unknown): Ids {
  const out: Ids = {};
  if (r.identity !== undefined) out.identity = r.identity;
  if (r.objectId !== undefined) out.objectId = r.objectId;
  if (link !== undefined) out.link = link as string;
  return out;
}

function who(a?: string, u?: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...(a ? { anonymousId: a } : {}), ...(u ? { userId: u } : {}), ...extra };
}

/** [label, message ids, identify expectation, event expectation ('filtered' or Ids or 523)] */
type Row = [string, Record<string, unknown>, Ids | 523, Ids | 'filtered' | 523];

function runTable(mode: Mode, objectIdMapping: boolean, trackAnonymous: boolean | undefined, rows: Row[]): void {
  for (const [label, id, prof, ev] of rows) {
    test(`${mode ?? 'own'} mapping=${objectIdMapping ? 'on' : 'off'} trackAnonymous=${trackAnonymous ?? 'default'}: ${label}`, () => {
      const s = { compat: mode, objectIdMapping, trackAnonymous };
      const idMsg: Msg = { type: 'identify', timestamp: T, traits: { plan: 'pro' }, ...id };
      if (prof === 523) assert.equal(fail(idMsg, s).error.clevertapCode, 523);
      else {
        const p = ok(idMsg, s).records[0] as ProfileRecord;
        assert.deepEqual(ids(p, p.profileData.identity), prof);
      }
      for (const type of ['track', 'page', 'screen']) {
        const evMsg: Msg = { type, timestamp: T, event: 'Clicked', name: 'Home', ...id };
        if (ev === 'filtered') {
          const r = fail(evMsg, s);
          assert.equal(r.filtered, true);
          assert.equal(r.error.code, 'anonymous_not_tracked');
        } else if (ev === 523) assert.equal(fail(evMsg, s).error.clevertapCode, 523);
        else assert.deepEqual(ids(event(evMsg, s).rec), ev);
      }
    });
  }
}

describe('identity: own mode', () => {
  runTable(undefined, false, undefined, [
    ['userId only', who(undefined, 'U'), { identity: 'U' }, { identity: 'U' }],
    ['anonymousId + userId', who('A', 'U'), { identity: 'U' }, { identity: 'U' }],
    ['anonymousId only', who('A'), { identity: 'A' }, { identity: 'A' }],
    ['neither', who(), 523, 523],
  ]);
  runTable(undefined, true, undefined, [
    ['anonymousId + userId: identify links, events go by identity', who('A', 'U'), { objectId: 'A', link: 'U' }, { identity: 'U' }],
    ['anonymousId only', who('A'), { objectId: 'A' }, { objectId: 'A' }],
    ['userId only', who(undefined, 'U'), { identity: 'U' }, { identity: 'U' }],
  ]);
  runTable(undefined, false, false, [
    ['anonymous events filtered, identify still sent', who('A'), { identity: 'A' }, 'filtered'],
    ['known user sent', who('A', 'U'), { identity: 'U' }, { identity: 'U' }],
  ]);
});

describe('identity: segment mode (anonymousId = CleverTap ID)', () => {
  for (const mapping of [false, true]) {
    runTable('segment', mapping, undefined, [
      ['anonymousId + userId', who('A', 'U'), { identity: 'U', objectId: 'A' }, { identity: 'U', objectId: 'A' }],
      ['anonymousId only', who('A'), { objectId: 'A' }, { objectId: 'A' }],
      ['userId only', who(undefined, 'U'), { identity: 'U' }, { identity: 'U' }],
    ]);
  }
  runTable('segment', false, false, [['anonymous events filtered', who('A'), { objectId: 'A' }, 'filtered']]);
});

describe('identity: rudderstack mode (every row of its documented table)', () => {
  runTable('rudderstack', false, true, [
    ['off | userId=U', who(undefined, 'U'), { identity: 'U' }, { identity: 'U' }],
    ['off | anon=A only (trackAnonymous on)', who('A'), { identity: 'A' }, { identity: 'A' }],
    ['off | anon=A + userId=U', who('A', 'U'), { identity: 'U' }, { identity: 'U' }],
  ]);
  runTable('rudderstack', false, false, [['off | anon=A only (trackAnonymous off) → filtered', who('A'), { identity: 'A' }, 'filtered']]);
  runTable('rudderstack', true, true, [
    ['on | anon=A, userId=U', who('A', 'U'), { objectId: 'A', link: 'U' }, { objectId: 'A' }],
    ['on | anon=A only (trackAnonymous on)', who('A'), { objectId: 'A' }, { objectId: 'A' }],
    ['on | userId=U only', who(undefined, 'U'), { identity: 'U' }, { identity: 'U' }],
    ['on | neither (RudderStack: no id / 400) → 523', who(), 523, 523],
  ]);
  runTable('rudderstack', true, false, [['on | anon=A only (trackAnonymous off) → filtered', who('A'), { objectId: 'A' }, 'filtered']]);
  for (const mapping of [false, true]) {
    runTable('rudderstack', mapping, false, [['either | neither, trackAnonymous off → identify 523, events filtered', who(), 523, 'filtered']]);
  }
  describe('userId chain: userId, traits.userId, traits.id, context.traits.userId, context.traits.id', () => {
    const chain: [string, Record<string, unknown>][] = [
      ['traits.userId', { traits: { userId: 'T1' } }],
      ['traits.id', { traits: { id: 'T1' } }],
      ['context.traits.userId', { context: { traits: { userId: 'T1' } } }],
      ['context.traits.id', { context: { traits: { id: 'T1' } } }],
    ];
    for (const [label, extra] of chain) {
      test(`${label} counts as the userId (gate and identity)`, () => {
        const msg: Msg = { type: 'track', event: 'x', anonymousId: 'A', ...extra };
        assert.equal(event(msg, { compat: 'rudderstack' }).rec.identity, 'T1'); // trackAnonymous off by default
        assert.equal(event(msg, { compat: 'rudderstack', objectIdMapping: true }).rec.objectId, 'A');
        const idMsg: Msg = { type: 'identify', anonymousId: 'A', ...extra };
        const p = ok(idMsg, { compat: 'rudderstack', objectIdMapping: true }).records[0] as ProfileRecord;
        assert.deepEqual(ids(p, p.profileData.identity), { objectId: 'A', link: 'T1' });
      });
    }
    test('own mode does not use the chain', () => {
      assert.equal(event({ type: 'track', event: 'x', anonymousId: 'A', traits: { id: 'T1' } }).rec.identity, 'A');
    });
  });
});

describe('trackAnonymous defaults', () => {
  const anon: Msg = { type: 'track', event: 'x', anonymousId: 'A' };
  const rows: [Mode, boolean | undefined, 'sent' | 'filtered'][] = [
    [undefined, undefined, 'sent'],
    [undefined, false, 'filtered'],
    ['segment', undefined, 'sent'],
    ['segment', false, 'filtered'],
    ['rudderstack', undefined, 'filtered'],
    ['rudderstack', true, 'sent'],
  ];
  for (const [mode, ta, outcome] of rows) {
    test(`${mode ?? 'own'} trackAnonymous=${ta ?? 'default'} → ${outcome}`, () => {
      if (outcome === 'sent') event(anon, { compat: mode, trackAnonymous: ta });
      else assert.deepEqual(fail(anon, { compat: mode, trackAnonymous: ta }), { ok: false, filtered: true, error: { code: 'anonymous_not_tracked', message: 'track without a userId: trackAnonymous is off' } });
    });
  }
});

describe('page and screen names per mode', () => {
  const rows: [Mode, Msg, string, Record<string, unknown>][] = [
    [undefined, { type: 'page', name: 'Cart', category: 'Shop', properties: { path: '/cart' } }, 'Web Page Viewed', { path: '/cart', name: 'Cart', category: 'Shop' }],
    [undefined, { type: 'page', name: 'Cart', properties: { name: 'Own Name' } }, 'Web Page Viewed', { name: 'Own Name' }],
    [undefined, { type: 'page' }, 'Web Page Viewed', {}],
    [undefined, { type: 'screen', name: 'Home', properties: { prop_key: 'v' } }, 'App Screen Viewed', { prop_key: 'v', name: 'Home' }],
    ['segment', { type: 'page', name: 'Cart', properties: { pageTitle: 'T' } }, 'Web Page Viewed', { page_title: 'T', name: 'Cart' }],
    ['segment', { type: 'screen', name: 'Home' }, 'App Screen Viewed', { name: 'Home' }],
    ['rudderstack', { type: 'page', name: 'Cart', properties: { path: '/cart' } }, 'Web Page Viewed: Cart', { path: '/cart' }],
    ['rudderstack', { type: 'page', properties: { name: 'From Props' } }, 'Web Page Viewed: From Props', { name: 'From Props' }],
    ['rudderstack', { type: 'page', event: 'From Event', name: 'Cart' }, 'Web Page Viewed: From Event', {}],
    ['rudderstack', { type: 'page', properties: { event: 'Prop Event' }, name: 'Cart' }, 'Web Page Viewed: Prop Event', { event: 'Prop Event' }],
    ['rudderstack', { type: 'page' }, 'Web Page Viewed', {}],
    ['rudderstack', { type: 'screen', name: 'Sample Screen Name' }, 'Screen Viewed: Sample Screen Name', {}],
    ['rudderstack', { type: 'screen' }, 'Screen Viewed', {}],
    // No HTML escaping (RudderStack's Handlebars bug), and the name inside the template is cleaned.
    ['rudderstack', { type: 'page', name: "Tom's & <Home>=x" }, 'Web Page Viewed: Toms Home=x', {}],
    ['rudderstack', { type: 'screen', name: 'a.b: c' }, 'Screen Viewed: ab c', {}],
  ];
  for (const [mode, msg, name, data] of rows) {
    test(`${mode ?? 'own'} ${msg.type} ${JSON.stringify(msg.name ?? msg.event ?? null)} → ${name}`, () => {
      const { rec } = event({ userId: 'u1', timestamp: T, ...msg }, { compat: mode });
      assert.equal(rec.evtName, name);
      assert.deepEqual(rec.evtData, data);
      assert.equal(rec.ts, TS);
    });
  }
});

describe('segment mode snake_cases custom keys', () => {
  const rows: [string, string][] = [
    ['firstName', 'first_name'],
    ['First Name', 'first_name'],
    ['Payment mode', 'payment_mode'],
    ['HTTPServer', 'http_server'],
    ['productID', 'product_id'],
    ['already_snake', 'already_snake'],
    ['prop-key', 'prop_key'],
    ['a.b', 'a_b'],
    ['  spaced  out ', 'spaced_out'],
    ['utm2Source', 'utm2_source'],
    ['UPPER', 'upper'],
    ['Ünïcode Key', 'ünïcode_key'],
  ];
  for (const [k, expected] of rows) {
    test(`${JSON.stringify(k)} → ${expected}`, () => {
      assert.equal(snakeCase(k), expected);
      assert.deepEqual(Object.keys(event({ type: 'track', userId: 'u', event: 'x', properties: { [k]: 1 } }, { compat: 'segment' }).rec.evtData), [expected]);
    });
  }
  test('own and rudderstack modes keep keys as sent', () => {
    for (const compat of [undefined, 'rudderstack'] as const) {
      assert.deepEqual(event({ type: 'track', userId: 'u', event: 'x', properties: { 'Payment mode': 1 } }, { compat }).rec.evtData, { 'Payment mode': 1 });
    }
  });
  test('the event name itself is not snake_cased', () => {
    assert.equal(event({ type: 'track', userId: 'u', event: 'Product Viewed' }, { compat: 'segment' }).rec.evtName, 'Product Viewed');
  });
});

describe('Charged per mode', () => {
  const order = { checkout_id: 'c1', order_id: 'o1', revenue: 15, total: 20, 'Payment mode': 'Card', products: [{ productId: 'p1', price: 3 }] };
  const rows: [Mode, Record<string, unknown>][] = [
    [undefined, { 'Charged ID': 'c1', Amount: 15, Items: [{ productId: 'p1', price: 3 }], order_id: 'o1', total: 20, 'Payment mode': 'Card' }],
    ['segment', { 'Charged ID': 'c1', Amount: 15, Items: [{ product_id: 'p1', price: 3 }], order_id: 'o1', total: 20, payment_mode: 'Card' }],
    ['rudderstack', { 'Charged ID': 'c1', Amount: 15, Items: [{ productId: 'p1', price: 3 }], order_id: 'o1', total: 20, 'Payment mode': 'Card' }],
  ];
  for (const [mode, data] of rows) {
    test(`${mode ?? 'own'}: Order Completed → Charged`, () => {
      const { rec } = event({ type: 'track', userId: 'u1', event: 'Order Completed', properties: order }, { compat: mode });
      assert.equal(rec.evtName, 'Charged');
      assert.deepEqual(rec.evtData, data);
    });
  }
  for (const name of ['order completed', 'ORDER COMPLETED', 'Order completed']) {
    test(`"${name}" (any case) → Charged`, () => assert.equal(event({ type: 'track', userId: 'u', event: name }).rec.evtName, 'Charged'));
  }
  test('Charged ID falls back to order_id (own and segment modes)', () => {
    for (const compat of [undefined, 'segment'] as const) {
      const { rec } = event({ type: 'track', userId: 'u', event: 'Order Completed', properties: { order_id: 'o1', revenue: 1 } }, { compat });
      assert.deepEqual(rec.evtData, { 'Charged ID': 'o1', Amount: 1 });
    }
  });
  test('rudderstack: Charged ID from checkout_id only, as RudderStack does; order_id stays a property', () => {
    const s = { compat: 'rudderstack' } as const;
    const { rec } = event({ type: 'track', userId: 'u', event: 'Order Completed', properties: { order_id: 'o1', revenue: 1 } }, s);
    assert.deepEqual(rec.evtData, { Amount: 1, order_id: 'o1' });
  });
  test('Amount falls back to total in own and segment modes, not in rudderstack mode', () => {
    const msg: Msg = { type: 'track', userId: 'u', event: 'Order Completed', properties: { total: 20 } };
    assert.deepEqual(event(msg).rec.evtData, { Amount: 20 });
    assert.deepEqual(event(msg, { compat: 'segment' }).rec.evtData, { Amount: 20 });
    assert.deepEqual(event(msg, { compat: 'rudderstack' }).rec.evtData, { total: 20 });
  });
  test('rudderstack: a page or screen with event "Order Completed" is Charged too; own mode keeps it a page view', () => {
    const msg: Msg = { type: 'page', userId: 'u', event: 'Order Completed', properties: { revenue: 5 } };
    assert.equal(event(msg, { compat: 'rudderstack' }).rec.evtName, 'Charged');
    assert.equal(event({ ...msg, type: 'screen' }, { compat: 'rudderstack' }).rec.evtName, 'Charged');
    assert.equal(event(msg).rec.evtName, 'Web Page Viewed');
  });
  test('empty products → no Items (RudderStack throws)', () => {
    for (const compat of [undefined, 'rudderstack'] as const) {
      assert.deepEqual(event({ type: 'track', userId: 'u', event: 'Order Completed', properties: { revenue: 1, products: [] } }, { compat }).rec.evtData, { Amount: 1 });
    }
  });
  test('products as one object → a one-item list, with a warning', () => {
    const { rec, warnings } = event({ type: 'track', userId: 'u', event: 'Order Completed', properties: { products: { sku: 'a' } } });
    assert.deepEqual(rec.evtData.Items, [{ sku: 'a' }]);
    assert.equal(warnings[0].code, 'value_normalised');
  });
  test('rejected: products that are not objects → invalid_products (512)', () => {
    for (const compat of [undefined, 'rudderstack'] as const) {
      assert.deepEqual(fail({ type: 'track', userId: 'u', event: 'Order Completed', properties: { products: 'abc' } }, { compat }).error, {
        code: 'invalid_products',
        message: 'products must be an array of objects',
        clevertapCode: 512,
      });
    }
  });
  test('properties.ts becomes ts and is not kept in evtData (all modes)', () => {
    for (const compat of [undefined, 'segment', 'rudderstack'] as const) {
      const { rec } = event({ type: 'track', userId: 'u', event: 'Clicked', properties: { ts: 1600000000, a: 1 } }, { compat });
      assert.equal(rec.ts, 1600000000);
      assert.deepEqual(rec.evtData, { a: 1 });
    }
  });
});

describe('alias per mode', () => {
  const rows: [Mode, boolean, Record<string, unknown>, ProfileRecord][] = [
    [undefined, false, { previousId: 'old', userId: 'new' }, { type: 'profile', identity: 'old', ts: TS, profileData: { identity: 'new' } }],
    [undefined, true, { previousId: 'A', userId: 'new', anonymousId: 'A' }, { type: 'profile', objectId: 'A', ts: TS, profileData: { identity: 'new' } }],
    [undefined, false, { previousId: 'A', userId: 'new', anonymousId: 'A' }, { type: 'profile', identity: 'A', ts: TS, profileData: { identity: 'new' } }],
    ['segment', false, { previousId: 'A', userId: 'new', anonymousId: 'A' }, { type: 'profile', objectId: 'A', ts: TS, profileData: { identity: 'new' } }],
    ['segment', false, { previousId: 'old', userId: 'new', anonymousId: 'A' }, { type: 'profile', identity: 'old', ts: TS, profileData: { identity: 'new' } }],
    ['rudderstack', true, { previousId: 'A', userId: 'new', anonymousId: 'A' }, { type: 'profile', identity: 'A', ts: TS, profileData: { identity: 'new' } }],
    ['rudderstack', false, { previousId: 'old', userId: 'new' }, { type: 'profile', identity: 'old', ts: TS, profileData: { identity: 'new' } }],
  ];
  for (const [mode, mapping, m, expected] of rows) {
    test(`${mode ?? 'own'} mapping=${mapping}: ${JSON.stringify(m)}`, () => {
      const r = ok({ type: 'alias', timestamp: T, ...m }, { compat: mode, objectIdMapping: mapping });
      assert.deepEqual(r.records, [expected]);
    });
  }
  test('alias is not gated by trackAnonymous', () => {
    ok({ type: 'alias', previousId: 'old', userId: 'new' }, { compat: 'rudderstack', trackAnonymous: false });
  });
});

describe('group', () => {
  for (const compat of [undefined, 'segment', 'rudderstack'] as const) {
    test(`${compat ?? 'own'}: rejected as unsupported_type, not filtered`, () => {
      const r = fail({ type: 'group', userId: 'u', groupId: 'g', traits: { name: 'Acme' } }, { compat });
      assert.equal(r.filtered, undefined);
      assert.deepEqual(r, { ok: false, error: { code: 'unsupported_type', message: 'CleverTap has no groups: group messages are not sent' } });
    });
  }
});
