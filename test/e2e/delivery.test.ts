// Delivery under faults: every event ends delivered or dead-lettered with its reason, and counts reconcile.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, post, get, basic, waitFor, reconciled, WRITE_KEY, ADMIN_TOKEN, type Stack } from '../helpers.js';

const auth = { authorization: basic(WRITE_KEY) };
const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function send(stack: Stack, batch: object[]) {
  const r = await post(`${stack.server.url}/v1/batch`, { batch }, auth);
  assert.equal(r.status, 200, JSON.stringify(r.body));
}
const tracks = (n: number, users = 10, prefix = 'e') =>
  Array.from({ length: n }, (_, i) => ({ type: 'track', userId: `u${i % users}`, event: 'Played', properties: { seq: i }, messageId: `${prefix}-${i}` }));

async function drained(stack: Stack, timeoutMs = 20_000) {
  await waitFor(async () => (await stack.server.store.counts()).every((c) => c.pending === 0), timeoutMs, 'all jobs settled');
  assert.ok(await reconciled(stack.server), 'received = delivered + dead + filtered + pending');
  return (await stack.server.store.counts())[0];
}

describe('delivery under faults', () => {
  test('503 on half the requests: everything is delivered, in order per user', async () => {
    const stack = await startStack({ emulator: { faults: { failureRate: 0.5, status: 503 } }, clevertap: { batchSize: 20 } });
    try {
      await send(stack, tracks(200));
      const c = await drained(stack);
      assert.equal(c.delivered, 200);
      assert.equal(c.dead, 0);
      const events = stack.emulator.events('acc') as any[];
      const seqs = new Map<string, number[]>();
      for (const e of events) seqs.set(e.identity, [...(seqs.get(e.identity) ?? []), e.evtData.seq]);
      for (const [u, s] of seqs) assert.deepEqual(s, [...s].sort((a, b) => a - b), `order for ${u}`);
    } finally {
      await stack.close();
    }
  });

  test('429 then recovery; slow answers', async () => {
    const stack = await startStack({ emulator: { faults: { status: 429 } } });
    try {
      await send(stack, tracks(30));
      await waitFor(() => stack.server.workers.get('ct')!.status().state === 'backoff', 5000, 'backoff');
      stack.emulator.setFaults({ latencyMs: 50 });
      const c = await drained(stack);
      assert.equal(c.delivered, 30);
    } finally {
      await stack.close();
    }
  });

  test('partial answers: invalid records are dead-lettered with CleverTap\'s code, the rest delivered', async () => {
    // objectIdMapping off, own mode: the profile Email is validated by the emulator independently.
    // The emulator discards "Old Event" (CleverTap's 528, as an account's discarded-events list does):
    // only CleverTap can know that, so the record is refused in CleverTap's per-record answer.
    const stack = await startStack({ emulator: { discardedEvents: ['Old Event'] } });
    try {
      await send(stack, [
        { type: 'track', userId: 'p1', event: 'Good' },
        { type: 'group', userId: 'p1', groupId: 'g1' },
        { type: 'track', userId: 'p2', event: 'App Launched' },
        { type: 'track', userId: 'p4', event: 'Old Event' },
        { type: 'track', userId: 'p3', event: 'Fine' },
      ]);
      const c = await drained(stack);
      assert.equal(c.delivered, 2);
      assert.equal(c.dead, 3);
      const list = await get(`${stack.server.url}/admin/failures?destination=ct`, admin);
      assert.equal(list.status, 200);
      const codes = list.body.map((f: any) => f.code).sort();
      assert.deepEqual(codes, ['528', 'restricted_event', 'unsupported_type']);
      const discarded = list.body.find((f: any) => f.code === '528');
      assert.match(discarded.reason, /Skipped record number/, 'CleverTap\'s own text is kept');
      const one = await get(`${stack.server.url}/admin/failures/${list.body[0].id}`, admin);
      assert.ok(one.body.message.type, 'the dead letter carries its message');
      assert.equal((await get(`${stack.server.url}/admin/failures`)).status, 401, 'admin needs the token');
    } finally {
      await stack.close();
    }
  });

  test('record-level 555 is retried; other users are not held back', async () => {
    const stack = await startStack({ emulator: { faults: { partialRate: 0.3 } } });
    try {
      await send(stack, tracks(100, 5));
      await new Promise((r) => setTimeout(r, 300));
      stack.emulator.setFaults({});
      const c = await drained(stack);
      assert.equal(c.delivered, 100);
    } finally {
      await stack.close();
    }
  });

  test('retries stop at the age limit and dead-letter with the last reason; replay delivers them', async () => {
    const stack = await startStack({ emulator: { faults: { status: 503 } }, config: { router: { maxRetryAge: '300ms', retryBase: '20ms', retryMax: '50ms', pollInterval: '20ms' } } });
    try {
      await send(stack, tracks(5));
      const c = await drained(stack);
      assert.equal(c.dead, 5);
      const f = (await stack.server.store.failures({ destination: 'ct' }));
      assert.match(f[0].reason, /503/);
      stack.emulator.setFaults({});
      const r = await post(`${stack.server.url}/admin/failures/replay`, { destination: 'ct' }, admin);
      assert.equal(r.body.replayed, 5);
      const after = await drained(stack);
      assert.equal(after.delivered, 5);
      assert.equal(after.dead, 0);
    } finally {
      await stack.close();
    }
  });

  test('401 pauses the destination and keeps its events', async () => {
    const stack = await startStack({ clevertap: { passcode: 'wrong' } });
    try {
      await send(stack, tracks(3));
      await waitFor(() => stack.server.workers.get('ct')!.status().state === 'paused', 5000, 'paused');
      const st = await get(`${stack.server.url}/admin/status`, admin);
      assert.match(st.body.destinations.ct.reason, /401/);
      const c = (await stack.server.store.counts())[0];
      assert.equal(c.pending, 3);
      assert.equal(c.dead, 0);
    } finally {
      await stack.close();
    }
  });

  test('user deletion: profiles deleted in CleverTap, later events suppressed and counted as filtered', async () => {
    const stack = await startStack();
    try {
      await send(stack, [{ type: 'identify', userId: 'gone', traits: { email: 'gone@example.com' } }]);
      await waitFor(() => (stack.emulator.profiles('acc') as any[]).some((p) => p.identity === 'gone'));
      const r = await post(`${stack.server.url}/admin/regulations`, { regulationType: 'suppress_with_delete', users: [{ userId: 'gone' }] }, admin);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal((stack.emulator.profiles('acc') as any[]).some((p) => p.identity === 'gone'), false);
      await send(stack, [{ type: 'track', userId: 'gone', event: 'After' }, { type: 'track', userId: 'stay', event: 'After' }]);
      const c = await drained(stack);
      assert.equal(c.filtered, 1);
      assert.equal((stack.emulator.events('acc') as any[]).some((e) => e.identity === 'gone'), false);
      const bad = await post(`${stack.server.url}/admin/regulations`, { regulationType: 'nope', users: [] }, admin);
      assert.equal(bad.status, 400);
    } finally {
      await stack.close();
    }
  });

  test('user deletion goes to CleverTap 100 identities per call', async () => {
    const stack = await startStack();
    try {
      const users = Array.from({ length: 150 }, (_, i) => ({ userId: `del-${i}` }));
      await send(stack, users.map((u) => ({ type: 'identify', userId: u.userId, traits: { plan: 'x' } })));
      await drained(stack);
      const before = stack.emulator.stats('acc').requests;
      const r = await post(`${stack.server.url}/admin/regulations`, { regulationType: 'suppress_with_delete', users }, admin);
      assert.equal(r.status, 200);
      assert.equal(stack.emulator.stats('acc').requests - before, 2, '150 identities = 2 calls');
      assert.equal(stack.emulator.stats('acc').profilesDeleted, 150);
    } finally {
      await stack.close();
    }
  });

  test('metrics and status expose the reconciled counts', async () => {
    const stack = await startStack();
    try {
      await send(stack, tracks(4));
      await drained(stack);
      const m = await get(`${stack.server.url}/metrics`);
      assert.match(m.body, /taproute_events\{source="web",destination="ct",state="delivered"\} 4/);
      assert.match(m.body, /taproute_events\{source="web",destination="ct",state="received"\} 4/);
      assert.match(m.body, /taproute_process_resident_memory_bytes \d+/);
      assert.match(m.body, /taproute_destination_up\{destination="ct",state="running"\} 1/);
    } finally {
      await stack.close();
    }
  });
});

describe('request-level rejections and logs', () => {
  test('a status that says nothing about the records (a proxy\'s 404) is retried, never dead-lettered', async () => {
    const stack = await startStack({ emulator: { faults: { status: 404 } } });
    try {
      await send(stack, tracks(6));
      await waitFor(() => stack.server.workers.get('ct')!.status().state === 'backoff', 5000, 'backoff');
      assert.equal((await stack.server.store.counts())[0].dead, 0);
      stack.emulator.setFaults({});
      const c = await drained(stack);
      assert.equal(c.delivered, 6);
      assert.equal(c.dead, 0);
    } finally {
      await stack.close();
    }
  });

  test('admin filters are validated; an empty id list replays nothing', async () => {
    const stack = await startStack();
    try {
      await send(stack, [{ type: 'group', userId: 'g', groupId: 'x' }]);
      await drained(stack);
      assert.equal((await get(`${stack.server.url}/admin/failures?limit=abc`, admin)).status, 400);
      assert.equal((await get(`${stack.server.url}/admin/failures?since=garbage`, admin)).status, 400);
      const none = await post(`${stack.server.url}/admin/failures/replay`, { ids: [] }, admin);
      assert.equal(none.body.replayed, 0);
      const one = await post(`${stack.server.url}/admin/failures/replay`, { limit: 1 }, admin);
      assert.equal(one.body.replayed, 1);
    } finally {
      await stack.close();
    }
  });

  test('a 400 for the whole request is narrowed down to the records that cause it', async () => {
    // The emulator refuses requests of more than 4 records with 400; Taproute sends 10 and must split.
    const stack = await startStack({ emulator: { maxRecords: 4 } });
    try {
      await send(stack, tracks(10, 10, 'n'));
      const c = await drained(stack);
      assert.equal(c.delivered, 10);
      assert.equal((stack.emulator.events('acc') as any[]).length, 10);
    } finally {
      await stack.close();
    }
  });

  test('logs never contain a write key or passcode', async () => {
    const { Writable } = await import('node:stream');
    const { pino } = await import('pino');
    const { REDACT } = await import('../../src/util/logger.js');
    const { startServer } = await import('../../src/server.js');
    const { parseConfig } = await import('../../src/config/load.js');
    const { startEmulator } = await import('../../src/emulator/index.js');
    let logs = '';
    const sink = new Writable({ write(chunk, _e, cb) { logs += chunk; cb(); } });
    const logger = pino({ level: 'debug', redact: { paths: REDACT, censor: '[redacted]' } }, sink);
    const emu = await startEmulator({ port: 0, accounts: [{ id: 'acc', passcode: 'pass-SECRET-1' }], logger: false });
    const server = await startServer(
      parseConfig({
        server: { port: 0 },
        storage: { sqlite: `${(await import('node:os')).tmpdir()}/taproute-logs-${process.pid}.sqlite` },
        router: { pollInterval: '20ms', retryBase: '20ms', retryMax: '50ms' },
        sources: [{ id: 'web', type: 'segment', writeKey: 'wk-SECRET-2' }],
        destinations: [
          { id: 'ok', type: 'clevertap', settings: { accountId: 'acc', passcode: 'pass-SECRET-1', endpoint: emu.url } },
          { id: 'bad', type: 'clevertap', settings: { accountId: 'acc', passcode: 'wrong-SECRET-3', endpoint: emu.url } },
        ],
        connections: [{ source: 'web', destination: 'ok' }, { source: 'web', destination: 'bad' }],
      }),
      { logger },
    );
    try {
      await post(`${server.url}/v1/batch`, { batch: [{ type: 'track', userId: 'u', event: 'E' }] }, { authorization: basic('wk-SECRET-2') });
      await post(`${server.url}/v1/track`, { userId: 'u', event: 'E', writeKey: 'wk-SECRET-2' });
      await post(`${server.url}/v1/track`, { userId: 'u', event: 'E' }, { authorization: basic('wrong-SECRET-4') });
      await waitFor(() => server.workers.get('bad')!.status().state === 'paused', 5000, 'bad destination paused');
      await waitFor(async () => (await server.store.counts()).find((c) => c.destinationId === 'ok')?.delivered === 2);
      assert.ok(logs.length > 0, 'something was logged');
      assert.ok(!/SECRET/.test(logs), `a secret leaked into the logs:\n${logs}`);
    } finally {
      await server.close();
      await emu.close();
    }
  });
});
