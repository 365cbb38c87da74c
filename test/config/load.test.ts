import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { parseConfig, substituteEnv } from '../../src/config/load.js';

const env = {
  TAPROUTE_ADMIN_TOKEN: 'admin-token-123', WEB_WRITE_KEY: 'wk', CT_WRITE_KEY: 'ctwk', CT_WEBHOOK_SECRET: 's',
  MP_KEY: 'k', MP_SECRET: 'ms', CT_ACCOUNT: 'ACC', CT_PASSCODE: 'PASS', WAREHOUSE_URL: 'postgres://x@127.0.0.1/db',
};

describe('config', () => {
  test("the README's example config is valid", () => {
    const readme = readFileSync('README.md', 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(readme)![1];
    const cfg = parseConfig(parseYaml(yaml), process.cwd(), env);
    assert.equal(cfg.sources.length, 3);
    assert.equal((cfg.destinations[0].settings as { passcode: string }).passcode, 'PASS');
    assert.equal(cfg.admin?.token, 'admin-token-123');
  });

  test('${ENV} substitution: defaults, missing variables are errors', () => {
    assert.deepEqual(substituteEnv({ a: ['x-${A}', '${B:-dflt}'] }, { A: '1' }), { a: ['x-1', 'dflt'] });
    assert.throws(() => substituteEnv({ p: '${NOPE}' }, {}), /NOPE is not set/);
  });

  const base = {
    sources: [{ id: 'web', type: 'segment', writeKey: 'k' }],
    destinations: [{ id: 'ct', type: 'clevertap', settings: { accountId: 'a', passcode: 'p' } }],
    connections: [{ source: 'web', destination: 'ct' }],
  };
  const cases: [string, unknown, RegExp][] = [
    ['unknown top-level key', { ...base, nope: 1 }, /invalid config/],
    ['unknown source in a connection', { ...base, connections: [{ source: 'x', destination: 'ct' }] }, /unknown source "x"/],
    ['unknown destination in a connection', { ...base, connections: [{ source: 'web', destination: 'x' }] }, /unknown destination "x"/],
    ['bad clevertap region', { ...base, destinations: [{ id: 'ct', type: 'clevertap', settings: { accountId: 'a', passcode: 'p', region: 'mars' } }] }, /destinations\[0\]\.settings\.region: "mars" is not one of eu1, in1/],
    ['missing passcode', { ...base, destinations: [{ id: 'ct', type: 'clevertap', settings: { accountId: 'a' } }] }, /passcode/],
    ['segment source without writeKey', { ...base, sources: [{ id: 'web', type: 'segment' }] }, /sources\[0\]\.writeKey: missing/],
    ['mparticle source without secret', { ...base, sources: [...base.sources, { id: 'mp', type: 'mparticle', key: 'k' }] }, /sources\[1\]\.secret: missing/],
    ['duplicate source id', { ...base, sources: [...base.sources, ...base.sources] }, /duplicate source/],
    ['bad duration', { ...base, router: { maxRetryAge: 'soon' } }, /invalid config/],
    ['duplicate connection', { ...base, connections: [...base.connections, ...base.connections] }, /duplicate connection/],
  ];
  for (const [name, raw, err] of cases) test(`rejects: ${name}`, () => assert.throws(() => parseConfig(raw), err));
});
