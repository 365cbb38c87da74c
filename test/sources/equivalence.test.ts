// Cross-protocol equivalence: the same CleverTap event arriving as a Segment export track (lead's /v1/* path calls
// normaliseCleverTapMessage), as an mParticle feed custom_event, and — where a webhook carries the same thing
// (the user's profile) — as a webhook, yields the same canonical message apart from ids, receivedAt and
// transport context. Webhook payloads never carry the triggering event's name, so events are compared across
// Segment and mParticle only; profiles across all three.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { SYSTEM_EVENTS } from '../../src/clevertap/catalogue.js';
import { normaliseCleverTapMessage } from '../../src/sources/clevertap-export/normalise.js';
import { webhookToMessages } from '../../src/sources/clevertap-webhook/convert.js';
import { mparticleBatchToMessages } from '../../src/sources/mparticle/convert.js';
import type { InboundMessage } from '../../src/message/schema.js';

const RECEIVED = Date.parse('2025-03-01T12:00:00.000Z');
const EVENT_MS = Date.parse('2025-03-01T11:58:30.000Z');

/** Drops ids, receivedAt and transport-specific context (context.mparticle, library, webhook, device ...). */
function comparable(m: InboundMessage): Record<string, unknown> {
  const { messageId: _id, receivedAt: _r, context, ...rest } = m;
  const ctx = (context ?? {}) as Record<string, unknown>;
  const ct = { ...((ctx.clevertap as Record<string, unknown>) ?? {}) };
  delete ct.webhook;
  const out: Record<string, unknown> = { ...rest, context: { integration: ctx.integration } };
  if (Object.keys(ct).length) (out.context as Record<string, unknown>).clevertap = ct;
  return out;
}

function viaSegment(event: string, properties: Record<string, unknown>): InboundMessage {
  // As CleverTap's Segment export (a server-side Segment client) would post it.
  return normaliseCleverTapMessage({
    type: 'track',
    messageId: 'seg-abc',
    userId: 'user-42',
    event,
    properties: structuredClone(properties),
    timestamp: '2025-03-01T11:58:30Z',
    context: { library: { name: 'clevertap-export', version: '1' } },
  });
}

function viaMParticle(event: string, mpType: string, properties: Record<string, unknown>, asUninstall = false): InboundMessage {
  const data = { custom_attributes: structuredClone(properties), timestamp_unixtime_ms: EVENT_MS, source_message_id: 'mp-xyz' };
  const ev = asUninstall
    ? { event_type: 'uninstall', data }
    : { event_type: 'custom_event', data: { ...data, event_name: event, custom_event_type: mpType.toLowerCase() } };
  const r = mparticleBatchToMessages(
    { source_request_id: 'r1', environment: 'production', user_identities: { customer_id: 'user-42' }, events: [ev] },
    { receivedAt: RECEIVED },
  );
  assert.deepEqual(r.errors, []);
  assert.equal(r.messages.length, 1);
  return r.messages[0];
}

describe('same CleverTap event via Segment export and mParticle feed', () => {
  for (const entry of SYSTEM_EVENTS) {
    const spellings = [entry.name, ...entry.variants, entry.name.toUpperCase()];
    const props = Object.fromEntries(entry.attributes.map((a, i) => [a, i % 3 === 0 ? i : i % 3 === 1 ? `v${i}` : i % 2 === 0]));
    test(`${entry.name} (${spellings.length} spellings each way)`, () => {
      const reference = comparable(viaSegment(entry.name, props));
      assert.deepEqual(reference, {
        type: 'track',
        userId: 'user-42',
        event: entry.name,
        properties: props,
        timestamp: new Date(EVENT_MS).toISOString(),
        context: { integration: { name: 'clevertap' }, clevertap: { system: true, eventType: entry.mparticleType } },
      });
      for (const s of spellings) {
        assert.deepEqual(comparable(viaSegment(s, props)), reference, `segment ${s}`);
        assert.deepEqual(comparable(viaMParticle(s, entry.mparticleType, props)), reference, `mparticle ${s}`);
      }
      if (entry.mparticleType === 'Uninstall') {
        assert.deepEqual(comparable(viaMParticle('', '', props, true)), reference, 'mparticle event_type uninstall');
      }
    });
  }

  test('an app-defined (non-system) event is equivalent too', () => {
    const props = { sku: 'a', price: 3 };
    assert.deepEqual(comparable(viaMParticle('Added To Cart', 'transaction', props)), comparable(viaSegment('Added To Cart', props)));
  });
});

describe('same CleverTap profile via Segment export, mParticle feed and webhook', () => {
  const receivedIso = new Date(RECEIVED).toISOString();
  const expectedTraits = {
    name: 'Nick Jones',
    email: 'nick@x.test',
    phone: '+917872483227',
    gender: 'M',
    birthday: '1990-04-01T00:00:00.000Z',
    avatar: 'https://img.test/n.png',
    emailOptIn: true,
    pushOptIn: false,
    smsOptIn: true,
    whatsappOptIn: false,
    plan: 'gold',
  };

  const segment = normaliseCleverTapMessage({
    type: 'identify',
    messageId: 's1',
    userId: 'user-42',
    timestamp: receivedIso,
    traits: {
      email: 'nick@x.test', phone: '+917872483227', ct_name: 'Nick Jones', ct_gender: 'M', ct_dob: '$D_638928000',
      ct_photo: 'https://img.test/n.png', ct_email_opt_in: true, ct_push_opt_in: false, ct_sms_opt_in: 'true', ct_whatsapp_opt_in: 'false', plan: 'gold',
    },
  });

  const mp = mparticleBatchToMessages(
    {
      user_identities: { customer_id: 'user-42', email: 'nick@x.test' },
      user_attributes: {
        $mobile: '+917872483227', ct_name: 'Nick Jones', ct_gender: 'M', ct_dob: '$D_638928000', ct_photo: 'https://img.test/n.png',
        ct_email_opt_in: 'true', ct_push_opt_in: 'false', ct_sms_opt_in: 'true', ct_whatsapp_opt_in: 'false', plan: 'gold',
      },
    },
    { receivedAt: RECEIVED },
  );

  const webhook = webhookToMessages(
    {
      targetId: 77,
      profiles: {
        Identity: 'user-42', Email: 'nick@x.test', Phone: '+917872483227', Name: 'Nick Jones',
        ProfileData: { Gender: 'M', DOB: '$D_638928000', Photo: 'https://img.test/n.png', 'MSG-email': true, 'MSG-push': false, 'MSG-sms': true, 'MSG-whatsapp': false, plan: 'gold' },
      },
    },
    { receivedAt: RECEIVED },
  );

  test('all three identify the same user with the same traits', () => {
    assert.deepEqual(mp.errors, []);
    assert.deepEqual(webhook.errors, []);
    assert.equal(mp.messages.length, 1);
    assert.equal(webhook.messages.length, 1);
    const reference = comparable(segment);
    assert.deepEqual(reference, {
      type: 'identify',
      userId: 'user-42',
      timestamp: receivedIso,
      traits: expectedTraits,
      context: { integration: { name: 'clevertap' } },
    });
    assert.deepEqual(comparable(mp.messages[0]), reference, 'mParticle');
    assert.deepEqual(comparable(webhook.messages[0]), reference, 'webhook');
  });
});
