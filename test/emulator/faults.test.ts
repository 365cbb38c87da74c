// Emulator concurrency limit and fault injection (programmatic and over HTTP).
import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';

const A = { id: 'ACC-F', passcode: 'pw-f' };
const body = JSON.stringify({ d: [{ type: 'event', identity: 'u1', ts: 1_700_000_000, evtName: 'Viewed', evtData: { a: 1 } }] });

async function upload(emu: RunningEmulator, payload = body): Promise<{ status: number; json: any }> {
  const res = await fetch(`${emu.url}/1/upload`, {
    method: 'POST',
    headers: { 'X-CleverTap-Account-Id': A.id, 'X-CleverTap-Passcode': A.passcode, 'content-type': 'application/json' },
    body: payload,
  });
  return { status: res.status, json: await res.json() };
}

async function control(emu: RunningEmulator, path: string, payload?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(emu.url + path, {
    method: payload === undefined ? 'GET' : 'POST',
    headers: { 'content-type': 'application/json' },
    body: payload === undefined ? undefined : JSON.stringify(payload),
  });
  return { status: res.status, json: await res.json() };
}

describe('emulator faults', () => {
  let emu: RunningEmulator;
  before(async () => {
    emu = await startEmulator({ accounts: [A], logger: false });
  });
  after(() => emu.close());
  beforeEach(() => {
    emu.setFaults({});
    emu.reset();
  });

  test('in-flight limit: 16 concurrent requests held by latency → a 429', async () => {
    emu.setFaults({ latencyMs: 300 });
    const results = await Promise.all(Array.from({ length: 16 }, () => upload(emu)));
    const codes = results.map((r) => r.status).sort();
    assert.equal(codes.filter((c) => c === 429).length, 1, codes.join(','));
    assert.equal(codes.filter((c) => c === 200).length, 15);
    const r429 = results.find((r) => r.status === 429)!;
    assert.deepEqual(r429.json, { status: 'fail', error: 'Too many concurrent requests', code: 429 });
    const s = emu.stats(A.id);
    assert.equal(s.status429, 1);
    assert.equal(s.peakInFlight, 15);
    assert.equal(s.inFlight, 0);
    assert.equal(s.eventsAccepted, 15);
  });

  test('a sender at exactly the limit never sees a 429', async () => {
    emu.setFaults({ latencyMs: 5 });
    const worker = async () => {
      for (let i = 0; i < 10; i++) assert.equal((await upload(emu)).status, 200);
    };
    await Promise.all(Array.from({ length: 15 }, worker));
    assert.equal(emu.stats(A.id).status429, 0);
  });

  test('maxInFlight is configurable', async () => {
    const small = await startEmulator({ accounts: [A], maxInFlight: 3, faults: { latencyMs: 200 }, logger: false });
    try {
      const codes = (await Promise.all(Array.from({ length: 5 }, () => upload(small)))).map((r) => r.status);
      assert.equal(codes.filter((c) => c === 429).length, 2);
    } finally {
      await small.close();
    }
  });

  test('latency is added', async () => {
    emu.setFaults({ latencyMs: 150 });
    const t0 = performance.now();
    assert.equal((await upload(emu)).status, 200);
    assert.ok(performance.now() - t0 >= 140);
  });

  test('failureRate 1 → every request 503, nothing stored', async () => {
    emu.setFaults({ failureRate: 1 });
    for (let i = 0; i < 5; i++) {
      const r = await upload(emu);
      assert.equal(r.status, 503);
      assert.deepEqual(r.json, { status: 'fail', error: 'Service unavailable', code: 503 });
    }
    assert.equal(emu.stats(A.id).faulted, 5);
    assert.equal(emu.events(A.id).length, 0);
  });

  test('failureRate 0.5 with status 500 → a mix', async () => {
    emu.setFaults({ failureRate: 0.5, status: 500 });
    const codes = new Set<number>();
    for (let i = 0; i < 60; i++) codes.add((await upload(emu)).status);
    assert.deepEqual([...codes].sort(), [200, 500]);
  });

  test('status without failureRate → every request gets it', async () => {
    emu.setFaults({ status: 502 });
    for (let i = 0; i < 3; i++) assert.equal((await upload(emu)).status, 502);
    emu.setFaults({});
    assert.equal((await upload(emu)).status, 200);
  });

  test('faults do not bypass auth and do not hit the inspection API', async () => {
    emu.setFaults({ status: 503 });
    const res = await fetch(`${emu.url}/1/upload`, { method: 'POST', body });
    assert.equal(res.status, 401);
    assert.equal((await control(emu, `/_emulator/accounts/${A.id}/stats`)).status, 200);
  });

  test('partialRate 1 → every valid record unprocessed 555', async () => {
    emu.setFaults({ partialRate: 1 });
    const r = await upload(emu);
    assert.equal(r.status, 200);
    assert.equal(r.json.status, 'fail');
    assert.equal(r.json.unprocessed[0].code, 555);
    assert.match(r.json.unprocessed[0].error, /Skipped record number : 1$/);
    assert.equal(emu.events(A.id).length, 0);
  });

  test('faults over HTTP: set, read, clear, reject invalid', async () => {
    let r = await control(emu, '/_emulator/faults', { status: 500 });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.faults, { status: 500 });
    assert.deepEqual((await control(emu, '/_emulator/faults')).json, { status: 500 });
    assert.equal((await upload(emu)).status, 500);
    r = await control(emu, '/_emulator/faults', { failureRate: 'lots' });
    assert.equal(r.status, 400);
    r = await control(emu, '/_emulator/faults', { bogus: 1 });
    assert.equal(r.status, 400);
    assert.deepEqual(emu.faults(), { status: 500 }, 'invalid input leaves faults unchanged');
    await control(emu, '/_emulator/faults', {});
    assert.equal((await upload(emu)).status, 200);
  });

  test('POST /_emulator/faults with a body that is not JSON → 400, faults unchanged; an empty body clears', async () => {
    emu.setFaults({ status: 503 });
    for (const raw of ['{status: 500', 'not json', '   ']) {
      const res = await fetch(emu.url + '/_emulator/faults', { method: 'POST', headers: { 'content-type': 'application/json' }, body: raw });
      assert.equal(res.status, 400, JSON.stringify(raw));
      assert.equal(((await res.json()) as { code: number }).code, 400);
      assert.deepEqual(emu.faults(), { status: 503 }, `faults kept after ${JSON.stringify(raw)}`);
    }
    assert.equal((await upload(emu)).status, 503);
    const res = await fetch(emu.url + '/_emulator/faults', { method: 'POST' });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.deepEqual(emu.faults(), {});
  });

  test('close() does not hang on requests held by latency', async () => {
    const e2 = await startEmulator({ accounts: [A], faults: { latencyMs: 10_000 }, logger: false });
    const pending = upload(e2).catch(() => 'aborted');
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await e2.close();
    assert.ok(performance.now() - t0 < 2000);
    assert.equal(await pending, 'aborted');
  });
});
