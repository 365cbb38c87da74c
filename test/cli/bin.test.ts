// What an installed `taproute` command is: `npm install -g .` (or `npm link`) in the checkout puts a link to
// bin/taproute.js on the PATH, so the command must run through that link from any working directory.
// Also what a user looks for in the package: the LICENSE that package.json names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tmpDir } from '../tmp.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));

test('the taproute command runs through a PATH link from another directory', { timeout: 300_000 }, () => {
  // `npm install` builds dist/ (the `prepare` script); a checkout that skipped it is built here.
  if (!existsSync(join(ROOT, 'dist/cli/main.js'))) {
    const build = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(build.status, 0, build.stdout + build.stderr);
  }
  const t = tmpDir();
  try {
    const bin = join(t.dir, 'bin');
    mkdirSync(bin);
    // What npm's global install of a folder does: a link named after package.json's "bin" entry.
    for (const [name, file] of Object.entries<string>(pkg.bin)) symlinkSync(join(ROOT, file), join(bin, name));
    const work = join(t.dir, 'elsewhere');
    mkdirSync(work);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
    const version = spawnSync('taproute', ['--version'], { cwd: work, env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(version.status, 0, version.stderr);
    assert.equal(version.stdout.trim(), pkg.version);
    const help = spawnSync('taproute', ['start', '--help'], { cwd: work, env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(help.status, 0, help.stderr);
    assert.match(help.stdout, /--config <file>/);
  } finally {
    t.cleanup();
  }
});

test('the README installs the command it uses and never calls it through npx', () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  assert.match(readme, /npm install -g \./);
  assert.doesNotMatch(readme, /npx taproute/);
});

test('LICENSE is the full Apache License 2.0 text that package.json names', () => {
  assert.equal(pkg.license, 'Apache-2.0');
  const text = readFileSync(join(ROOT, 'LICENSE'), 'utf8');
  assert.match(text, /^\s*Apache License\s+Version 2\.0, January 2004/);
  for (let i = 1; i <= 9; i++) assert.match(text, new RegExp(`\\n\\s+${i}\\. [A-Z]`), `section ${i}`);
  assert.match(text, /END OF TERMS AND CONDITIONS/);
});

test('npm start and the taproute command give Node the same V8 heap flags, and Node accepts them', () => {
  // The shebang's flags (bin/taproute.js says why each is there) are what the bin runs with; `npm start` runs the
  // bin through `node` itself, which ignores the shebang, so its script must repeat them.
  const shebang = readFileSync(join(ROOT, pkg.bin.taproute), 'utf8').split('\n')[0];
  const flags = shebang.split(/\s+/).filter((f) => f.startsWith('--'));
  assert.deepEqual(flags.map((f) => f.split('=')[0]), ['--max-old-space-size']);
  assert.deepEqual(pkg.scripts.start.split(/\s+/).filter((f: string) => f.startsWith('--')), flags);
  const run = spawnSync(process.execPath, [...flags, '-e', 'process.exit(0)'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
});
