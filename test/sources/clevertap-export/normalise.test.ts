import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseCleverTapMessage } from '../../../src/sources/clevertap-export/normalise.js';
import { SYSTEM_EVENTS } from '../../../src/clevertap/catalogue.js';
import type { InboundMessage } from '../../../src/message/schema.js';

describe('normaliseCleverTapMessage', () => {
  for (const entry of SYSTEM_EVENTS) {
    for (const spelling of [entry.name, ...entry.variants]) {
      test(`track ${JSON.stringify(spelling)}`, () => {
        const props = Object.fromEntries(entry.attributes.map((a, i) => [a, `v${i}`]));
        const out = normaliseCleverTapMessage({ type: 'track', userId: 'u1', event: spelling, properties: props });
        assert.equal(out.event, entry.name);
        assert.deepEqual(out.properties, props);
        assert.deepEqual(out.context?.clevertap, { system: true, eventType: entry.mparticleType });
        assert.deepEqual(out.context?.integration, { name: 'clevertap' });
      });
    }
  }

  test('custom (non-catalogue) track: name kept, system false', () => {
    const out = normaliseCleverTapMessage({ type: 'track', userId: 'u', event: 'Product Viewed', properties: { a: 1 } });
    assert.equal(out.event, 'Product Viewed');
    assert.deepEqual(out.context, { integration: { name: 'clevertap' }, clevertap: { system: false } });
  });

  test('identify traits and context.traits mapped', () => {
    const out = normaliseCleverTapMessage({
      type: 'identify',
      userId: 'u',
      traits: { ct_name: 'N', ct_push_opt_in: 'false', plan: 'x' },
      context: { traits: { ct_gender: 'F' } },
    });
    assert.deepEqual(out.traits, { plan: 'x', name: 'N', pushOptIn: false });
    assert.deepEqual(out.context?.traits, { gender: 'F' });
  });

  test('timestamps become ISO with ms; numeric ids become strings', () => {
    const out = normaliseCleverTapMessage({
      type: 'track',
      event: 'x',
      userId: 42 as unknown as string,
      anonymousId: 7 as unknown as string,
      timestamp: '2024-05-01T10:00:00Z',
      originalTimestamp: 1714557600000 as unknown as string,
    });
    assert.equal(out.userId, '42');
    assert.equal(out.anonymousId, '7');
    assert.equal(out.timestamp, '2024-05-01T10:00:00.000Z');
    assert.equal(out.originalTimestamp, '2024-05-01T10:00:00.000Z');
  });

  test('unparseable timestamps are left for validation', () => {
    const out = normaliseCleverTapMessage({ type: 'track', event: 'x', userId: 'u', timestamp: 'soon' });
    assert.equal(out.timestamp, 'soon');
  });

  test('keeps transport context and integration version; never mutates; idempotent', () => {
    const input: InboundMessage = {
      type: 'track',
      userId: 'u',
      messageId: 'm1',
      event: 'a/b experiment stopped',
      properties: { variant: 'A' },
      context: { ip: '1.2.3.4', integration: { name: 'CleverTap', version: '2' }, clevertap: { eventType: 'Wrong', keep: 1 } },
    };
    const copy = structuredClone(input);
    const once = normaliseCleverTapMessage(input);
    assert.deepEqual(input, copy);
    assert.equal(once.messageId, 'm1');
    assert.deepEqual(once.context, {
      ip: '1.2.3.4',
      integration: { name: 'clevertap', version: '2' },
      clevertap: { keep: 1, system: true, eventType: 'Other' },
    });
    assert.deepEqual(normaliseCleverTapMessage(once), once);
  });

  test('screen and page untouched apart from integration', () => {
    const out = normaliseCleverTapMessage({ type: 'screen', userId: 'u', name: 'App Launched', properties: {} });
    assert.equal(out.name, 'App Launched');
    assert.deepEqual(out.context, { integration: { name: 'clevertap' } });
  });
});

describe('normaliseCleverTapMessage: times that are no representable time', () => {
  for (const ts of [1e17, -1e17, 8.64e15 + 1]) {
    test(`numeric timestamp ${ts} is treated as absent, not a RangeError`, () => {
      let out: InboundMessage | undefined;
      const msg = { type: 'track', event: 'x', userId: 'u', timestamp: ts, originalTimestamp: ts } as unknown as InboundMessage;
      assert.doesNotThrow(() => (out = normaliseCleverTapMessage(msg)));
      assert.equal(Object.hasOwn(out!, 'timestamp'), false);
      assert.equal(Object.hasOwn(out!, 'originalTimestamp'), false);
    });
  }
  test('a numeric string beyond the Date range is left for validation', () => {
    const out = normaliseCleverTapMessage({ type: 'track', event: 'x', userId: 'u', timestamp: '100000000000000000' });
    assert.equal(out.timestamp, '100000000000000000');
  });
});
