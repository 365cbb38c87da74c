// kill -9 in the middle of a load: every acknowledged event is delivered after a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { startEmulator } from '../../src/emulator/index.js';
import { tmpDir, waitFor } from '../tmp.js';

const KEY = 'crash-key';

function startProcess(cfgFile: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', '--config', cfgFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TAPROUTE_LOG_LEVEL: 'warn' },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/[\d.:]+)/.exec(out);
      if (m) resolve({ child, url: m[1] });
    });
    child.stderr!.on('data', (d) => (out += d));
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
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
destinations: [{ id: ct, type: clevertap, settings: { accountId: acc, passcode: pass, endpoint: "${emu.url}", batchSize: 50 } }]
connections: [{ source: web, destination: ct }]
`,
  );
  try {
    let { child, url } = await startProcess(cfg);
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
    ({ child, url } = await startProcess(cfg));
    try {
      const delivered = await waitFor(() => {
        const got = new Set((emu.events('acc') as any[]).map((e) => e.evtData.i as number));
        for (const i of acked) if (!got.has(i)) return null;
        return got;
      }, 60_000, 'every acknowledged event delivered');
      const all = (emu.events('acc') as any[]).length;
      const duplicates = all - delivered.size;
      console.log(`crash test: acknowledged ${acked.size}, delivered ${delivered.size} distinct, ${duplicates} duplicates after SIGKILL`);
      assert.ok(delivered.size >= acked.size);
    } finally {
      child.kill('SIGTERM');
    }
  } finally {
    await emu.close();
    t.cleanup();
  }
});
