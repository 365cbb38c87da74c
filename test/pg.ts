// PostgreSQL for tests: a fresh database per test file on the run's server (TAPROUTE_TEST_PG_URL, started by
// scripts/run-tests.mjs), so files running in parallel never see each other's tables or roles' objects.
// A file run by hand (no TAPROUTE_TEST_PG_URL) starts a throwaway server of its own.
import { after } from 'node:test';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { startTestPostgres } from '../scripts/test-postgres.mjs';

/** Runs fn with a client connected to url, and closes it after. */
export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/**
 * URL of a new, empty database for the calling test file; it is dropped (and a server of its own stopped)
 * after the file's last test. Call it once per file, at top level.
 */
export async function testDatabaseUrl(): Promise<string> {
  const own = process.env.TAPROUTE_TEST_PG_URL ? null : await startTestPostgres();
  const serverUrl = own?.url ?? process.env.TAPROUTE_TEST_PG_URL!;
  const name = `taproute_test_${randomBytes(6).toString('hex')}`;
  await withClient(serverUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  after(async () => {
    // FORCE closes connections a failed test left open (https://www.postgresql.org/docs/current/sql-dropdatabase.html).
    if (own) await own.stop();
    else await withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  });
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
