// Builds the console's browser assets (src/console/ui → dist/console-ui) with esbuild: one minified bundle,
// one stylesheet, nothing fetched at run time. Run by `npm run build` (and so by `npm install`'s prepare).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'console-ui');

export async function buildConsole() {
  mkdirSync(out, { recursive: true });
  await build({
    entryPoints: [join(root, 'src/console/ui/main.tsx')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    outfile: join(out, 'app.js'),
    logLevel: 'warning',
    legalComments: 'none',
  });
  copyFileSync(join(root, 'src/console/ui/app.css'), join(out, 'app.css'));
  return gzippedBytes();
}

/** The bound on what the browser downloads: every production asset, gzipped. */
export const MAX_GZIPPED_BYTES = 250 * 1024;

/** Gzipped size of the built assets; throws above MAX_GZIPPED_BYTES. */
export function gzippedBytes() {
  const total = ['app.js', 'app.css'].reduce((a, f) => a + gzipSync(readFileSync(join(out, f)), { level: 9 }).length, 0);
  if (total > MAX_GZIPPED_BYTES) throw new Error(`console assets weigh ${(total / 1024).toFixed(1)} KB gzipped: over ${MAX_GZIPPED_BYTES / 1024} KB`);
  return total;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const bytes = await buildConsole();
  console.log(`console assets: ${(bytes / 1024).toFixed(1)} KB gzipped (limit ${MAX_GZIPPED_BYTES / 1024} KB)`);
}
