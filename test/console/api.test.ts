// The console's HTTP API against a real server and the emulator: login and session cookie, origin checks,
// overview, failures with replay, the live stream, dry runs, sources with masked keys, user deletion.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { readItems } from './sse.js';
import { buildConsole, gzippedBytes, MAX_GZIPPED_BYTES } from '../../scripts/build-console.mjs';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, tmpDir, waitFor, basic, post, ADMIN_TOKEN, WRITE_KEY, type Stack } from '../helpers.js';

describe('console API', () => {
  let stack: Stack;
  let cookie = '';
  let origin = '';
  const call = async (path: string, o: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) => {
    const res = await request(`${stack.server.url}${path}`, {
      method: (o.method ?? (o.body === undefined ? 'GET' : 'POST')) as 'GET',
      headers: { cookie, ...(o.body === undefined ? {} : { 'content-type': 'application/json', origin }), ...o.headers },
      body: o.body === undefined ? undefined : JSON.stringify(o.body),
    });
    const text = await res.body.text();
    let body: any = text;
    try {
      body = JSON.parse(text);
    } catch {}
    return { status: res.statusCode, headers: res.headers, body };
  };
  const track = (m: Record<string, unknown>) => post(`${stack.server.url}/v1/track`, m, { authorization: basic(WRITE_KEY) });

  // A second connection to the same destination with a filter and a function, for the playground.
  const fnDir = tmpDir();
  before(async () => {
    await buildConsole();
    const fnFile = join(fnDir.dir, 'tag.ts');
    writeFileSync(fnFile, `export function transform(m: { properties?: object }) { return { ...m, properties: { ...m.properties, tagged: 'by-connection' } }; }\n`);
    stack = await startStack({
      config: {
        sources: [{ id: 'web', type: 'segment', writeKey: WRITE_KEY }, { id: 'app', type: 'segment', writeKey: 'app-key' }],
        connections: [{ source: 'web', destination: 'ct' }, { source: 'app', destination: 'ct', filter: { types: ['track'] }, function: fnFile }],
      },
    });
    origin = stack.server.url;
  });
  after(async () => {
    await stack.close();
    fnDir.cleanup();
  });

  test('pages are served with a strict CSP; the API needs a session', async () => {
    const page = await call('/console/debugger');
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-type']), /text\/html/);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.doesNotMatch(page.body, /<script>/, 'no inline script');
    assert.equal((await call('/console/api/overview')).status, 401);
    const js = await call('/console/assets/app.js');
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /javascript/);
    assert.ok(gzippedBytes() < MAX_GZIPPED_BYTES, 'production assets under 250 KB gzipped');
  });

  test('?token= logs in with an HttpOnly SameSite=Strict cookie and leaves the address bar', async () => {
    const wrong = await call('/console/failures?token=nope');
    assert.equal(wrong.status, 303);
    assert.equal(wrong.headers.location, '/console/failures');
    assert.equal(wrong.headers['set-cookie'], undefined);
    const right = await call(`/console/failures?token=${ADMIN_TOKEN}`);
    assert.equal(right.status, 303);
    assert.equal(right.headers.location, '/console/failures');
    const set = String(right.headers['set-cookie']);
    assert.match(set, /HttpOnly/);
    assert.match(set, /SameSite=Strict/);
    assert.ok(!set.includes(ADMIN_TOKEN), 'the cookie is not the token');
    cookie = set.split(';')[0];
    assert.equal((await call('/console/api/session')).status, 200);
    // A forged cookie is refused.
    assert.equal((await call('/console/api/session', { headers: { cookie: cookie.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')) } })).status, 401);
  });

  test('login form: wrong token refused, other origins refused', async () => {
    assert.equal((await call('/console/api/login', { body: { token: 'nope' } })).status, 401);
    assert.equal((await call('/console/api/login', { body: { token: ADMIN_TOKEN }, headers: { origin: 'http://evil.example' } })).status, 403);
    const ok = await call('/console/api/login', { body: { token: ADMIN_TOKEN } });
    assert.equal(ok.status, 200);
    assert.match(String(ok.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
  });

  test('overview: connection counts and destination state', async () => {
    assert.equal((await track({ userId: 'u1', event: 'Signed Up' })).status, 200);
    await waitFor(async () => (await call('/console/api/overview')).body.connections[0]?.delivered === 1);
    const o = (await call('/console/api/overview')).body;
    assert.equal(o.connections[0].sourceId, 'web');
    assert.equal(o.connections[0].destinationId, 'ct');
    assert.equal(o.destinations.ct.state, 'running');
    assert.equal(o.destinationTypes.ct, 'clevertap');
    assert.ok(Array.isArray(o.rates));
  });

  test('failures: list, inspect with the refused records, replay needs the same origin', async () => {
    assert.equal((await post(`${stack.server.url}/v1/group`, { userId: 'u2', groupId: 'g1' }, { authorization: basic(WRITE_KEY) })).status, 200);
    await waitFor(async () => (await call('/console/api/failures')).body.length === 1);
    const [f] = (await call('/console/api/failures?destination=ct')).body;
    assert.equal(f.userKey, 'u2');
    const detail = (await call(`/console/api/failures/${f.id}`)).body;
    assert.equal(detail.message.groupId, 'g1');
    assert.equal(detail.records.ok, false);
    assert.equal(detail.records.error.code, f.code);
    assert.equal((await call('/console/api/failures/replay', { body: { ids: [f.id] }, headers: { origin: 'http://evil.example' } })).status, 403);
    const r = await call('/console/api/failures/replay', { body: { ids: [f.id] } });
    assert.deepEqual(r.body, { replayed: 1 });
    // It fails again the same way (a group is never accepted): a new dead letter.
    await waitFor(async () => (await call('/console/api/failures')).body.some((x: { failedAt: number }) => x.failedAt > f.failedAt));
  });

  test('live stream: a message and its outcome arrive over SSE; the message opens with its records', async () => {
    const res = await request(`${stack.server.url}/console/api/stream`, { headers: { cookie } });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /text\/event-stream/);
    const { seen, reading } = readItems(res.body);
    await track({ userId: 'u3', event: 'Viewed <b>', messageId: 'live-1' });
    await waitFor(() => seen.some((x) => x.kind === 'outcome' && x.messageId === 'live-1' && x.status === 'done'));
    const m = seen.find((x) => x.kind === 'message' && x.messageId === 'live-1');
    assert.equal(m.sourceId, 'web');
    assert.equal(m.type, 'track');
    assert.equal(m.event, 'Viewed <b>');
    assert.equal(m.userId, 'u3');
    const opened = (await call('/console/api/messages/live-1')).body;
    assert.equal(opened.message.event, 'Viewed <b>');
    assert.equal(opened.records[0].destinationId, 'ct');
    assert.equal(opened.records[0].ok, true);
    assert.equal(opened.outcomes[0].status, 'done');
    res.body.destroy();
    await reading;
  });

  test('transform playground: the selected mode and every mode side by side', async () => {
    const r = await call('/console/api/transform', { body: { destination: 'ct', mode: 'rudderstack', message: { type: 'page', userId: 'u1', name: 'Home' } } });
    assert.equal(r.status, 200);
    assert.equal(r.body.selected.mode, 'rudderstack');
    assert.deepEqual(r.body.modes.map((m: { mode: string }) => m.mode), ['', 'segment', 'rudderstack']);
    const names = r.body.modes.map((m: { records: { evtName?: string }[] }) => m.records[0].evtName);
    assert.equal(names[2], 'Web Page Viewed: Home');
    assert.equal((await call('/console/api/transform', { body: { destination: 'ct', message: [] } })).status, 400);
  });

  test('transform playground: a pasted function runs isolated, its output messages then their records in every mode', { timeout: 60_000 }, async () => {
    const message = { type: 'track', userId: 'u1', event: 'Signed Up', properties: { plan: 'pro' } };
    const run = (body: Record<string, unknown>) => call('/console/api/transform', { body: { destination: 'ct', message, ...body } });
    const upper = await run({ function: 'export function transform(m: { event: string }) { return { ...m, event: m.event.toUpperCase() }; }' });
    assert.equal(upper.status, 200, JSON.stringify(upper.body));
    assert.equal(upper.body.step.kind, 'send');
    assert.equal(upper.body.step.ran.function, 'pasted');
    assert.equal(upper.body.step.messages[0].event, 'SIGNED UP');
    assert.equal(upper.body.outputs[0].selected.records[0].evtName, 'SIGNED UP');
    assert.deepEqual(upper.body.outputs[0].modes.map((m: { mode: string }) => m.mode), ['', 'segment', 'rudderstack']);
    // A split: one output per message, each with its records.
    const split = await run({ function: 'export const transform = (m) => [m, { ...m, event: "Second" }];' });
    assert.deepEqual(split.body.outputs.map((o: any) => o.selected.records[0].evtName), ['Signed Up', 'Second']);
    // null drops the message: filtered by the function.
    const dropped = await run({ function: 'export function transform() { return null; }' });
    assert.deepEqual([dropped.body.step.kind, dropped.body.step.by, dropped.body.step.rule, dropped.body.outputs.length], ['filtered', 'function', 'function', 0]);
    // A throwing function shows its error and stack.
    const thrown = await run({ function: 'export function transform() {\n  throw new Error("no plan for you");\n}' });
    assert.equal(thrown.body.step.kind, 'dead');
    assert.equal(thrown.body.step.code, 'function_error');
    assert.match(thrown.body.step.reason, /no plan for you/);
    assert.match(thrown.body.step.reason, /at transform \(\.\/transform\.mts:2:/, 'with the stack');
    assert.doesNotMatch(thrown.body.step.reason, /taproute-playground-/, 'the temporary folder is not shown');
    // A loop is stopped at the time limit; exiting ends only the function's thread: this server answers on.
    const looped = await run({ function: 'export function transform() { for (;;) {} }' });
    assert.equal(looped.body.step.code, 'function_timeout');
    const exited = await run({ function: 'export function transform() { process.exit(3); }' });
    assert.equal(exited.body.step.kind, 'dead');
    assert.equal((await call('/console/api/session')).status, 200);
    const broken = await run({ function: 'export function transform( {' });
    assert.equal(broken.body.step.code, 'function_load_error');
    // Output that is not a message is refused as the router refuses it.
    const notMessage = await run({ function: 'export const transform = () => 42;' });
    assert.equal(notMessage.body.step.code, 'function_invalid_output');
  });

  test('transform playground: a connection applies its filter, then its own function or a pasted one', { timeout: 60_000 }, async () => {
    const connections = (await call('/console/api/connections')).body;
    assert.deepEqual(connections.find((c: any) => c.source === 'app'), { source: 'app', destination: 'ct', filter: true, function: 'tag.ts' });
    const page = await call('/console/api/transform', { body: { destination: 'ct', source: 'app', message: { type: 'page', userId: 'u1', name: 'Home' } } });
    assert.deepEqual(page.body.step, { kind: 'filtered', by: 'filter', rule: 'types' });
    assert.equal(page.body.outputs.length, 0);
    const own = await call('/console/api/transform', { body: { destination: 'ct', source: 'app', message: { type: 'track', userId: 'u1', event: 'E' } } });
    assert.equal(own.body.step.ran.function, 'connection');
    assert.equal(own.body.outputs[0].selected.records[0].evtData.tagged, 'by-connection');
    const pasted = await call('/console/api/transform', {
      body: { destination: 'ct', source: 'app', function: 'export const transform = (m) => ({ ...m, event: "Pasted" });', message: { type: 'track', userId: 'u1', event: 'E' } },
    });
    assert.equal(pasted.body.outputs[0].selected.records[0].evtName, 'Pasted');
    assert.equal(pasted.body.outputs[0].selected.records[0].evtData.tagged, undefined, 'the pasted function replaces the connection\'s');
    assert.equal((await call('/console/api/transform', { body: { destination: 'ct', source: 'nope', message: { type: 'track', userId: 'u1', event: 'E' } } })).status, 404);
    // It runs user code: never without the admin session.
    assert.equal((await call('/console/api/transform', { body: { destination: 'ct', function: 'export const transform = (m) => m;', message: { type: 'track', userId: 'u1', event: 'E' } }, headers: { cookie: '' } })).status, 401);
  });

  test('sources: the write key is masked; the copy call returns it on a same-origin POST only', async () => {
    const r = await call('/console/api/sources');
    assert.ok(!JSON.stringify(r.body).includes(WRITE_KEY), 'no full write key in the page data');
    const [s] = r.body;
    assert.equal(s.id, 'web');
    assert.ok(s.fields.some((f: { label: string; copy?: boolean }) => f.copy));
    assert.equal((await call('/console/api/sources/web/key', { body: {}, headers: { origin: 'http://evil.example' } })).status, 403);
    assert.deepEqual((await call('/console/api/sources/web/key', { body: {} })).body, { writeKey: WRITE_KEY });
    // The admin token and the CleverTap passcode are never part of any answer.
    for (const path of ['/console/api/overview', '/console/api/sources', '/console/api/destinations']) {
      const text = JSON.stringify((await call(path)).body);
      assert.ok(!text.includes(ADMIN_TOKEN) && !text.includes('"pass"'), path);
    }
  });

  test('users: everything stored for the user with each outcome, newest first, paged; deletion through the regulation logic', async () => {
    // No stream is open: the lookup reads the store, not this node's live tap.
    await track({ userId: 'gone', event: 'Bye', messageId: 'gone-1' });
    await post(`${stack.server.url}/v1/group`, { userId: 'gone', groupId: 'g2', messageId: 'gone-2' }, { authorization: basic(WRITE_KEY) });
    await track({ userId: 'other', event: 'Not Mine' });
    await waitFor(async () => {
      const u = (await call('/console/api/users/gone')).body;
      return u.messages?.length === 2 && u.messages.every((m: { outcomes: { status: string }[] }) => m.outcomes.every((o) => o.status !== 'pending'));
    });
    const u = (await call('/console/api/users/gone')).body;
    assert.deepEqual(u.messages.map((m: { messageId: string }) => m.messageId), ['gone-2', 'gone-1'], 'newest first, only this user');
    const [group, bye] = u.messages;
    assert.equal(bye.message.event, 'Bye');
    assert.deepEqual(bye.outcomes, [{ destinationId: 'ct', status: 'delivered' }]);
    assert.equal(group.outcomes[0].status, 'dead');
    assert.ok(group.outcomes[0].reason, 'dead with the reason');
    assert.equal((await call(`/console/api/failures/${group.outcomes[0].deadLetterId}`)).body.message.groupId, 'g2');
    const page = (await call('/console/api/users/gone?limit=1')).body;
    assert.deepEqual(page.messages.map((m: { messageId: string }) => m.messageId), ['gone-2']);
    const older = (await call(`/console/api/users/gone?limit=1&before=${page.next}`)).body;
    assert.deepEqual(older.messages.map((m: { messageId: string }) => m.messageId), ['gone-1']);
    assert.equal((await call('/console/api/users/gone?limit=x')).status, 400);
    const r = await call('/console/api/users/delete', { body: { userId: 'gone' } });
    assert.equal(r.status, 200);
    assert.equal(r.body.suppressed, 1);
    assert.ok('ct' in r.body.deleted);
    assert.equal((await call('/console/api/users/delete', { body: { userId: '' } })).status, 400);
    // A later event of the suppressed user shows as filtered, with the rule.
    await track({ userId: 'gone', event: 'After Delete', messageId: 'gone-3' });
    await waitFor(async () => (await call('/console/api/users/gone')).body.messages[0]?.outcomes[0]?.status === 'filtered');
    assert.equal((await call('/console/api/users/gone')).body.messages[0].outcomes[0].rule, 'suppressed');
  });

  test('users: an anonymousId finds the visitor\'s messages from before and after identify; the userId the identified ones', async () => {
    const ids = async (key: string) => ((await call(`/console/api/users/${key}`)).body.messages as { messageId: string }[]).map((m) => m.messageId);
    await track({ anonymousId: 'visitor-1', event: 'Browse', messageId: 'v-1' });
    await track({ userId: 'vera', anonymousId: 'visitor-1', event: 'Buy', messageId: 'v-2' });
    await track({ userId: 'vera', event: 'Return', messageId: 'v-3' });
    // A numeric anonymousId (serialised, not stored as written) is found by its text.
    await track({ anonymousId: 4242, event: 'Browse', messageId: 'n-1' });
    await track({ userId: 'nina', anonymousId: 4242, event: 'Buy', messageId: 'n-2' });
    await track({ userId: 'other', anonymousId: 'visitor-2', event: 'Not Mine', messageId: 'o-1' });
    await waitFor(async () => (await ids('visitor-1')).length === 2 && (await ids('4242')).length === 2);
    assert.deepEqual(await ids('visitor-1'), ['v-2', 'v-1']);
    assert.deepEqual(await ids('vera'), ['v-3', 'v-2']);
    assert.deepEqual(await ids('4242'), ['n-2', 'n-1']);
    assert.deepEqual(await ids('nina'), ['n-2']);
    const page = (await call('/console/api/users/visitor-1?limit=1')).body;
    assert.deepEqual(page.messages.map((m: { messageId: string }) => m.messageId), ['v-2']);
    assert.deepEqual((await call(`/console/api/users/visitor-1?limit=1&before=${page.next}`)).body.messages.map((m: { messageId: string }) => m.messageId), ['v-1']);
  });

  test('overview: warnings by code per connection', async () => {
    await post(`${stack.server.url}/v1/identify`, { userId: 'warned', traits: { email: 'not-an-email', phone: 'abc' } }, { authorization: basic(WRITE_KEY) });
    await post(`${stack.server.url}/v1/identify`, { userId: 'warned2', traits: { email: 'also-not' } }, { authorization: basic(WRITE_KEY) });
    const count = (o: any, code: string) => o.warningsByCode.find((w: any) => w.sourceId === 'web' && w.destinationId === 'ct' && w.code === code)?.warnings;
    await waitFor(async () => count((await call('/console/api/overview')).body, 'invalid_email') === 2);
    const o = (await call('/console/api/overview')).body;
    assert.equal(count(o, 'invalid_phone'), 1);
    const total = o.warningsByCode.filter((w: any) => w.destinationId === 'ct').reduce((a: number, w: any) => a + w.warnings, 0);
    assert.equal(total, o.connections.find((c: any) => c.destinationId === 'ct').warnings, 'codes add up to the connection\'s warnings');
  });

  test('failures: CleverTap\'s code filters beside Taproute\'s, in the console and the admin API', async () => {
    await track({ userId: 'ctcode', event: 'App Launched', messageId: 'ctcode-1' }); // a CleverTap system event: refused, code 513
    await post(`${stack.server.url}/v1/group`, { userId: 'ctcode', groupId: 'g3', messageId: 'ctcode-2' }, { authorization: basic(WRITE_KEY) });
    await waitFor(async () => (await call('/console/api/failures?limit=500')).body.filter((f: any) => f.userKey === 'ctcode').length === 2);
    const ids = async (q: string) => (await call(`/console/api/failures?limit=500&${q}`)).body.filter((f: any) => f.userKey === 'ctcode').map((f: any) => f.messageId);
    assert.deepEqual(await ids('clevertapCode=513'), ['ctcode-1']);
    assert.deepEqual(await ids('code=restricted_event'), ['ctcode-1']);
    assert.deepEqual(await ids('clevertapCode=restricted_event'), [], 'a Taproute code is not CleverTap\'s');
    assert.equal((await ids('clevertapCode=51')).length, 0, 'the whole code, not a prefix');
    const admin = await request(`${stack.server.url}/admin/failures?clevertapCode=513`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    const list = (await admin.body.json()) as { messageId: string }[];
    assert.deepEqual(list.map((f) => f.messageId), ['ctcode-1']);
  });

  test('logout clears the cookie', async () => {
    const r = await call('/console/api/logout', { body: {} });
    assert.match(String(r.headers['set-cookie']), /Max-Age=0/);
  });
});
