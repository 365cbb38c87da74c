// Finds every test/**/*.test.ts and runs them with node's test runner (tsx loads TypeScript).
// Node 20's --test does not expand globs itself, hence this small launcher.
// It also starts the one PostgreSQL server of the run (scripts/test-postgres.mjs) and hands its URL to the
// tests in TAPROUTE_TEST_PG_URL (test/pg.ts gives each test file its own database on it); when that variable
// is already set, that server is used instead.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { startTestPostgres } from './test-postgres.mjs';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...find(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}
const filter = process.argv.slice(2);
const files = find('test').sort().filter((f) => filter.length === 0 || filter.some((s) => f.includes(s)));

const pg = process.env.TAPROUTE_TEST_PG_URL ? null : await startTestPostgres();
// --test-timeout: a test that hangs fails after 5 minutes instead of stalling CI (the slowest take about one).
const child = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', '--test-reporter=spec', ...files], {
  stdio: 'inherit',
  env: pg ? { ...process.env, TAPROUTE_TEST_PG_URL: pg.url } : process.env,
});
// A signal sent to this process alone (a CI timeout, kill) must end the tests too, before the server stops.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
const status = await new Promise((resolve) => child.on('close', (code) => resolve(code ?? 1)));
await pg?.stop();
process.exit(status);
