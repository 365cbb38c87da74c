// kill -9 in the middle of a load: every acknowledged event is delivered after a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { startEmulator } from '../../src/emulator/index.js';
import { startServerProcess } from '../harness/server-process.js';
import { tmpDir, waitFor } from '../tmp.js';

const KEY = 'crash-key';
/** Jobs per deliver() call: the CleverTap destination's batchSize (one record per track event). */
const BATCH = 50;
/** deliver() calls the router keeps in flight for the destination: its maxInFlight. */
const IN_FLIGHT = 15;

/** The destination's reconciliation counts, as the restarted process exposes them on /metrics. */
async function counts(url: string): Promise<Record<string, number>> {
  const res = await request(`${url}/metrics`);
  const text = await res.body.text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^taproute_events\{[^}]*destination="ct",state="(\w+)"\} (\d+)$/gm)) out[m[1]] = Number(m[2]);
  return out;
}

test('SIGKILL mid-load loses no acknowledged event', { timeout: 120_000 }, async () => {
  const t = tmpDir();
  const emu = await startEmulator({ port: 0, accounts: [{ id: 'acc', passcode: 'pass' }], logger: false, faults: { latencyMs: 5 } });
  const cfg = join(t.dir, 'taproute.yaml');
  writeFileSync(
    cfg,
    `server: { port: 0 }
storage: { sqlite: ${join(t.dir, 'store.sqlite')} }
router: { retryBase: 20ms, retryMax: 200ms, pollInterval: 20ms }
sources: [{ id: web, type: segment, writeKey: ${KEY} }]
destinations: [{ id: ct, type: clevertap, settings: { accountId: acc, passcode: pass, endpoint: "${emu.url}", batchSize: ${BATCH}, maxInFlight: ${IN_FLIGHT} } }]
connections: [{ source: web, destination: ct }]
`,
  );
  try {
    let { child, url } = await startServerProcess(cfg);
    const acked = new Set<number>();
    let seq = 0;
    let killed = false;
    const auth = 'Basic ' + Buffer.from(`${KEY}:`).toString('base64');
    // Four clients send batches of 50 until the server dies.
    const client = async () => {
      while (!killed) {
        const ids = Array.from({ length: 50 }, () => seq++);
        try {
          const res = await request(`${url}/v1/batch`, {
            method: 'POST',
            headers: { authorization: auth, 'content-type': 'application/json' },
            body: JSON.stringify({ batch: ids.map((i) => ({ type: 'track', userId: `u${i % 37}`, event: 'Load', properties: { i }, messageId: `m-${i}` })) }),
          });
          await res.body.text();
          if (res.statusCode === 200) for (const i of ids) acked.add(i);
        } catch {
          return; // connection refused or reset: the server is gone
        }
      }
    };
    const clients = [client(), client(), client(), client()];
    await waitFor(() => acked.size >= 3000, 30_000, 'load');
    child.kill('SIGKILL');
    killed = true;
    await Promise.all(clients);
    ({ child, url } = await startServerProcess(cfg));
    try {
      // Wait until the restarted router has settled every stored job, then compare by id.
      const c = await waitFor(async () => {
        const c = await counts(url);
        return c.received > 0 && c.pending === 0 ? c : null;
      }, 60_000, 'the restarted router to settle every stored event');
      assert.equal(c.dead, 0, 'no event was dead-lettered');
      const sent = (emu.events('acc') as any[]).map((e) => e.evtData.i as number);
      const delivered = new Set(sent);
      const missing = [...acked].filter((i) => !delivered.has(i));
      assert.deepEqual(missing, [], 'every acknowledged event was delivered');
      // At-least-once, and no more than that: an event is sent twice only if it was in a request whose answer
      // the killed process had not yet settled (settling commits to the WAL, which survives kill -9). The
      // router keeps at most IN_FLIGHT deliver() calls of at most BATCH jobs each in flight, and each such job
      // is sent once more after the restart, so the duplicates are bounded by IN_FLIGHT × BATCH.
      const duplicates = sent.length - delivered.size;
      console.log(`crash test: acknowledged ${acked.size}, delivered ${delivered.size} distinct, ${duplicates} duplicates after SIGKILL`);
      assert.ok(duplicates <= IN_FLIGHT * BATCH, `${duplicates} duplicates, more than the ${IN_FLIGHT * BATCH} jobs that can be in flight`);
    } finally {
      child.kill('SIGTERM');
    }
  } finally {
    await emu.close();
    t.cleanup();
  }
});

test('a restart right after SIGKILL of the whole process group (a wrapper shell and the server) starts at once', { timeout: 120_000 }, async () => {
  const t = tmpDir();
  const cfg = join(t.dir, 'taproute.yaml');
  writeFileSync(
    cfg,
    `server: { port: 0 }
storage: { sqlite: ${join(t.dir, 'store.sqlite')} }
sources: [{ id: web, type: segment, writeKey: ${KEY} }]
destinations: [{ id: hook, type: webhook, settings: { url: "http://127.0.0.1:9/unused" } }]
connections: [{ source: web, destination: hook }]
`,
  );
  // The wrapper shell runs the server as its child, in a process group of their own, as a service script would.
  const wrapper = spawn('sh', ['-c', `"${process.execPath}" --import tsx src/cli/main.ts start --config "${cfg}" & echo "server pid $!"; wait`], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TAPROUTE_LOG_LEVEL: 'warn' },
  });
  let out = '';
  wrapper.stdout!.on('data', (d) => (out += d));
  wrapper.stderr!.on('data', (d) => (out += d));
  try {
    await waitFor(() => /listening on/.test(out), 60_000, 'the first server');
    assert.match(out, /server pid \d+/);
    process.kill(-wrapper.pid!, 'SIGKILL');
    // Restart at once: the killed server may linger as a zombie whose parent (the shell) died with it (the store
    // tests open a store while its killed owner is certainly an unreaped zombie).
    const { child } = await startServerProcess(cfg);
    child.kill('SIGTERM');
  } finally {
    try {
      process.kill(-wrapper.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    t.cleanup();
  }
});
