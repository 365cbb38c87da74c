// The destination registry: every definition is complete and consistent with its own schema.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { KindGuard, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { CLEVERTAP_PLATFORM } from '../../src/clevertap/platform.js';
import { DESTINATIONS, DESTINATION_TYPES, dryRun, isDestinationType, platformOf, userDeletion } from '../../src/destinations/registry.js';
import { SOURCE_DEFINITIONS, originOf, speaks } from '../../src/sources/registry.js';

/** Every `default` declared anywhere in the schema, with the sub-schema it is declared on. */
function defaults(schema: TSchema, at = ''): { at: string; schema: TSchema; value: unknown }[] {
  const own = 'default' in schema ? [{ at: at || '/', schema, value: schema.default }] : [];
  const inner: { at: string; schema: TSchema; value: unknown }[] = [];
  if (KindGuard.IsObject(schema)) for (const [k, p] of Object.entries(schema.properties)) inner.push(...defaults(p, `${at}/${k}`));
  if (KindGuard.IsUnion(schema)) schema.anyOf.forEach((m, i) => inner.push(...defaults(m, `${at}<${i}>`)));
  if (KindGuard.IsArray(schema)) inner.push(...defaults(schema.items, `${at}[]`));
  return [...own, ...inner];
}

/** The least each type needs; everything else has a default or is optional. */
const MINIMAL: Record<string, unknown> = {
  clevertap: { accountId: 'a', passcode: 'p' },
  warehouse: { sqlite: '/tmp/w.db' },
  webhook: { url: 'https://example.com/h' },
};

describe('destination registry', () => {
  for (const [key, def] of Object.entries(DESTINATIONS)) {
    test(`${key}: registered under its own type, with an entry schema {id, type, settings}`, () => {
      assert.equal(def.type, key);
      assert.ok(isDestinationType(key));
      assert.deepEqual(Object.keys(def.entrySchema.properties), ['id', 'type', 'settings']);
      assert.equal(def.entrySchema.properties.settings, def.settingsSchema);
    });

    test(`${key}: its settings schema accepts its own defaults`, () => {
      const found = defaults(def.settingsSchema);
      assert.ok(found.length > 0, 'declares defaults');
      for (const d of found) assert.ok(Value.Check(d.schema, d.value), `default ${JSON.stringify(d.value)} at ${d.at}`);
    });

    test(`${key}: minimal settings become complete settings that pass the schema`, () => {
      const s = def.checkSettings(MINIMAL[key]);
      assert.ok(Value.Check(def.settingsSchema, s));
      for (const d of defaults(def.settingsSchema)) {
        const name = d.at.split('/').pop()!;
        assert.deepEqual((s as Record<string, unknown>)[name], d.value, name);
      }
      assert.throws(() => def.checkSettings({ ...(MINIMAL[key] as object), notASetting: 1 }), new RegExp(`^Error: invalid ${key} settings: notASetting: unknown key`));
    });

    test(`${key}: has a dry run`, () => {
      const run = dryRun(def.type, MINIMAL[key]);
      const r = run({ type: 'track', messageId: 'm1', userId: 'u1', event: 'Signed Up' });
      assert.ok(r.ok && r.records.length > 0, JSON.stringify(r));
    });
  }

  test('unknown types are not destination types', () => {
    assert.equal(isDestinationType('clevertapp'), false);
    assert.equal(isDestinationType('constructor'), false);
    assert.deepEqual(DESTINATION_TYPES, ['clevertap', 'warehouse', 'webhook']);
  });

  test('capabilities: only CleverTap deletes users; the loop guard pairs its platform with the CleverTap sources\' origin', () => {
    const { clevertap, warehouse, webhook } = DESTINATIONS;
    assert.equal(typeof userDeletion({ id: 'ct', type: 'clevertap', settings: clevertap.checkSettings(MINIMAL.clevertap) }), 'function');
    assert.equal(userDeletion({ id: 'dw', type: 'warehouse', settings: warehouse.checkSettings(MINIMAL.warehouse) }), undefined);
    assert.equal(userDeletion({ id: 'hook', type: 'webhook', settings: webhook.checkSettings(MINIMAL.webhook) }), undefined);
    assert.equal(platformOf('clevertap'), CLEVERTAP_PLATFORM);
    assert.equal(platformOf('warehouse'), undefined);
    assert.deepEqual(
      SOURCE_DEFINITIONS.map((s) => [s.type, originOf(s)]),
      [['segment', undefined], ['clevertap', CLEVERTAP_PLATFORM], ['mparticle', CLEVERTAP_PLATFORM]],
    );
  });
});

describe('source registry', () => {
  test('which source types each protocol accepts', () => {
    const accepted = (p: 'segment' | 'mparticle' | 'clevertap-webhook') => SOURCE_DEFINITIONS.filter((s) => speaks(s, p)).map((s) => s.type);
    assert.deepEqual(accepted('segment'), ['segment', 'clevertap']);
    assert.deepEqual(accepted('mparticle'), ['mparticle']);
    assert.deepEqual(accepted('clevertap-webhook'), ['clevertap']);
    assert.equal(speaks({ type: 'nope' }, 'segment'), false);
  });
});
