// Connection filters: every rule, in order, the integrations object, dropFields and config errors at start.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileFilter, integrationsAllow } from '../../src/connections/filter.js';
import { parseConfig } from '../../src/config/load.js';

const ct = { id: 'ct-main', type: 'clevertap' };
const track = (event: string, extra: Record<string, unknown> = {}) => ({ type: 'track', userId: 'u1', event, ...extra });

test('filter: no filter lets everything through', () => {
  const f = compileFilter(undefined, ct);
  for (const m of [track('A'), { type: 'identify', userId: 'u' }, { type: 'group', userId: 'u' }]) assert.equal(f.refuse(m), null);
});

test('filter: types', () => {
  const f = compileFilter({ types: ['identify', 'track'] }, ct);
  assert.equal(f.refuse(track('A')), null);
  assert.equal(f.refuse({ type: 'identify', userId: 'u' }), null);
  assert.equal(f.refuse({ type: 'page', userId: 'u', name: 'Home' }), 'types');
});

test('filter: allowEvents and denyEvents with * wildcards, on track, page and screen names only', () => {
  const f = compileFilter({ allowEvents: ['Order *', 'Signed Up', 'Home'], denyEvents: ['Order Debug*'] }, ct);
  assert.equal(f.refuse(track('Order Completed')), null);
  assert.equal(f.refuse(track('Signed Up')), null);
  assert.equal(f.refuse(track('Signed Up Twice')), 'allowEvents', 'anchored');
  assert.equal(f.refuse(track('order completed')), 'allowEvents', 'case-sensitive');
  assert.equal(f.refuse(track('Order Debug 1')), 'denyEvents', 'deny after allow');
  assert.equal(f.refuse({ type: 'page', userId: 'u', name: 'Home' }), null);
  assert.equal(f.refuse({ type: 'screen', userId: 'u', name: 'Settings' }), 'allowEvents');
  assert.equal(f.refuse({ type: 'identify', userId: 'u' }), null, 'identify has no event name');
  const dots = compileFilter({ allowEvents: ['a.b (c)+'] }, ct);
  assert.equal(dots.refuse(track('a.b (c)+')), null, 'regex characters are literal');
  assert.equal(dots.refuse(track('aXb (c)+')), 'allowEvents');
  const deny = compileFilter({ denyEvents: ['Debug *', '*Test'] }, ct);
  assert.equal(deny.refuse(track('Debug start')), 'denyEvents');
  assert.equal(deny.refuse(track('A Test')), 'denyEvents');
  assert.equal(deny.refuse(track('Real')), null);
});

test('filter: where', () => {
  const f = compileFilter({ where: "properties.env != 'test'" }, ct);
  assert.equal(f.refuse(track('A', { properties: { env: 'prod' } })), null);
  assert.equal(f.refuse(track('A')), null, 'missing: != is true');
  assert.equal(f.refuse(track('A', { properties: { env: 'test' } })), 'where');
});

test('filter: rules apply in order (integrations, types, allowEvents, denyEvents, where)', () => {
  const f = compileFilter({ types: ['track'], allowEvents: ['A*'], denyEvents: ['AB'], where: 'properties.ok == true' }, ct);
  assert.equal(f.refuse({ type: 'page', userId: 'u', name: 'X', integrations: { All: false } }), 'integrations');
  assert.equal(f.refuse({ type: 'page', userId: 'u', name: 'X' }), 'types');
  assert.equal(f.refuse(track('X')), 'allowEvents');
  assert.equal(f.refuse(track('AB')), 'denyEvents');
  assert.equal(f.refuse(track('AC')), 'where');
  assert.equal(f.refuse(track('AC', { properties: { ok: true } })), null);
});

test('filter: the integrations object, by destination type or id', () => {
  assert.equal(integrationsAllow(undefined, ct), true);
  assert.equal(integrationsAllow({}, ct), true);
  assert.equal(integrationsAllow({ All: false }, ct), false);
  assert.equal(integrationsAllow({ All: false, CleverTap: true }, ct), true);
  assert.equal(integrationsAllow({ All: false, Clevertap: { deviceTokenType: 'fcm' } }, ct), true, 'an options object turns it on');
  assert.equal(integrationsAllow({ All: false, 'ct-main': true }, ct), true, 'by destination id');
  assert.equal(integrationsAllow({ CleverTap: false }, ct), false);
  assert.equal(integrationsAllow({ CLEVERTAP: false }, ct), false, 'RudderStack spells it in capitals');
  assert.equal(integrationsAllow({ All: true, 'ct-main': false }, ct), false);
  assert.equal(integrationsAllow({ Mixpanel: false }, ct), true, 'another destination named');
  assert.equal(integrationsAllow({ All: false, Mixpanel: true }, ct), false);
  assert.equal(integrationsAllow({ All: false, CleverTap: true }, { id: 'hook', type: 'webhook' }), false);
  assert.equal(compileFilter(undefined, ct).refuse(track('A', { integrations: { CleverTap: false } })), 'integrations', 'applies without a filter');
});

test('filter: dropFields removes nested paths and ignores missing ones', () => {
  const f = compileFilter({ dropFields: ['traits.email', 'context.ip', 'properties.a.b', 'nope.x'] }, ct);
  const m = { type: 'identify', userId: 'u', traits: { email: 'e', name: 'n' }, context: { ip: '1.2.3.4' }, properties: { a: { b: 1, c: 2 } } };
  f.dropFields(m);
  assert.deepEqual(m, { type: 'identify', userId: 'u', traits: { name: 'n' }, context: {}, properties: { a: { c: 2 } } });
});

const cfg = (connection: Record<string, unknown>) => ({
  sources: [{ id: 'web', type: 'segment', writeKey: 'k' }],
  destinations: [{ id: 'hook', type: 'webhook', settings: { url: 'http://127.0.0.1:1/x' } }],
  connections: [{ source: 'web', destination: 'hook', ...connection }],
});

test('config: invalid filters are refused at start with the place and the problem', () => {
  assert.throws(() => parseConfig(cfg({ filter: { where: "properties.env = 'x'" } })), /connections\[0\]\.filter\.where: unexpected "=" at column 16/);
  assert.throws(() => parseConfig(cfg({ filter: { types: ['trak'] } })), /connections\/0\/filter\/types\/0|connections\[0\]\.filter\.types\[0\]/);
  assert.throws(() => parseConfig(cfg({ filter: { allowEvent: ['x'] } })), /allowEvent/);
  assert.throws(() => parseConfig(cfg({ filter: { dropFields: ['traits..email'] } })), /connections\[0\]\.filter\.dropFields\[0\]/);
  assert.throws(() => parseConfig(cfg({ function: 'no/such/file.js' })), /connections\[0\]\.function: no such file/);
  assert.throws(() => parseConfig(cfg({ functionTimeout: '0ms' })), /functionTimeout/);
  const ok = parseConfig(cfg({ filter: { types: ['track'], where: 'exists properties.x', dropFields: ['traits.email'] }, functionTimeout: '250ms' }));
  assert.equal(ok.connections[0].functionTimeout, '250ms');
});
