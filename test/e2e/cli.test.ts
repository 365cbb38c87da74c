// The commands a user runs: the zero-config sandbox, `status` and `failures` against a real store file.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { startEmulator } from '../../src/emulator/index.js';
import { startServer } from '../../src/server.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/util/logger.js';
import { tmpDir, waitFor } from '../tmp.js';

const CLI = ['--import', 'tsx', 'src/cli/main.ts'];
const run = (args: string[]) => spawnSync(process.execPath, [...CLI, ...args], { encoding: 'utf8' });

/** An emulated CleverTap and a config file sending one segment source (this write key) to it. */
async function emulatorAndConfig(writeKey: string, settings = '') {
  const t = tmpDir();
  const emu = await startEmulator({ port: 0, accounts: [{ id: 'acc', passcode: 'pass' }], logger: false });
  const cfgFile = join(t.dir, 'taproute.yaml');
  writeFileSync(
    cfgFile,
    `server: { port: 0 }
storage: { sqlite: store.sqlite }
router: { pollInterval: 20ms }
sources: [{ id: web, type: segment, writeKey: ${writeKey} }]
destinations: [{ id: ct, type: clevertap, settings: { accountId: acc, passcode: pass, endpoint: "${emu.url}"${settings} } }]
connections: [{ source: web, destination: ct }]
`,
  );
  return { t, emu, cfgFile };
}

describe('taproute CLI', () => {
  test('start without a config runs the sandbox: the first curl becomes a stored CleverTap event', { timeout: 60_000 }, async () => {
    const t = tmpDir();
    const child = spawn(process.execPath, [...CLI, 'start', '--port', '0', '--data', t.dir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TAPROUTE_LOG_LEVEL: 'warn', CLEVERTAP_ACCOUNT_ID: '', CLEVERTAP_PASSCODE: '' } });
    try {
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      await waitFor(() => /events\n/.test(out) && /write key:\s+(\S+)/.test(out), 20_000, 'sandbox banner');
      const url = /running on (http:\/\/\S+)/.exec(out)![1];
      const writeKey = /write key:\s+(\S+)/.exec(out)![1];
      const emulator = /curl -s (http:\/\/\S+\/_emulator\/accounts\/sandbox\/events)/.exec(out)![1];
      const res = await request(`${url}/v1/track`, {
        method: 'POST',
        headers: { authorization: 'Basic ' + Buffer.from(`${writeKey}:`).toString('base64') }, // no content type, as a bare curl -d sends form data
        body: JSON.stringify({ userId: 'first-user', event: 'Signed Up', properties: { plan: 'pro' } }),
      });
      assert.equal(res.statusCode, 200, await res.body.text());
      const ev = await waitFor(async () => {
        const r = await request(emulator);
        const list = (await r.body.json()) as any[];
        return list.find((e) => e.identity === 'first-user');
      }, 15_000, 'event in the emulator'); // no timing asserted: the benchmarks measure latency
      assert.equal(ev.evtName, 'Signed Up');
      assert.ok(!out.includes(JSON.parse(readFileSync(join(t.dir, 'sandbox.json'), 'utf8')).passcode), 'the passcode is never printed');
    } finally {
      child.kill('SIGTERM');
      t.cleanup();
    }
  });

  test('status and failures list / show / replay work on the store file', { timeout: 60_000 }, async () => {
    const { t, emu, cfgFile } = await emulatorAndConfig('"${CLI_TEST_KEY}"');
    process.env.CLI_TEST_KEY = 'cli-key';
    const server = await startServer(loadConfig(cfgFile), { logger: createLogger('silent') });
    try {
      const res = await request(`${server.url}/v1/batch`, {
        method: 'POST',
        headers: { authorization: 'Basic ' + Buffer.from('cli-key:').toString('base64'), 'content-type': 'application/json' },
        body: JSON.stringify({ batch: [{ type: 'track', userId: 'a', event: 'Fine' }, { type: 'group', userId: 'a', groupId: 'g' }] }),
      });
      await res.body.text();
      await waitFor(async () => (await server.store.counts())[0]?.pending === 0 && (await server.store.counts())[0]?.received === 2);

      const status = run(['status', '--config', cfgFile]);
      assert.equal(status.status, 0, status.stderr);
      assert.match(status.stdout, /web → ct\s+2\s+1\s+1\s+0\s+0\s+yes/);
      const json = JSON.parse(run(['status', '--config', cfgFile, '--json']).stdout);
      assert.equal(json.connections[0].reconciled, true);

      const list = run(['failures', 'list', '--config', cfgFile, '--code', 'unsupported_type']);
      assert.equal(list.status, 0, list.stderr);
      assert.match(list.stdout, /ct\s+unsupported_type/);
      assert.match(list.stdout.split('\n')[0], /^\s*id\s+failed at\s+destination\s+code\s+message id\s+message\s+reason$/, 'a header row');
      const id = /^\s*(\d+)/m.exec(list.stdout)![1];
      const show = JSON.parse(run(['failures', 'show', id, '--config', cfgFile]).stdout);
      assert.equal(show.message.type, 'group');
      assert.match(run(['failures', 'list', '--config', cfgFile, '--code', 'nope']).stdout, /no failures/);
      const replay = run(['failures', 'replay', '--config', cfgFile, '--destination', 'ct']);
      assert.match(replay.stdout, /replayed 1/);
      // The running server picks the replayed job up (and dead-letters the group again).
      await waitFor(async () => (await server.store.counts())[0].pending === 0 && (await server.store.counts())[0].dead === 1, 5000, 'replayed job settled');
    } finally {
      await server.close();
      await emu.close();
      t.cleanup();
    }
  });

  test('a paused destination shows in status with its reason and resumes from the CLI; failures by CleverTap\'s code; a bad --since', { timeout: 180_000 }, async () => {
    const { t, emu, cfgFile } = await emulatorAndConfig('pause-key', ', invalidValues: reject'); // strict: the bad email is dead-lettered
    emu.setFaults({ status: 401 }); // CleverTap refuses the credentials
    const server = await startServer(loadConfig(cfgFile), { logger: createLogger('silent') });
    try {
      const res = await request(`${server.url}/v1/batch`, {
        method: 'POST',
        headers: { authorization: 'Basic ' + Buffer.from('pause-key:').toString('base64'), 'content-type': 'application/json' },
        body: JSON.stringify({ batch: [{ type: 'track', userId: 'a', event: 'Kept' }, { type: 'identify', userId: 'b', traits: { email: 'not-an-email' } }] }),
      });
      assert.equal(res.statusCode, 200, await res.body.text());
      await waitFor(() => server.workers.get('ct')!.status().state === 'paused', 10_000, 'the destination to pause');

      const status = run(['status', '--config', cfgFile]);
      assert.equal(status.status, 0, status.stderr);
      assert.match(status.stdout, /web → ct\s+2\s+0\s+1\s+0\s+1\s+yes\s+\d+\s+paused: .*401/, 'the pending event is explained');
      assert.match(status.stdout, /^ct\s+paused\s+\S+\s+.*401/m, 'the destination is shown paused with its reason');

      emu.setFaults({}); // the credentials were fixed
      const resume = run(['destinations', 'resume', 'ct', '--config', cfgFile]);
      assert.equal(resume.status, 0, resume.stderr);
      assert.match(resume.stdout, /resumed ct/);
      // The running server notices (long before its own probe, 5 minutes after the pause).
      await waitFor(async () => (await server.store.counts())[0].pending === 0, 15_000, 'delivery after the resume');
      assert.equal(server.workers.get('ct')!.status().state, 'running');
      assert.match(run(['status', '--config', cfgFile]).stdout, /^ct\s+running/m);
      assert.match(run(['destinations', 'resume', 'ct', '--config', cfgFile]).stdout, /ct is not paused/);

      // CleverTap's code 515 (invalid email) matches the dead letter Taproute coded invalid_email.
      const byCleverTapCode = run(['failures', 'list', '--config', cfgFile, '--code', '515']);
      assert.equal(byCleverTapCode.status, 0, byCleverTapCode.stderr);
      assert.match(byCleverTapCode.stdout, /ct\s+invalid_email\s+\S+\s+.*515/);
      assert.match(run(['failures', 'list', '--config', cfgFile, '--clevertap-code', '515']).stdout, /ct\s+invalid_email\s+\S+\s+.*515/);
      assert.match(run(['failures', 'list', '--config', cfgFile, '--clevertap-code', 'invalid_email']).stdout, /no failures/, 'Taproute\'s code is not CleverTap\'s');

      const bad = run(['failures', 'list', '--config', cfgFile, '--since', 'yesterday-ish']);
      assert.equal(bad.status, 2);
      assert.equal(bad.stderr.trim().split('\n').length, 1, `one line, no stack: ${bad.stderr}`);
      assert.match(bad.stderr, /since "yesterday-ish".*ISO time/);
      assert.equal(run(['failures', 'replay', '--config', cfgFile, '--until', 'soon']).status, 2);
    } finally {
      await server.close();
      await emu.close();
      t.cleanup();
    }
  });
});
