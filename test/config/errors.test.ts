// Config errors are one line: the key path, the bad value and what is allowed; defaults are applied at load.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { createDeliverer } from '../../src/destinations/registry.js';
import { configWarnings } from '../../src/config/warnings.js';

const log = { info() {}, warn() {}, error() {} };

const base = {
  sources: [{ id: 'web', type: 'segment', writeKey: 'k' }],
  destinations: [{ id: 'ct', type: 'clevertap', settings: { accountId: 'a', passcode: 'p' } }],
  connections: [{ source: 'web', destination: 'ct' }],
};

/** The message parseConfig throws for `raw` (asserting that it throws a one-line error). */
function errorOf(raw: unknown, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfig(raw, '/cfg', env);
  } catch (e) {
    const m = (e as Error).message;
    assert.doesNotMatch(m, /\n/, 'one line');
    assert.doesNotMatch(m, /Expected union value/);
    return m;
  }
  assert.fail('parseConfig accepted the config');
}

const withDest = (d: unknown) => ({ ...base, destinations: [d] });

describe('config errors', () => {
  const cases: [string, unknown, string][] = [
    ['unknown destination type', withDest({ id: 'ct', type: 'clevertapp', settings: {} }), 'invalid config: destinations[0].type: "clevertapp" is not one of clevertap, warehouse, webhook'],
    ['destination without a type', withDest({ id: 'ct', settings: {} }), 'invalid config: destinations[0].type: missing (one of clevertap, warehouse, webhook)'],
    ['unknown source type', { ...base, sources: [{ id: 'web', type: 'segmnt', writeKey: 'k' }] }, 'invalid config: sources[0].type: "segmnt" is not one of segment, clevertap, mparticle'],
    [
      'bad region',
      withDest({ id: 'ct', type: 'clevertap', settings: { accountId: 'a', passcode: 'p', region: 'xx' } }),
      'invalid config: destinations[0].settings.region: "xx" is not one of eu1, in1, sg1, us1, aps3, mec1, sk1',
    ],
    ['missing required setting', withDest({ id: 'ct', type: 'clevertap', settings: { accountId: 'a' } }), 'invalid config: destinations[0].settings.passcode: missing'],
    ['misspelt setting', withDest({ id: 'ct', type: 'clevertap', settings: { accountId: 'a', passcode: 'p', regoin: 'in1' } }), 'invalid config: destinations[0].settings.regoin: unknown key (known: '],
    ['out of range', withDest({ id: 'hook', type: 'webhook', settings: { url: 'https://x.test/h', batchSize: 0 } }), 'invalid config: destinations[0].settings.batchSize: 0: expected integer to be greater or equal to 1'],
    ['unparsable URL', withDest({ id: 'hook', type: 'webhook', settings: { url: 'http://' } }), 'invalid config: destinations[0].settings.url: "http://"'],
    ['warehouse with neither', withDest({ id: 'dw', type: 'warehouse', settings: {} }), 'invalid config: destinations[0].settings: set exactly one of sqlite, postgres'],
    ['warehouse with both', withDest({ id: 'dw', type: 'warehouse', settings: { sqlite: 'a.db', postgres: 'postgres://x' } }), 'invalid config: destinations[0].settings: set exactly one of sqlite, postgres'],
    ['warehouse member error', withDest({ id: 'dw', type: 'warehouse', settings: { sqlite: 'a.db', batchSize: 'many' } }), 'invalid config: destinations[0].settings.batchSize: "many": expected integer'],
    ['source key of another type', { ...base, sources: [{ id: 'web', type: 'segment', writeKey: 'k', secret: 's' }] }, 'invalid config: sources[0].secret: unknown key (known: id, type, writeKey, allowedOrigins)'],
    ['clevertap source without credentials', { ...base, sources: [...base.sources, { id: 'ct', type: 'clevertap' }] }, 'invalid config: sources[1]: a clevertap source needs a writeKey and/or a webhook secret'],
    ['bad duration', { ...base, router: { maxRetryAge: 'soon' } }, 'invalid config: router.maxRetryAge: "soon" is not valid: milliseconds, or a string such as 30s, 5m, 24h'],
    ['bad enum outside entries', { ...base, storage: { synchronous: 'OFF' } }, 'invalid config: storage.synchronous: "OFF" is not one of FULL, NORMAL'],
    ['duplicate write keys', { ...base, sources: [...base.sources, { id: 'app', type: 'segment', writeKey: 'k' }] }, 'invalid config: sources[1].writeKey: the same writeKey as source "web" (each source needs its own)'],
    ['duplicate write keys across types', { ...base, sources: [...base.sources, { id: 'ct', type: 'clevertap', writeKey: 'k' }] }, 'invalid config: sources[1].writeKey: the same writeKey as source "web"'],
    ['empty store path', { ...base, storage: { sqlite: '' } }, 'invalid config: storage.sqlite: is empty; expected the store file'],
    ['empty warehouse path', withDest({ id: 'dw', type: 'warehouse', settings: { sqlite: '' } }), 'invalid config: destinations[0].settings.sqlite: is empty'],
    [
      'unparsable PostgreSQL URL (its password is not shown)',
      withDest({ id: 'dw', type: 'warehouse', settings: { postgres: 'postgres//user:hunter2@db:5432/x' } }),
      'invalid config: destinations[0].settings.postgres: "postgres//user:hunter2@db:5432/x" is not a PostgreSQL URL such as postgres://user:pass@host:5432/db',
    ],
    ['PostgreSQL URL of another scheme', withDest({ id: 'dw', type: 'warehouse', settings: { postgres: 'mysql://u:pw@db/x' } }), 'invalid config: destinations[0].settings.postgres: "mysql://u:***@db/x" is not a PostgreSQL URL'],
    ['bad request timeout', { ...base, server: { requestTimeout: '30 seconds' } }, 'invalid config: server.requestTimeout: "30 seconds" is not valid: milliseconds, or a string such as 30s, 5m, 24h'],
    ['unknown top-level key', { ...base, nope: 1 }, 'invalid config: nope: unknown key (known: server, storage, '],
  ];
  for (const [name, raw, expected] of cases) test(name, () => assert.ok(errorOf(raw).startsWith(expected), errorOf(raw)));

  test('every missing environment variable is named in one error, with where it is used', () => {
    const raw = {
      ...base,
      sources: [{ id: 'web', type: 'segment', writeKey: '${WEB_KEY}' }],
      destinations: [{ id: 'ct', type: 'clevertap', settings: { accountId: '${CT_ACCOUNT}', passcode: '${CT_PASSCODE}' } }],
      admin: { token: '${ADMIN_TOKEN:-default-token}' },
    };
    assert.equal(
      errorOf(raw, { CT_ACCOUNT: 'acc' }),
      'invalid config: environment variables WEB_KEY, CT_PASSCODE are not set (used at sources[0].writeKey, destinations[0].settings.passcode)',
    );
  });
});

describe('config warnings', () => {
  test('a source or destination without a connection is named at start', () => {
    const cfg = parseConfig({ ...base, sources: [...base.sources, { id: 'app', type: 'segment', writeKey: 'k2' }], destinations: [...base.destinations, { id: 'hook', type: 'webhook', settings: { url: 'https://x.test/h' } }] }, '/cfg');
    assert.deepEqual(configWarnings(cfg), [
      'source "app" has no connection: its events are stored but go nowhere (add one under connections)',
      'destination "hook" has no connection: nothing will be sent to it (add one under connections)',
    ]);
    assert.deepEqual(configWarnings(parseConfig(base, '/cfg')), []);
  });
});

describe('config defaults', () => {
  const cfg = parseConfig(
    {
      ...base,
      destinations: [
        { id: 'ct', type: 'clevertap', settings: { accountId: 'a', passcode: 'p', compat: 'rudderstack' } },
        { id: 'dw', type: 'warehouse', settings: { sqlite: 'dw.sqlite' } },
        { id: 'hook', type: 'webhook', settings: { url: 'https://x.test/h', maxInFlight: 2 } },
      ],
    },
    '/cfg',
  );

  test('the schemas\' defaults are in the loaded settings; given values and settings without a default are kept', () => {
    assert.deepEqual(
      cfg.destinations.map((d) => d.settings),
      [
        {
          accountId: 'a',
          passcode: 'p',
          compat: 'rudderstack',
          region: 'eu1',
          objectIdMapping: false,
          invalidValues: 'drop',
          maxEventProperties: 100,
          maxInFlight: 15,
          batchSize: 1000,
          requestTimeoutMs: 30_000,
        },
        { sqlite: join('/cfg', 'dw.sqlite'), batchSize: 500 },
        { url: 'https://x.test/h', batchSize: 100, timeoutMs: 30_000, maxInFlight: 2 },
      ],
    );
  });

  test('a loaded config loads again unchanged (defaults and paths are applied once)', () => {
    assert.deepEqual(parseConfig(structuredClone(cfg), '/elsewhere'), cfg);
  });

  test('create() gets the complete settings', async () => {
    const hook = createDeliverer(cfg.destinations[2], { log });
    assert.equal(hook.maxBatch, 100);
    assert.equal(hook.maxInFlight, 2);
    await hook.close();
  });
});
