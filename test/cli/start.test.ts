// `taproute start` as a user runs it: one-line errors with exit code 1 (a port in use, a bad config, a half-set
// CleverTap account), the address actually bound in the banner, and a graceful stop on SIGTERM / SIGINT.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { basic, tmpDir, waitFor } from '../helpers.js';
import { requestAcrossStop } from '../harness/server-process.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = ['--import', 'tsx', join(ROOT, 'src/cli/main.ts')];
const CLEAN_ENV = { ...process.env, CLEVERTAP_ACCOUNT_ID: '', CLEVERTAP_PASSCODE: '', CLEVERTAP_REGION: '', HOST: '', PORT: '' };

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8', cwd: ROOT, env: { ...CLEAN_ENV, ...env }, timeout: 60_000 });
}

function launch(args: string[], env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env: { ...CLEAN_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, out: () => out, exited };
}

function configFile(dir: string, port = 0): string {
  const file = join(dir, 'taproute.yaml');
  writeFileSync(
    file,
    `server: { port: ${port} }
storage: { sqlite: store.sqlite, synchronous: NORMAL }
sources: [{ id: web, type: segment, writeKey: start-test-key }]
destinations: [{ id: hook, type: webhook, settings: { url: "http://127.0.0.1:9/never" } }]
connections: [{ source: web, destination: hook }]
`,
  );
  return file;
}

/** A one-line error on stderr, exit code 1, no stack trace. */
function assertOneLineError(r: ReturnType<typeof run>, pattern: RegExp) {
  assert.equal(r.status, 1, r.stderr + r.stdout);
  assert.match(r.stderr, pattern);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

describe('taproute start', { timeout: 400_000 }, () => {
  test('a port in use: one line saying how to choose another, exit code 1', async () => {
    const t = tmpDir();
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    const port = (busy.address() as { port: number }).port;
    try {
      assertOneLineError(run(['start', '--config', configFile(t.dir, port)]), new RegExp(`taproute: port ${port} on 127\\.0\\.0\\.1 is already in use: choose another with --port <n>`));
      assertOneLineError(run(['start', '--config', configFile(t.dir), '--port', String(port)]), /already in use/);
    } finally {
      busy.close();
      t.cleanup();
    }
  });

  test('a bad config: one line naming the key, exit code 1', () => {
    const t = tmpDir();
    const file = join(t.dir, 'bad.yaml');
    writeFileSync(file, 'router: { retryMax: 5 minutes }\n');
    assertOneLineError(run(['start', '--config', file]), /^taproute: invalid config: router\.retryMax: "5 minutes" is not valid/);
    t.cleanup();
  });

  test('the sandbox never pretends: a half-set CleverTap account or an unknown region is an error', () => {
    const t = tmpDir();
    assertOneLineError(run(['start', '--data', t.dir, '--port', '0'], { CLEVERTAP_ACCOUNT_ID: 'acc' }), /CLEVERTAP_ACCOUNT_ID is set but CLEVERTAP_PASSCODE is not/);
    assertOneLineError(run(['start', '--data', t.dir, '--port', '0'], { CLEVERTAP_PASSCODE: 'pw' }), /CLEVERTAP_PASSCODE is set but CLEVERTAP_ACCOUNT_ID is not/);
    assertOneLineError(
      run(['start', '--data', t.dir, '--port', '0'], { CLEVERTAP_ACCOUNT_ID: 'acc', CLEVERTAP_PASSCODE: 'pw', CLEVERTAP_REGION: 'mars' }),
      /CLEVERTAP_REGION: "mars" is not one of eu1, in1, sg1, us1, aps3, mec1, sk1/,
    );
    t.cleanup();
  });

  test('the sandbox banner shows the address actually bound', async () => {
    const t = tmpDir();
    const p = launch(['start', '--data', t.dir, '--port', '0'], { HOST: '127.0.0.2', TAPROUTE_LOG_LEVEL: 'warn' });
    try {
      await waitFor(() => /running on/.test(p.out()), 60_000, 'banner');
      assert.match(p.out(), /Taproute sandbox is running on http:\/\/127\.0\.0\.2:\d+\n/);
      assert.match(p.out(), /curl -s http:\/\/127\.0\.0\.2:\d+\/v1\/track/);
      p.child.kill('SIGINT');
      assert.equal(await p.exited, 0);
      assert.match(p.out(), /Taproute stopped on SIGINT/);
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
      t.cleanup();
    }
  });

  for (const signal of ['SIGTERM'] as const) {
    test(`${signal}: stops accepting, answers the request in flight, stores it, logs one line, exits 0`, async () => {
      const t = tmpDir();
      const p = launch(['start', '--config', configFile(t.dir)], { TAPROUTE_LOG_LEVEL: 'warn' });
      try {
        const url = new URL(await waitFor(() => /listening on (http:\/\/\S+)/.exec(p.out())?.[1], 60_000, 'listening'));
        const body = JSON.stringify({ userId: 'in-flight', event: 'Finished During Shutdown' });
        const answer = await requestAcrossStop(url, '/v1/track', basic('start-test-key'), body, () => p.child.kill(signal));
        assert.equal(await p.exited, 0, p.out());
        assert.match(answer, /^HTTP\/1\.1 200/, answer);
        assert.equal(p.out().match(/Taproute stopped/g)?.length, 1, p.out());
        assert.match(p.out(), new RegExp(`stopped on ${signal}`));
        const db = new Database(join(t.dir, 'store.sqlite'), { readonly: true });
        const rows = db.prepare('SELECT payload FROM messages').all() as { payload: string }[];
        db.close();
        assert.equal(rows.length, 1);
        assert.equal(JSON.parse(rows[0].payload).event, 'Finished During Shutdown');
      } finally {
        if (p.child.exitCode === null) p.child.kill('SIGKILL');
        t.cleanup();
      }
    });
  }
});

