// The layout is the data flow (ingest → store → router → destinations, sources beside ingest); imports must
// follow it. This test reads every import in src/ and fails when one points the wrong way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

const SRC = 'src';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/** Every relative import of every file in src/, as [importer, imported] paths relative to src/. */
function edges(): [string, string][] {
  const out: [string, string][] = [];
  for (const f of files(SRC)) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
      const target = normalize(join(dirname(f), m[1])).replace(/\.js$/, '.ts');
      out.push([relative(SRC, f), relative(SRC, target)]);
    }
  }
  return out;
}

const RULES: { name: string; from: RegExp; to: RegExp }[] = [
  { name: 'the store does not know destinations', from: /^store\//, to: /^destinations\// },
  { name: 'the store does not know the router', from: /^store\//, to: /^router\// },
  { name: 'a destination does not import a source', from: /^destinations\//, to: /^(sources|ingest)\// },
  { name: 'a source does not import a destination', from: /^(sources|ingest)\//, to: /^destinations\// },
  { name: 'the CLI does not import HTTP routes', from: /^cli\//, to: /(^admin\/routes|\/routes)\.ts$/ },
  { name: 'config does not start servers', from: /^config\//, to: /^(emulator|server)/ },
  { name: 'core depends on nothing but the message', from: /^core\//, to: /^(?!core\/|message\/)/ },
  { name: 'CleverTap platform facts depend on nothing but the message', from: /^clevertap\//, to: /^(?!clevertap\/|message\/|core\/)/ },
  { name: 'the emulator validates independently of the sender', from: /^emulator\//, to: /^(destinations|clevertap)\// },
];

for (const rule of RULES) {
  test(`imports: ${rule.name}`, () => {
    const bad = edges().filter(([a, b]) => rule.from.test(a) && rule.to.test(b));
    assert.deepEqual(bad.map(([a, b]) => `${a} → ${b}`), []);
  });
}

test('imports: no import circles within a destination', () => {
  const graph = new Map<string, string[]>();
  for (const [a, b] of edges()) graph.set(a, [...(graph.get(a) ?? []), b]);
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (n: string, path: string[]) => {
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'open') {
      cycles.push([...path.slice(path.indexOf(n)), n].join(' → '));
      return;
    }
    state.set(n, 'open');
    for (const m of graph.get(n) ?? []) visit(m, [...path, n]);
    state.set(n, 'done');
  };
  for (const n of graph.keys()) if (n.startsWith('destinations/')) visit(n, []);
  assert.deepEqual(cycles, []);
});

test('imports: the string "clevertap" is compared only in folders named clevertap*', () => {
  const bad: string[] = [];
  for (const f of files(SRC)) {
    const rel = relative(SRC, f);
    if (rel.split('/').slice(0, -1).some((d) => d.startsWith('clevertap'))) continue;
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/(===|!==)\s*'clevertap'|'clevertap'\s*(===|!==)/g)) bad.push(`${rel}: ${m[0]}`);
  }
  assert.deepEqual(bad, []);
});
