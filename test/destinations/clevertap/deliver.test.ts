// The CleverTap deliverer on its own (create() → deliver(jobs)) against the emulator: how jobs become upload
// requests, and how CleverTap's answers become one outcome per job. No router, no store, no timers.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import type { InboundMessage } from '../../../src/message/schema.js';
import type { Outcome } from '../../../src/core/job.js';
import { createTestDestination, type SentRequest, type TestDestination } from '../../harness/destination.js';

const T = '2024-05-01T12:34:56.789Z';

function track(userId: string, event = 'Clicked', properties: Record<string, unknown> = {}): InboundMessage {
  return { type: 'track', userId, event, properties, timestamp: T };
}

/** An identify that carries a device token (segment mode: the anonymousId is the objectId). */
function withToken(i: number): InboundMessage {
  return { type: 'identify', userId: `u${i}`, anonymousId: `a${i}`, timestamp: T, traits: { plan: 'pro' }, context: { os: { name: 'Android' }, device: { token: `tok-${i}` } } };
}

function records(r: SentRequest): { type: string; evtName?: string; identity?: string }[] {
  return r.body.d;
}

function statuses(outcomes: Outcome[]): Record<number, string> {
  return Object.fromEntries(outcomes.map((o) => [o.jobId, o.status]));
}

const open: TestDestination[] = [];
async function destination(...args: Parameters<typeof createTestDestination>): Promise<TestDestination> {
  const d = await createTestDestination(...args);
  open.push(d);
  return d;
}
after(async () => {
  for (const d of open) await d.close();
});

describe('requests', () => {
  test('at most 1000 records per request, in job order', async () => {
    const ct = await destination('clevertap');
    const msgs = Array.from({ length: 2500 }, (_, i) => track(`u${i}`));
    const { outcomes, sent } = await ct.deliver(msgs);
    assert.deepEqual(sent.map((r) => records(r).length), [1000, 1000, 500]);
    assert.deepEqual(sent.flatMap(records).map((r) => r.identity), msgs.map((m) => m.userId));
    assert.equal(outcomes.length, 2500);
    assert.ok(outcomes.every((o) => o.status === 'done'));
    assert.equal(ct.emulator!.stats('acc').eventsAccepted, 2500);
  });

  test('at most 100 token records per request; a job keeps its profile and token together', async () => {
    const ct = await destination('clevertap', { compat: 'segment' });
    const { outcomes, sent } = await ct.deliver(Array.from({ length: 150 }, (_, i) => withToken(i)));
    const tokens = sent.map((r) => records(r).filter((x) => x.type === 'token').length);
    assert.deepEqual(tokens, [100, 50]);
    assert.deepEqual(sent.map((r) => records(r).length), [200, 100]);
    for (const r of sent) for (let i = 0; i < records(r).length; i += 2) assert.deepEqual([records(r)[i].type, records(r)[i + 1].type], ['profile', 'token']);
    assert.ok(outcomes.every((o) => o.status === 'done'));
    assert.equal(ct.emulator!.tokens('acc').length, 150);
  });

  test('batchSize: a job whose records do not fit goes to the next request', async () => {
    const ct = await destination('clevertap', { compat: 'segment', batchSize: 3 });
    const { sent } = await ct.deliver([withToken(1), withToken(2), track('u3')]);
    assert.deepEqual(sent.map((r) => records(r).map((x) => x.type)), [['profile', 'token'], ['profile', 'token', 'event']]);
  });

  test('messages the mapping rejects or filters are never sent', async () => {
    const ct = await destination('clevertap', { trackAnonymous: false });
    const { outcomes, sent } = await ct.deliver([
      track('u1'),
      { type: 'group', userId: 'u2', groupId: 'g', timestamp: T },
      { type: 'track', anonymousId: 'a3', event: 'x', timestamp: T },
    ]);
    assert.equal(sent.length, 1);
    assert.equal(records(sent[0]).length, 1);
    assert.deepEqual(statuses(outcomes), { 1: 'done', 2: 'dead', 3: 'filtered' });
    assert.deepEqual(outcomes.find((o) => o.jobId === 2), { jobId: 2, status: 'dead', code: 'unsupported_type', reason: 'CleverTap has no groups: group messages are not sent' });
  });

  test('the mapping warnings are reported per message', async () => {
    const ct = await destination('clevertap');
    const { warnings } = await ct.deliver([track('u1', 'Clicked', { 'a.b': 1 }), track('u2')]);
    assert.deepEqual(warnings.map((w) => w.map((x) => x.code)), [['key_cleaned'], []]);
  });
});

describe('per-record answers (HTTP 200 with unprocessed)', () => {
  test('a validation code dead-letters that record only; the others are done', async () => {
    const ct = await destination('clevertap', {}, { emulator: { discardedEvents: ['Old Event'], maxEventProperties: 2 } });
    const { outcomes, sent } = await ct.deliver([track('u1'), track('u2', 'Old Event'), track('u3'), track('u4', 'Wide', { a: 1, b: 2, c: 3 })]);
    assert.equal(sent.length, 1);
    assert.deepEqual(statuses(outcomes), { 1: 'done', 2: 'dead', 3: 'done', 4: 'dead' });
    assert.deepEqual(outcomes.filter((o) => o.status === 'dead').map((o) => [o.jobId, (o as { code: string }).code]), [[2, '528'], [4, '522']]);
    assert.deepEqual(ct.emulator!.events('acc').map((e) => (e as { identity: string }).identity), ['u1', 'u3']);
  });

  test('a record refused in the answer: its dead letter keeps what was sent and what the mapping fixed; a done job its warnings', async () => {
    const ct = await destination('clevertap', {}, { emulator: { maxEventProperties: 2 } });
    const { outcomes } = await ct.deliver([track('u1', 'Clicked', { 'a.b': 1 }), track('u2', 'Wide', { 'x.y': 1, b: 2, c: 3 })]);
    const [done, dead] = [1, 2].map((id) => outcomes.find((o) => o.jobId === id) as { status: string; warnings?: { code: string }[]; records?: { evtName?: string }[] });
    assert.deepEqual([done.status, done.warnings?.map((w) => w.code), done.records], ['done', ['key_cleaned'], undefined]);
    assert.deepEqual([dead.status, dead.warnings?.map((w) => w.code), dead.records?.map((r) => r.evtName)], ['dead', ['key_cleaned'], ['Wide']]);
  });

  test('555 → that record is retried on its own (scope record)', async () => {
    const ct = await destination('clevertap', {}, { emulator: { faults: { partialRate: 1 } } });
    const { outcomes } = await ct.deliver([track('u1'), track('u2')]);
    assert.deepEqual(outcomes.map((o) => o.status === 'retry' && [o.jobId, o.scope, o.code]), [[1, 'record', '555'], [2, 'record', '555']]);
    assert.match((outcomes[1] as { reason: string }).reason, /Skipped record number : 2$/);
    assert.equal(ct.emulator!.events('acc').length, 0);
  });

  test('answers are matched to jobs by record number, else by the record itself; a job takes its worst record', async () => {
    const ct = await destination('clevertap', { compat: 'segment' });
    const token2 = { type: 'token', objectId: 'a2', tokenData: { id: 'tok-2', type: 'fcm' } };
    ct.script({
      status: 200,
      body: {
        status: 'partial',
        processed: 3,
        unprocessed: [
          { status: 'fail', code: 555, error: 'Internal error. Skipped record number : 2' }, // job 1's token
          { status: 'fail', code: 534, error: 'Invalid token type', record: token2 }, // job 2's token, found by content
          { status: 'fail', code: 555, error: 'Internal error. Skipped record number : 4' }, // job 2's token again
        ],
      },
    });
    const { outcomes } = await ct.deliver([withToken(1), withToken(2), track('u3')]);
    assert.deepEqual(
      outcomes.map((o) => [o.jobId, o.status, o.status === 'retry' || o.status === 'dead' ? o.code : '']),
      [[1, 'retry', '555'], [2, 'retry', '555'], [3, 'done', '']],
      'a retryable record outweighs a dead one of the same job',
    );
  });

  test('a refusal that names no record: every job not known to be refused is retried, none counted as done', async () => {
    const ct = await destination('clevertap');
    ct.script({ status: 200, body: { status: 'partial', processed: 1, unprocessed: [{ status: 'fail', code: 512, error: 'Skipped record number : 1' }, { status: 'fail', code: 512, error: 'something' }] } });
    const { outcomes } = await ct.deliver([track('u1'), track('u2')]);
    assert.deepEqual(outcomes.map((o) => [o.status, o.status === 'retry' ? o.code : '']), [['dead', ''], ['retry', 'unmatched']]);
    assert.ok(ct.logs.some((l) => l.level === 'warn'));
  });
});

describe('whole-request failures', () => {
  test('401 (credentials refused by the emulator) → retry with scope auth', async () => {
    const ct = await destination('clevertap', { passcode: 'wrong' });
    const { outcomes } = await ct.deliver([track('u1'), track('u2')]);
    assert.deepEqual(outcomes.map((o) => o.status === 'retry' && [o.scope, o.code]), [['auth', 'http_401'], ['auth', 'http_401']]);
  });

  test('403 → retry with scope auth', async () => {
    const ct = await destination('clevertap');
    ct.script({ status: 403, body: { status: 'fail', error: 'Forbidden', code: 403 } });
    const { outcomes } = await ct.deliver([track('u1')]);
    assert.deepEqual(outcomes, [{ jobId: 1, status: 'retry', code: 'http_403', reason: 'CleverTap answered 403: Forbidden', scope: 'auth' }]);
  });

  for (const [label, retryAfter, expected] of [['seconds', '7', 7000], ['a fraction', '1.5', 1500], ['zero', '0', 0], ['none', undefined, undefined]] as const) {
    test(`429 with Retry-After ${label} → retry the request, Retry-After honoured`, async () => {
      const ct = await destination('clevertap');
      ct.script({ status: 429, headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter }, body: { status: 'fail', error: 'Too many concurrent requests', code: 429 } });
      const { outcomes } = await ct.deliver([track('u1')]);
      const o = outcomes[0];
      assert.ok(o.status === 'retry');
      assert.deepEqual([o.scope, o.code, o.retryAfterMs], ['request', 'http_429', expected]);
    });
  }

  test('5xx (emulator fault) → retry the request', async () => {
    const ct = await destination('clevertap', {}, { emulator: { faults: { status: 503 } } });
    const { outcomes } = await ct.deliver([track('u1'), track('u2')]);
    assert.deepEqual(outcomes.map((o) => o.status === 'retry' && [o.scope, o.code]), [['request', 'http_503'], ['request', 'http_503']]);
    assert.equal(ct.emulator!.events('acc').length, 0);
  });

  test('a timeout → retry the request', async () => {
    const ct = await destination('clevertap', { requestTimeoutMs: 100 });
    ct.script({ status: 200, delayMs: 5000, body: { status: 'success', processed: 1, unprocessed: [] } });
    const { outcomes } = await ct.deliver([track('u1')]);
    assert.ok(outcomes[0].status === 'retry');
    assert.deepEqual([outcomes[0].scope, outcomes[0].code], ['request', 'network']);
  });

  test('an answer that is not CleverTap\'s (a proxy\'s 404) → retry the request', async () => {
    const ct = await destination('clevertap');
    ct.script({ status: 404, body: 'not found' });
    const { outcomes } = await ct.deliver([track('u1')]);
    assert.ok(outcomes[0].status === 'retry' && outcomes[0].scope === 'request' && outcomes[0].code === 'http_404');
  });

  test('after a request fails as a whole, the later requests of the batch are not sent', async () => {
    const ct = await destination('clevertap', { batchSize: 2 });
    ct.script({ status: 503, headers: { 'retry-after': '3' }, body: { status: 'fail', error: 'Service unavailable', code: 503 } });
    const { outcomes, sent } = await ct.deliver([track('u1'), track('u2'), track('u3'), track('u4')]);
    assert.equal(sent.length, 1);
    assert.ok(outcomes.every((o) => o.status === 'retry' && o.scope === 'request' && o.retryAfterMs === 3000));
    assert.equal(outcomes.length, 4);
  });
});

describe('narrowing a rejected request (400)', () => {
  test('halves are sent until the job that causes it is alone: it is dead, the others delivered', async () => {
    const ct = await destination('clevertap');
    const poisoned = (r: { body: any }) => Array.isArray(r.body?.d) && r.body.d.some((x: { evtName?: string }) => x.evtName === 'Poison');
    ct.script({ when: poisoned, times: 10, status: 400, body: { status: 'fail', error: 'Malformed request', code: 400 } });
    const { outcomes, sent } = await ct.deliver([track('u1'), track('u2'), track('u3', 'Poison'), track('u4')]);
    assert.deepEqual(sent.map((r) => [records(r).map((x) => x.identity), r.answer.status]), [
      [['u1', 'u2', 'u3', 'u4'], 400],
      [['u1', 'u2'], 200],
      [['u3', 'u4'], 400],
      [['u3'], 400],
      [['u4'], 200],
    ]);
    assert.deepEqual(statuses(outcomes), { 1: 'done', 2: 'done', 3: 'dead', 4: 'done' });
    // The dead letter keeps what was sent for it.
    const { records: deadRecords, ...dead } = outcomes.find((o) => o.jobId === 3) as { records?: { evtName?: string; identity?: string }[] };
    assert.deepEqual(dead, { jobId: 3, status: 'dead', code: 'http_400', reason: 'Malformed request' });
    assert.deepEqual(deadRecords?.map((r) => [r.identity, r.evtName]), [['u3', 'Poison']]);
    assert.deepEqual(ct.emulator!.events('acc').map((e) => (e as { identity: string }).identity), ['u1', 'u2', 'u4']);
  });

  test('the emulator\'s own 400 (more records than it takes) is narrowed into requests it accepts', async () => {
    const ct = await destination('clevertap', {}, { emulator: { maxRecords: 2 } });
    const { outcomes, sent } = await ct.deliver([track('u1'), track('u2'), track('u3'), track('u4')]);
    assert.deepEqual(sent.map((r) => r.answer.status), [400, 200, 200]);
    assert.ok(outcomes.every((o) => o.status === 'done'));
  });

  test('a whole-request failure while narrowing stops it: the rest is retried, not sent', async () => {
    const ct = await destination('clevertap');
    ct.script({ status: 400, body: { status: 'fail', error: 'Malformed request', code: 400 } }, { status: 503, body: { status: 'fail', error: 'Service unavailable', code: 503 } });
    const { outcomes, sent } = await ct.deliver([track('u1'), track('u2'), track('u3'), track('u4')]);
    assert.equal(sent.length, 2);
    assert.ok(outcomes.every((o) => o.status === 'retry' && o.scope === 'request' && o.code === 'http_503'));
    assert.equal(outcomes.length, 4);
  });
});
