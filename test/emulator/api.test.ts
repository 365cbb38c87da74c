// Emulator API over loopback: auth, request-level errors, envelopes, storage, merge, delete/demerge, lookup, inspection.
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';

const A = { id: 'ACC-A', passcode: 'secret-a' };
const B = { id: 'ACC-B', passcode: 'secret-b' };
const TS = 1_700_000_000;

interface CallOpts {
  method?: string;
  body?: unknown;
  raw?: string;
  headers?: Record<string, string>;
  account?: { id: string; passcode: string } | null;
}

async function call(emu: RunningEmulator, path: string, o: CallOpts = {}): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...o.headers };
  const acc = o.account === undefined ? A : o.account;
  if (acc) {
    headers['X-CleverTap-Account-Id'] = acc.id;
    headers['X-CleverTap-Passcode'] = acc.passcode;
  }
  const method = o.method ?? (o.body !== undefined || o.raw !== undefined ? 'POST' : 'GET');
  const res = await fetch(emu.url + path, {
    method,
    headers,
    body: o.raw ?? (o.body === undefined ? undefined : JSON.stringify(o.body)),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

const upload = (emu: RunningEmulator, d: unknown[], o: CallOpts = {}) => call(emu, '/1/upload', { ...o, body: { d } });
const event = (id: Record<string, unknown>, evtName = 'Product Viewed', evtData: Record<string, unknown> = { sku: 'A1' }) => ({
  type: 'event',
  ts: TS,
  evtName,
  evtData,
  ...id,
});
const profile = (id: Record<string, unknown>, profileData: Record<string, unknown>) => ({ type: 'profile', ts: TS, profileData, ...id });

describe('emulator API', () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await startEmulator({ accounts: [A, B], logger: false });
  });
  after(() => emu.close());
  beforeEach(() => emu.reset());

  describe('auth', () => {
    const FAIL = { status: 'fail', error: 'Account ID is not valid', code: 401 };
    test('missing headers → 401', async () => {
      const r = await upload(emu, [event({ identity: 'u' })], { account: null });
      assert.equal(r.status, 401);
      assert.deepEqual(r.json, FAIL);
    });
    test('unknown account → 401', async () => {
      const r = await upload(emu, [event({ identity: 'u' })], { account: { id: 'NOPE', passcode: 'secret-a' } });
      assert.equal(r.status, 401);
      assert.deepEqual(r.json, FAIL);
    });
    test('wrong passcode → 401 and counted against the account', async () => {
      const r = await upload(emu, [event({ identity: 'u' })], { account: { id: A.id, passcode: 'secret-b' } });
      assert.equal(r.status, 401);
      assert.deepEqual(r.json, FAIL);
      const r2 = await upload(emu, [event({ identity: 'u' })], { account: null, headers: { 'X-CleverTap-Account-Id': A.id } });
      assert.equal(r2.status, 401);
      assert.equal(emu.stats(A.id).status401, 2);
      assert.equal(emu.stats(A.id).eventsAccepted, 0);
    });
    test("another account's passcode is not accepted", async () => {
      const r = await upload(emu, [event({ identity: 'u' })], { account: { id: B.id, passcode: A.passcode } });
      assert.equal(r.status, 401);
    });
    test('profile.json needs auth too', async () => {
      const r = await call(emu, '/1/profile.json?identity=x', { account: null });
      assert.equal(r.status, 401);
    });
  });

  describe('request-level errors', () => {
    const MALFORMED = { status: 'fail', error: 'Malformed request', code: 400 };
    for (const [label, raw] of [
      ['not JSON', '{"d": ['],
      ['empty body', ''],
      ['no d', '{"x": []}'],
      ['d not an array', '{"d": {"type":"event"}}'],
      ['array body', '[]'],
    ] as const) {
      test(`${label} → 400 Malformed request`, async () => {
        const r = await call(emu, '/1/upload', { method: 'POST', raw });
        assert.equal(r.status, 400);
        assert.deepEqual(r.json, MALFORMED);
      });
    }
    test('1001 records → 400; 1000 → 200', async () => {
      const d = Array.from({ length: 1001 }, (_, i) => event({ identity: `u${i}` }));
      const r = await upload(emu, d);
      assert.equal(r.status, 400);
      assert.equal(r.json.status, 'fail');
      assert.equal(r.json.code, 400);
      assert.match(r.json.error, /maximum of 1000 records/);
      const ok = await upload(emu, d.slice(0, 1000));
      assert.equal(ok.status, 200);
      assert.equal(ok.json.processed, 1000);
      assert.equal(emu.stats(A.id).eventsAccepted, 1000);
    });
    test('101 token records → 400; 100 → 200', async () => {
      const d = Array.from({ length: 101 }, (_, i) => ({ type: 'token', objectId: `__g${i}`, tokenData: { id: `t${i}`, type: 'fcm' } }));
      const r = await upload(emu, d);
      assert.equal(r.status, 400);
      assert.match(r.json.error, /maximum of 100 tokens/);
      const ok = await upload(emu, d.slice(1));
      assert.equal(ok.status, 200);
      assert.equal(ok.json.processed, 100);
    });
    test('empty d → success with 0 processed', async () => {
      const r = await upload(emu, []);
      assert.deepEqual(r.json, { status: 'success', processed: 0, unprocessed: [] });
    });
    test('unknown path → 404, wrong method → 405', async () => {
      assert.equal((await call(emu, '/1/nothing', { body: {} })).status, 404);
      assert.equal((await call(emu, '/1/upload', { method: 'GET' })).status, 405);
    });
    test('any Host header is accepted (region hosts)', async () => {
      const res = await request(emu.url + '/1/upload', {
        method: 'POST',
        headers: { host: 'eu1.api.clevertap.com', 'x-clevertap-account-id': A.id, 'x-clevertap-passcode': A.passcode },
        body: JSON.stringify({ d: [event({ identity: 'u' })] }),
      });
      assert.equal(res.statusCode, 200);
      assert.equal(((await res.body.json()) as any).status, 'success');
    });
  });

  describe('envelope', () => {
    test('success / partial / fail with processed counts and 1-based record numbers', async () => {
      const ok = await upload(emu, [event({ identity: 'u1' }), profile({ identity: 'u1' }, { Name: 'A' })]);
      assert.equal(ok.status, 200);
      assert.deepEqual(ok.json, { status: 'success', processed: 2, unprocessed: [] });

      const partial = await upload(emu, [event({ identity: 'u1' }), event({}), event({ identity: 'u2' }), event({ identity: 'u3' }, 'App Launched')]);
      assert.equal(partial.status, 200);
      assert.equal(partial.json.status, 'partial');
      assert.equal(partial.json.processed, 2);
      assert.deepEqual(
        partial.json.unprocessed.map((u: any) => [u.code, u.error.split('Skipped record number : ')[1]]),
        [
          [523, '2'],
          [513, '4'],
        ],
      );

      const fail = await upload(emu, [event({}), profile({ identity: 'x' }, { Gender: 'Z' })]);
      assert.equal(fail.status, 200);
      assert.equal(fail.json.status, 'fail');
      assert.equal(fail.json.processed, 0);
      assert.equal(fail.json.unprocessed.length, 2);

      const s = emu.stats(A.id);
      assert.equal(s.eventsAccepted, 3);
      assert.equal(s.profilesAccepted, 1);
      assert.equal(s.rejected, 4);
      assert.deepEqual(s.rejectedByCode, { '513': 1, '514': 1, '523': 2 });
    });

    test('dryRun=1 validates but stores nothing', async () => {
      const r = await upload(emu, [event({ identity: 'u1' }), event({})], {});
      assert.equal(r.json.status, 'partial');
      emu.reset();
      const dry = await call(emu, '/1/upload?dryRun=1', { body: { d: [event({ identity: 'u1' }), profile({ identity: 'u1' }, { Email: 'bad' })] } });
      assert.equal(dry.status, 200);
      assert.equal(dry.json.status, 'partial');
      assert.equal(dry.json.unprocessed[0].code, 515);
      assert.deepEqual(emu.events(A.id), []);
      assert.deepEqual(emu.profiles(A.id), []);
      assert.equal(emu.stats(A.id).eventsAccepted, 0);
      assert.equal(emu.stats(A.id).dryRunRequests, 1);
    });
  });

  describe('storage and merge', () => {
    test('events are stored as CleverTap would keep them, in arrival order', async () => {
      const before = Date.now();
      await upload(emu, [event({ identity: 'u1' }, 'First', { n: 1 }), { type: 'event', identity: 7, evtName: 'Second' }]);
      const evs = emu.events(A.id) as any[];
      assert.equal(evs.length, 2);
      assert.deepEqual({ ...evs[0], receivedAt: 0 }, { type: 'event', ts: TS, evtName: 'First', evtData: { n: 1 }, identity: 'u1', receivedAt: 0 });
      assert.ok(evs[0].receivedAt >= before);
      assert.equal(evs[1].evtName, 'Second');
      assert.equal(evs[1].identity, '7', 'numeric identity stored as a string');
      assert.ok(Math.abs(evs[1].ts - Date.now() / 1000) < 5, 'missing ts defaults to now (seconds)');
    });

    test('profiles upsert and merge profileData', async () => {
      await upload(emu, [profile({ identity: 'u1' }, { Name: 'Ann', Plan: 'free', tags: ['a'] })]);
      await upload(emu, [profile({ identity: 'u1' }, { Plan: 'pro', visits: { $incr: 2 }, tags: { $add: ['b', 'a'] } })]);
      await upload(emu, [profile({ identity: 'u1' }, { visits: { $incr: 3 }, tags: { $remove: ['a'] } })]);
      const ps = emu.profiles(A.id);
      assert.equal(ps.length, 1);
      assert.equal(ps[0].identity, 'u1');
      assert.deepEqual(ps[0].identities, ['u1']);
      assert.deepEqual(ps[0].profileData, { Name: 'Ann', Plan: 'pro', tags: ['b'], visits: 5 });
    });

    test('subscription-group objects are stored as objects and replaced on update', async () => {
      let r = await upload(emu, [profile({ identity: 'sub-1' }, { 'category-unsubscribe': { email: ['Newsletters', 'Promos'] } })]);
      assert.equal(r.json.status, 'success', JSON.stringify(r.json));
      r = await upload(emu, [profile({ identity: 'sub-1' }, { 'category-resubscribe': { email: ['Promos'] }, 'category-unsubscribe': { email: ['Newsletters'] } })]);
      assert.equal(r.json.status, 'success', JSON.stringify(r.json));
      const p = emu.profiles(A.id).find((x) => x.identity === 'sub-1')!;
      assert.deepEqual(p.profileData, { 'category-unsubscribe': { email: ['Newsletters'] }, 'category-resubscribe': { email: ['Promos'] } });
    });

    test('a __proto__ key in profileData is stored as ordinary data, never as the prototype', async () => {
      // JSON.stringify of a literal would drop __proto__: write the body by hand.
      const raw = (pd: string) => `{"d":[{"type":"profile","identity":"proto-1","ts":${TS},"profileData":${pd}}]}`;
      let r = await call(emu, '/1/upload', { raw: raw('{"__proto__":["a","b"],"Plan":"pro"}') });
      assert.equal(r.json.status, 'success', JSON.stringify(r.json));
      r = await call(emu, '/1/upload', { raw: raw('{"__proto__":{"$add":["c"]}}') });
      assert.equal(r.json.status, 'success', JSON.stringify(r.json));
      const pd = emu.profiles(A.id).find((x) => x.identity === 'proto-1')!.profileData;
      assert.equal(Object.getPrototypeOf(pd), Object.prototype, 'prototype unchanged');
      assert.ok(Object.hasOwn(pd, '__proto__'));
      assert.deepEqual(Object.getOwnPropertyDescriptor(pd, '__proto__')?.value, ['a', 'b', 'c']);
      assert.equal(pd.Plan, 'pro');
      assert.equal((pd as { length?: unknown }).length, undefined, 'no array behaviour inherited');
      const got = await call(emu, '/1/profile.json?identity=proto-1', { method: 'GET' });
      assert.equal(got.json.record.profileData.Plan, 'pro');
      assert.match(JSON.stringify(got.json.record.profileData), /"__proto__":\["a","b","c"\]/);
    });

    test('anonymous objectId and identity link into one profile', async () => {
      await upload(emu, [event({ objectId: 'anon-1' }, 'Viewed'), event({ objectId: 'anon-1' }, 'Viewed')]);
      await upload(emu, [profile({ identity: 'user-1' }, { Name: 'Bo', Email: 'bo@example.com' }), event({ identity: 'user-1' }, 'Bought')]);
      assert.equal(emu.profiles(A.id).length, 2);
      // rudder-style identify: root objectId = anonymousId, profileData.identity = userId
      const r = await upload(emu, [{ type: 'profile', objectId: 'anon-1', profileData: { identity: 'user-1', Plan: 'gold' } }]);
      assert.equal(r.json.status, 'success');
      const ps = emu.profiles(A.id);
      assert.equal(ps.length, 1);
      const p = ps[0];
      assert.deepEqual([...p.identities].sort(), ['anon-1', 'user-1']);
      assert.equal(p.objectId, 'anon-1');
      assert.equal(p.identity, 'user-1');
      assert.equal(p.events, 3);
      assert.equal(p.profileData.Name, 'Bo');
      assert.equal(p.profileData.Plan, 'gold');
      // later records with either id hit the same profile
      await upload(emu, [event({ objectId: 'anon-1' }), event({ identity: 'user-1' })]);
      assert.equal(emu.profiles(A.id).length, 1);
      assert.equal(emu.profiles(A.id)[0].events, 5);
    });

    test('alias: root identity = previous id, profileData.identity = new id', async () => {
      await upload(emu, [profile({ identity: 'old' }, { Name: 'C' })]);
      await upload(emu, [profile({ identity: 'old' }, { identity: 'new' })]);
      const ps = emu.profiles(A.id);
      assert.equal(ps.length, 1);
      assert.deepEqual(ps[0].identities, ['old', 'new']);
    });

    test('tokens attach to the profile by objectId (creating it if absent)', async () => {
      await upload(emu, [event({ objectId: '__g1' })]);
      const r = await upload(emu, [
        { type: 'token', objectId: '__g1', tokenData: { id: 'tok-1', type: 'fcm' } },
        { type: 'token', objectId: '__g1', tokenData: { id: 'tok-1', type: 'fcm' } },
        { type: 'token', objectId: '__g2', tokenData: { id: 'tok-2', type: 'apns' } },
      ]);
      assert.equal(r.json.processed, 3);
      const ps = emu.profiles(A.id);
      assert.equal(ps.length, 2);
      assert.deepEqual(ps[0].tokens, [{ id: 'tok-1', type: 'fcm' }]);
      assert.deepEqual(ps[1].tokens, [{ id: 'tok-2', type: 'apns' }]);
      assert.equal(emu.tokens(A.id).length, 3);
      assert.equal(emu.stats(A.id).tokensAccepted, 3);
    });

    test('accounts are isolated', async () => {
      await upload(emu, [event({ identity: 'u1' })]);
      await upload(emu, [event({ identity: 'u1' }), event({ identity: 'u2' })], { account: B });
      assert.equal(emu.events(A.id).length, 1);
      assert.equal(emu.events(B.id).length, 2);
      assert.equal(emu.profiles(B.id).length, 2);
      assert.deepEqual(emu.events('unknown'), []);
    });
  });

  describe('delete, demerge, profile lookup', () => {
    test('delete by identity and by guid; events are kept', async () => {
      await upload(emu, [
        profile({ identity: 'd1' }, { Name: '1' }),
        profile({ identity: 'd2' }, { Name: '2' }),
        profile({ objectId: '__gd3' }, { Name: '3' }),
        event({ identity: 'd1' }),
      ]);
      let r = await call(emu, '/1/delete/profiles.json', { body: { identity: 'd1' } });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { status: 'success' });
      r = await call(emu, '/1/delete/profiles.json', { body: { guid: ['__gd3'], identity: ['missing'] } });
      assert.deepEqual(r.json, { status: 'success' });
      assert.deepEqual(
        emu.profiles(A.id).map((p) => p.identity),
        ['d2'],
      );
      assert.equal(emu.events(A.id).length, 1);
      assert.equal(emu.stats(A.id).profilesDeleted, 2);
    });

    test('delete validation: nothing given, wrong types, more than 100', async () => {
      for (const body of [{}, { identity: [] }, { identity: 5 }, { guid: [1] }]) {
        const r = await call(emu, '/1/delete/profiles.json', { body });
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.equal(r.json.error, 'Malformed request');
      }
      const r = await call(emu, '/1/delete/profiles.json', { body: { identity: Array.from({ length: 101 }, (_, i) => `x${i}`) } });
      assert.equal(r.status, 400);
      assert.match(r.json.error, /maximum of 100/);
    });

    test('demerge splits linked identities', async () => {
      await upload(emu, [{ type: 'profile', objectId: 'anon-9', profileData: { identity: 'user-9', Name: 'D' } }]);
      assert.equal(emu.profiles(A.id).length, 1);
      const r = await call(emu, '/1/demerge/profiles.json', { body: { identities: ['user-9'] } });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { status: 'success' });
      const ps = emu.profiles(A.id);
      assert.equal(ps.length, 2);
      assert.deepEqual(ps[0].identities, ['anon-9']);
      assert.equal(ps[0].profileData.Name, 'D');
      assert.deepEqual(ps[1].identities, ['user-9']);
      assert.equal(ps[1].identity, 'user-9');
      // the ids now resolve to different profiles
      await upload(emu, [event({ identity: 'user-9' })]);
      assert.equal(emu.profiles(A.id)[1].events, 1);
      assert.equal(emu.profiles(A.id)[0].events, 0);
    });

    test('demerge validation', async () => {
      assert.equal((await call(emu, '/1/demerge/profiles.json', { body: { identities: 'x' } })).status, 400);
      assert.equal((await call(emu, '/1/demerge/profiles.json', { body: {} })).status, 400);
      const many = await call(emu, '/1/demerge/profiles.json', { body: { identities: Array.from({ length: 101 }, (_, i) => `x${i}`) } });
      assert.equal(many.status, 400);
    });

    test('profile.json by identity, objectId and email', async () => {
      await upload(emu, [
        { type: 'profile', objectId: '__gq', profileData: { identity: 'q1', Email: 'Q@Example.com', Name: 'Q' } },
      ]);
      for (const q of ['identity=q1', 'objectId=__gq', 'email=q%40example.com']) {
        const r = await call(emu, `/1/profile.json?${q}`);
        assert.equal(r.status, 200, q);
        assert.equal(r.json.status, 'success');
        assert.equal(r.json.record.profileData.Name, 'Q');
        assert.deepEqual([...r.json.record.identities].sort(), ['__gq', 'q1']);
      }
      const missing = await call(emu, '/1/profile.json?identity=nobody');
      assert.equal(missing.status, 404);
      assert.deepEqual(missing.json, { status: 'fail', error: 'Profile not found', code: 404 });
      assert.equal((await call(emu, '/1/profile.json')).status, 400);
    });

    test('disassociate unlinks a phone identity', async () => {
      await upload(emu, [profile({ identity: '+14155550000' }, { Name: 'P' })]);
      const r = await call(emu, '/1/disassociate', { body: { d: [{ type: 'phone', value: '+14155550000' }, { type: 'phone', value: '123' }] } });
      assert.equal(r.status, 200);
      assert.equal(r.json.status, 'partial');
      assert.equal(r.json.unprocessed[0].code, 516);
      assert.equal(emu.profiles(A.id).length, 0);
    });
  });

  describe('inspection API', () => {
    test('events, profiles, tokens, stats over HTTP', async () => {
      await upload(emu, [
        event({ identity: 'i1' }, 'E1'),
        event({ identity: 'i1' }, 'E2'),
        profile({ identity: 'i1' }, { Name: 'I' }),
        { type: 'token', objectId: '__gi', tokenData: { id: 't', type: 'fcm' } },
      ]);
      const base = `/_emulator/accounts/${A.id}`;
      const evs = await call(emu, `${base}/events`, { account: null });
      assert.equal(evs.status, 200);
      assert.deepEqual(
        evs.json.map((e: any) => e.evtName),
        ['E1', 'E2'],
      );
      assert.equal(typeof evs.json[0].receivedAt, 'number');
      const page = await call(emu, `${base}/events?offset=1&limit=5`, { account: null });
      assert.deepEqual(
        page.json.map((e: any) => e.evtName),
        ['E2'],
      );
      const ps = await call(emu, `${base}/profiles`, { account: null });
      assert.equal(ps.json.length, 2);
      assert.deepEqual(ps.json[0].profileData, { Name: 'I' });
      assert.equal(ps.json[0].events, 2);
      const toks = await call(emu, `${base}/tokens`, { account: null });
      assert.equal(toks.json.length, 1);
      assert.equal(toks.json[0].tokenData.id, 't');
      const st = await call(emu, `${base}/stats`, { account: null });
      assert.equal(st.json.eventsAccepted, 2);
      assert.equal(st.json.profilesAccepted, 1);
      assert.equal(st.json.tokensAccepted, 1);
      assert.equal(st.json.requests, 1);
      const all = await call(emu, '/_emulator/accounts', { account: null });
      assert.deepEqual(
        all.json.map((a: any) => a.id),
        [A.id, B.id],
      );
      assert.equal((await call(emu, '/_emulator/accounts/NOPE/events', { account: null })).status, 404);
      assert.equal((await call(emu, '/_emulator/health', { account: null })).json.status, 'ok');
    });

    test('POST /_emulator/reset clears one account or all', async () => {
      await upload(emu, [event({ identity: 'r' })]);
      await upload(emu, [event({ identity: 'r' })], { account: B });
      let r = await call(emu, `/_emulator/reset?account=${B.id}`, { method: 'POST', account: null });
      assert.equal(r.status, 200);
      assert.equal(emu.events(A.id).length, 1);
      assert.equal(emu.events(B.id).length, 0);
      r = await call(emu, '/_emulator/reset', { method: 'POST', account: null });
      assert.equal(emu.events(A.id).length, 0);
      assert.equal(emu.stats(A.id).requests, 0);
    });
  });
});

describe('retain cap', () => {
  test('keeps the newest events and profiles; counters stay exact', async () => {
    const emu = await startEmulator({ accounts: [A], retain: 5, logger: false });
    try {
      const d = Array.from({ length: 12 }, (_, i) => event({ identity: `u${i}` }, `E${i}`));
      const r = await upload(emu, d);
      assert.equal(r.json.processed, 12);
      assert.deepEqual(
        emu.events(A.id).map((e: any) => e.evtName),
        ['E7', 'E8', 'E9', 'E10', 'E11'],
      );
      assert.deepEqual(
        emu.profiles(A.id).map((p) => p.identity),
        ['u7', 'u8', 'u9', 'u10', 'u11'],
      );
      const s = emu.stats(A.id);
      assert.equal(s.eventsAccepted, 12);
      assert.equal(s.eventsStored, 5);
      assert.equal(s.profilesStored, 5);
      // many more, to go through the ring's compaction
      for (let k = 0; k < 5; k++) await upload(emu, Array.from({ length: 1000 }, (_, i) => event({ identity: 'same' }, `F${k}-${i}`)));
      assert.deepEqual(
        emu.events(A.id).map((e: any) => e.evtName),
        ['F4-995', 'F4-996', 'F4-997', 'F4-998', 'F4-999'],
      );
      assert.equal(emu.stats(A.id).eventsAccepted, 5012);
    } finally {
      await emu.close();
    }
  });

  test('retain 0 stores nothing but counts', async () => {
    const emu = await startEmulator({ accounts: [A], retain: 0, logger: false });
    try {
      await upload(emu, [event({ identity: 'u' })]);
      assert.deepEqual(emu.events(A.id), []);
      assert.equal(emu.stats(A.id).eventsAccepted, 1);
    } finally {
      await emu.close();
    }
  });
});

describe('startEmulator options', () => {
  test('rejects bad options', async () => {
    await assert.rejects(startEmulator({ accounts: [] }), /at least one account/);
    await assert.rejects(startEmulator({ accounts: [{ id: 'x', passcode: '' }] }), /passcode/);
    await assert.rejects(startEmulator({ accounts: [A, A] }), /twice/);
    await assert.rejects(startEmulator({ accounts: [A], maxInFlight: 0 }), /maxInFlight/);
    await assert.rejects(startEmulator({ accounts: [A], faults: { failureRate: 2 } }), /failureRate/);
  });

  test('url and port; close is idempotent', async () => {
    const emu = await startEmulator({ accounts: [A], logger: false });
    assert.equal(emu.url, `http://127.0.0.1:${emu.port}`);
    assert.ok(emu.port > 0);
    await Promise.all([emu.close(), emu.close()]);
  });
});
