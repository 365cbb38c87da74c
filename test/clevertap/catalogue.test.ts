import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  SYSTEM_EVENTS,
  USER_ATTRIBUTES,
  canonicalEventName,
  classify,
  lookupSystemEvent,
  mapUserAttributes,
  type MParticleEventType,
} from '../../src/clevertap/catalogue.js';

// mParticle's CleverTap feed documentation (https://docs.mparticle.com/integrations/clevertap/feed/): every event as mParticle spells it, with its mParticle type.
const MPARTICLE_SEED: [string, MParticleEventType][] = [
  ['App Launched', 'Other'],
  ['Notification Sent', 'Other'],
  ['App Version Changed', 'Other'],
  ['A/B Experiment Stopped', 'Other'],
  ['A/B Experiment Rolled Out', 'Other'],
  ['A/B Experiment Disqualified', 'Other'],
  ['A/B Experiment Rendered', 'Other'],
  ['Channel Unsubscribed', 'Other'],
  ['State Transitioned', 'Other'],
  ['Session Concluded', 'Other'],
  ['Custom Control Group', 'Other'],
  ['System Control Group', 'Other'],
  ['Custom & Journey Control Group (Journeys)', 'Other'],
  ['System Control Group (Journeys)', 'Other'],
  ['App Installed', 'Attribution'],
  ['Notification Viewed', 'Attribution'],
  ['Notification Clicked', 'Attribution'],
  ['Push Impressions', 'Attribution'],
  ['Webhook Delivered', 'Attribution'],
  ['App Uninstalled', 'Uninstall'],
  ['UTM Visited', 'Navigation'],
  ['Notification Replied', 'User_Content'],
  ['Reply Sent', 'User_Content'],
  ['GeoCluster Entered', 'Location'],
  ['GeoCluster Exited', 'Location'],
];
// Segment's CleverTap source documentation (https://segment.com/docs/connections/sources/catalog/cloud-apps/clevertap/): every event as CleverTap's Segment export spells it.
const SEGMENT_SEED = [
  'App Launched', 'App Installed', 'App Uninstalled', 'App Version Changed', 'Notification Sent', 'Notification Viewed',
  'Notification Clicked', 'Push Impressions', 'Notification Replied', 'Control Group', 'Channel Unsubscribed',
  'Reply Sent', 'Webhook Delivered', 'UTM Visited', 'AB Experiment Stopped', 'AB Experiment Rolled Out',
  'AB Experiment Disqualified', 'Geocluster Entered', 'Geocluster Exited',
];
// The canonical spelling chosen for each spelling that differs between the seeds.
const CANONICAL: Record<string, string> = {
  'A/B Experiment Stopped': 'AB Experiment Stopped',
  'A/B Experiment Rolled Out': 'AB Experiment Rolled Out',
  'A/B Experiment Disqualified': 'AB Experiment Disqualified',
  'A/B Experiment Rendered': 'AB Experiment Rendered',
  'GeoCluster Entered': 'Geocluster Entered',
  'GeoCluster Exited': 'Geocluster Exited',
};
const canonicalOf = (n: string) => CANONICAL[n] ?? n;

describe('catalogue: every documented event', () => {
  for (const [name, type] of MPARTICLE_SEED) {
    test(`mParticle "${name}" → "${canonicalOf(name)}" (${type})`, () => {
      assert.equal(canonicalEventName(name), canonicalOf(name));
      assert.equal(classify(name), type);
      const e = lookupSystemEvent(name);
      assert.ok(e);
      assert.equal(e.name, canonicalOf(name));
      assert.ok(e.seenIn.includes('mparticle'));
      assert.ok(e.attributes.length > 0, 'attributes listed');
    });
  }
  for (const name of SEGMENT_SEED) {
    test(`Segment "${name}" → "${canonicalOf(name)}"`, () => {
      assert.equal(canonicalEventName(name), canonicalOf(name));
      const e = lookupSystemEvent(name);
      assert.ok(e);
      assert.ok(e.seenIn.includes('segment'));
    });
  }
  test('Control Group is Segment-only, type Other', () => {
    assert.equal(classify('Control Group'), 'Other');
    assert.deepEqual(lookupSystemEvent('Control Group')?.seenIn, ['segment']);
  });
  test('the catalogue holds exactly the documented events (no more, no fewer)', () => {
    const expected = new Set([...MPARTICLE_SEED.map(([n]) => canonicalOf(n)), ...SEGMENT_SEED.map(canonicalOf)]);
    assert.deepEqual(new Set(SYSTEM_EVENTS.map((e) => e.name)), expected);
  });
});

describe('catalogue: every variant, case- and whitespace-tolerant', () => {
  for (const entry of SYSTEM_EVENTS) {
    for (const spelling of [entry.name, ...entry.variants]) {
      const forms = [spelling, spelling.toLowerCase(), spelling.toUpperCase(), `  ${spelling.replace(/ /g, '   ')}\t`];
      test(`${JSON.stringify(spelling)} → ${entry.name}`, () => {
        for (const f of forms) {
          assert.equal(canonicalEventName(f), entry.name, f);
          assert.equal(classify(f), entry.mparticleType, f);
        }
      });
    }
  }
  test('unknown names pass through unchanged and are unclassified', () => {
    for (const n of ['Order Completed', 'Charged', 'A B Experiment Stopped', 'App  Launch', '']) {
      assert.equal(canonicalEventName(n), n);
      assert.equal(classify(n), undefined);
      assert.equal(lookupSystemEvent(n), undefined);
    }
  });
  test('every entry has a description and a valid type', () => {
    const types = new Set(['Other', 'Attribution', 'Uninstall', 'Navigation', 'User_Content', 'Location']);
    for (const e of SYSTEM_EVENTS) {
      assert.ok(e.description.length > 0, e.name);
      assert.ok(types.has(e.mparticleType), e.name);
      assert.equal(new Set(e.attributes).size, e.attributes.length, `${e.name}: duplicate attributes`);
    }
  });
});

describe('user attributes', () => {
  const cases: [string, unknown, string, unknown][] = [
    ['ct_name', 'Nick Jones', 'name', 'Nick Jones'],
    ['ct_gender', 'M', 'gender', 'M'],
    ['ct_dob', '1990-04-01', 'birthday', '1990-04-01'],
    ['ct_dob', '$D_638928000', 'birthday', '1990-04-01T00:00:00.000Z'],
    ['ct_photo', 'https://x.test/p.png', 'avatar', 'https://x.test/p.png'],
    ['ct_email_opt_in', 'true', 'emailOptIn', true],
    ['ct_push_opt_in', 'false', 'pushOptIn', false],
    ['ct_sms_opt_in', true, 'smsOptIn', true],
    ['ct_whatsapp_opt_in', '0', 'whatsappOptIn', false],
    // CleverTap's own profile keys (webhook profile data)
    ['Name', 'Nick', 'name', 'Nick'],
    ['Email', 'n@x.test', 'email', 'n@x.test'],
    ['Phone', '+15555550100', 'phone', '+15555550100'],
    ['Gender', 'F', 'gender', 'F'],
    ['DOB', '$D_638928000', 'birthday', '1990-04-01T00:00:00.000Z'],
    ['Photo', 'https://x.test/q.png', 'avatar', 'https://x.test/q.png'],
    ['MSG-email', false, 'emailOptIn', false],
    ['MSG-push', 'Y', 'pushOptIn', true],
    ['MSG-sms', 'N', 'smsOptIn', false],
    ['MSG-whatsapp', 1, 'whatsappOptIn', true],
  ];
  for (const [attr, value, trait, expected] of cases) {
    test(`${attr}=${JSON.stringify(value)} → ${trait}=${JSON.stringify(expected)}`, () => {
      assert.deepEqual(mapUserAttributes({ [attr]: value, plan: 'gold' }), { plan: 'gold', [trait]: expected });
    });
  }
  test('every USER_ATTRIBUTES entry is covered above', () => {
    for (const e of USER_ATTRIBUTES) assert.ok(cases.some(([a, , t]) => a === e.attribute && t === e.trait), e.attribute);
  });
  test('ct_* keys match case-insensitively', () => {
    assert.deepEqual(mapUserAttributes({ CT_NAME: 'A' }), { name: 'A' });
  });
  test('an already-Segment-named trait wins over the CleverTap attribute', () => {
    assert.deepEqual(mapUserAttributes({ ct_name: 'A', name: 'B' }), { name: 'B' });
    assert.deepEqual(mapUserAttributes({ Name: 'P', ct_name: 'C' }), { name: 'C' });
  });
  test('idempotent and does not mutate', () => {
    const input = { ct_name: 'A', ct_email_opt_in: 'yes', other: { x: 1 } };
    const copy = structuredClone(input);
    const once = mapUserAttributes(input);
    assert.deepEqual(input, copy);
    assert.deepEqual(mapUserAttributes(once), once);
  });
  test('unrecognised flag values are kept', () => {
    assert.deepEqual(mapUserAttributes({ ct_sms_opt_in: 'maybe' }), { smsOptIn: 'maybe' });
  });
  test('empty / missing', () => {
    assert.deepEqual(mapUserAttributes(undefined), {});
    assert.deepEqual(mapUserAttributes({}), {});
  });
});

describe('mapUserAttributes: prototype-named keys', () => {
  const parse = (json: string) => JSON.parse(json) as Record<string, unknown>;
  test('{"__proto__":{"email":"evil"},"Email":"real@x.com"} → the real email, prototype untouched', () => {
    const out = mapUserAttributes(parse('{"__proto__":{"email":"evil"},"Email":"real@x.com"}'));
    assert.deepEqual(out, { email: 'real@x.com' });
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
  });
  test('traits cannot be injected through __proto__', () => {
    const out = mapUserAttributes(parse('{"__proto__":{"emailOptIn":"yes","birthday":"$D_0"},"plan":"gold"}'));
    assert.deepEqual(out, { plan: 'gold' });
    assert.equal(Object.hasOwn(out, 'emailOptIn'), false);
  });
  test('constructor / toString / hasOwnProperty are ordinary keys', () => {
    const out = mapUserAttributes({ constructor: 'k', toString: 't', hasOwnProperty: 'h', Email: 'e@x.test' });
    assert.deepEqual(JSON.parse(JSON.stringify(out)), { constructor: 'k', toString: 't', hasOwnProperty: 'h', email: 'e@x.test' });
  });
});
