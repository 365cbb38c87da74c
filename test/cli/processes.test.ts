// `taproute start --processes 2` on PostgreSQL: one command, two real nodes sharing the port (node:cluster),
// supervised by the primary: both join the cluster, a killed one is forked again and its lanes taken over, every
// acknowledged event reaches the emulator, SIGTERM stops them all. And what is refused: SQLite with more than one
// process, and a start that fails in the workers ends the command with their one-line error.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { get } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import { parseProcesses } from '../../src/cli/processes.js';
import { startEmulator } from '../../src/emulator/index.js';
import { testDatabaseUrl, withClient } from '../pg.js';
import { requestAcrossStop, startServerProcess } from '../harness/server-process.js';
import { tmpDir, waitFor } from '../tmp.js';
import { assertDelivered, counts, KEY, startLoad, writeClusterConfig } from '../cluster/load.js';

const LEASE_MS = 2000;
const dbUrl = await testDatabaseUrl();
const t = tmpDir();
after(() => t.cleanup());

const SQLITE = { storage: { sqlite: 'x.sqlite' }, sources: [], destinations: [], connections: [] };

/** `taproute start` to its end: exit code, stdout, stderr. */
function run(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', ...args], { encoding: 'utf8', env: { ...process.env, TAPROUTE_LOG_LEVEL: 'warn' }, timeout: 90_000 });
}

function assertOneLineError(r: ReturnType<typeof run>, pattern: RegExp) {
  assert.equal(r.status, 1, r.stderr + r.stdout);
  assert.match(r.stderr, pattern);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
}

/** The node id a new connection's /healthz names: the process that accepted it. */
function healthNode(url: string): Promise<string> {
  return new Promise((resolve, reject) =>
    get(`${url}/healthz`, { agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve(JSON.parse(body).node));
    }).on('error', reject),
  );
}

/** Whether a process exists (signal 0 checks without signalling). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const nodeRows = () => withClient(dbUrl, async (c) => (await c.query<{ id: string; pid: number }>('SELECT id, pid FROM nodes ORDER BY id')).rows);

describe('server.processes', () => {
  test('the setting: an integer from 1 or auto; above 1 (or auto) only with PostgreSQL', () => {
    assert.throws(() => parseConfig({ ...SQLITE, server: { processes: 2 } }), /^Error: invalid config: server\.processes: 2 processes need storage\.postgres; SQLite has one writer/);
    assert.throws(() => parseConfig({ ...SQLITE, server: { processes: 'auto' } }), /server\.processes: "auto" \(one process per core\) needs storage\.postgres/);
    assert.throws(() => parseConfig({ ...SQLITE, server: { processes: 0 } }), /invalid config: server\.processes/);
    assert.equal(parseConfig({ ...SQLITE, server: { processes: 1 } }).server?.processes, 1);
    assert.equal(parseConfig({ storage: { postgres: 'postgres://h/db' }, server: { processes: 'auto' } }).server?.processes, 'auto');
    assert.equal(parseProcesses('3'), 3);
    assert.equal(parseProcesses('auto'), 'auto');
    for (const bad of ['0', '-1', '1.5', 'two']) assert.throws(() => parseProcesses(bad), /--processes: ".*" is not a number of processes/);
  });

  test('--processes 2 with SQLite is refused: one line, exit code 1', () => {
    const file = join(t.dir, 'sqlite.yaml');
    writeFileSync(file, 'storage: { sqlite: store.sqlite }\nsources: [{ id: web, type: segment, writeKey: k }]\n');
    assertOneLineError(run(['--config', file, '--processes', '2']), /^taproute: --processes 2: 2 processes need storage\.postgres; SQLite has one writer, so run one process\n$/);
  });

  test('run as a worker of another node:cluster primary (pm2\'s cluster mode, say), `taproute start` is a whole node of its own', async () => {
    const file = join(t.dir, 'single.yaml');
    writeFileSync(file, 'server: { port: 0 }\nstorage: { sqlite: single.sqlite, synchronous: NORMAL }\nsources: [{ id: web, type: segment, writeKey: k }]\n');
    const primary = `import cluster from 'node:cluster';
      cluster.setupPrimary({ exec: 'src/cli/main.ts', args: ['start', '--config', ${JSON.stringify(file)}], execArgv: ['--import', 'tsx'] });
      const w = cluster.fork();
      w.on('exit', (code) => process.exit(code ?? 1));
      process.on('SIGTERM', () => w.process.kill('SIGTERM'));`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', primary], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TAPROUTE_LOG_LEVEL: 'warn' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await waitFor(() => /Taproute listening on http:\/\/127\.0\.0\.1:\d+\n/.test(out), 60_000, `listening: ${out}`);
      child.kill('SIGTERM');
      assert.equal(await exited, 0, out);
      assert.match(out, /Taproute stopped on SIGTERM: requests in flight answered/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  test('workers that fail at start (a database that does not exist): the command exits 1 with their one-line error, no restart', () => {
    const url = new URL(dbUrl);
    url.pathname = '/taproute_no_such_database';
    const file = join(t.dir, 'nodb.yaml');
    writeFileSync(file, `server: { port: 0, processes: 2 }\nstorage: { postgres: "${url}" }\nsources: [{ id: web, type: segment, writeKey: k }]\n`);
    const r = run(['--config', file]);
    assertOneLineError(r, /^taproute: database "taproute_no_such_database" does not exist\n$/);
    assert.doesNotMatch(r.stdout, /listening on|exited unexpectedly/);
  });

  test('--processes 2 on PostgreSQL: two nodes on one port; a killed one is forked again; every acknowledged event delivered; SIGTERM stops all', { timeout: 240_000 }, async () => {
    const emu = await startEmulator({ port: 0, accounts: [{ id: 'acc', passcode: 'pass' }], logger: false });
    const cfg = writeClusterConfig(t.dir, { dbUrl, emulatorUrl: emu.url, leaseMs: LEASE_MS, batch: 50, inFlight: 5 });
    const p = await startServerProcess(cfg, { args: ['--processes', '2'] });
    const exited = new Promise<number | null>((r) => (p.child.exitCode !== null ? r(p.child.exitCode) : p.child.on('exit', (code) => r(code))));
    let load: ReturnType<typeof startLoad> | undefined;
    try {
      assert.equal(p.output().match(/listening on/g)?.length, 1, p.output());
      assert.match(p.output(), /Taproute listening on http:\/\/127\.0\.0\.1:\d+ \(2 processes\)\n/);

      // New connections are handed to both processes in turn: both answer on the one port.
      const first = await waitFor(async () => {
        const seen = new Set<string>();
        for (let i = 0; i < 6; i++) seen.add(await healthNode(p.url));
        return seen.size === 2 ? seen : null;
      }, 30_000, 'both processes answering on the port');
      const rows = await nodeRows();
      assert.deepEqual(rows.map((r) => r.id), [...first].sort(), 'both processes are nodes of the cluster');
      for (const r of rows) assert.notEqual(r.pid, p.child.pid, 'the primary is no node');

      const running = (load = startLoad(() => [p.url]));
      await waitFor(() => running.acked.size >= 600, 60_000, 'load');
      const victim = rows[0];
      process.kill(victim.pid, 'SIGKILL');
      await waitFor(() => /process exited unexpectedly/.test(p.output()), 60_000, 'the death logged').catch((err) => {
        throw new Error(`${(err as Error).message}; killed ${victim.pid}, alive: ${alive(victim.pid)}; output:\n${p.output().slice(-3000)}`);
      });
      await running.stop();
      const again = await waitFor(async () => (await nodeRows()).find((r) => !first.has(r.id)), 60_000, 'a process forked in its place');
      assert.notEqual(again.pid, victim.pid);

      await waitFor(async () => {
        const c = await counts(p.url);
        return c.received > 0 && c.pending === 0;
      }, 3 * LEASE_MS + 60_000, 'every stored event settled (the killed process\'s lanes taken over)');
      const { delivered, duplicates } = assertDelivered(emu.events('acc') as any[], load.acked);
      console.log(`processes test: acknowledged ${load.acked.size}, delivered ${delivered} distinct, ${duplicates} duplicates after SIGKILL of a process`);

      // A request in flight when SIGTERM comes (headers and half its body sent) is answered and stored: the rest of
      // the body is sent once the port refuses new connections, i.e. once every process stopped listening.
      const body = JSON.stringify({ userId: 'in-flight', event: 'Finished During Shutdown', messageId: 'in-flight-1' });
      const answer = await requestAcrossStop(new URL(p.url), '/v1/track', `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`, body, () => p.child.kill('SIGTERM'));
      assert.match(answer, /^HTTP\/1\.1 200/, answer);
      assert.equal(await exited, 0, p.output());
      const stored = await withClient(dbUrl, (c) => c.query(`SELECT count(*)::int AS n FROM messages WHERE message_id = 'in-flight-1'`));
      assert.equal(stored.rows[0].n, 1, 'the request in flight was stored');
      assert.equal(p.output().match(/Taproute stopped/g)?.length, 1, p.output());
      assert.match(p.output(), /Taproute stopped on SIGTERM: 2 processes stopped/);
      // The processes stopped by SIGTERM left the cluster and gave their leases back; only the killed one may remain.
      assert.deepEqual((await nodeRows()).filter((r) => r.id !== victim.id), []);
      const held = await withClient(dbUrl, (c) => c.query('SELECT count(*)::int AS n FROM leases WHERE node_id IS NOT NULL AND node_id <> $1', [victim.id]));
      assert.equal(held.rows[0].n, 0);
    } finally {
      // A load still running (the test failed before stopping it) would keep this file from ending.
      await load?.stop();
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await emu.close();
    }
  });
});
