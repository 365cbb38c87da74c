// Builds the console's browser assets (src/console/ui → dist/console-ui) with esbuild: one minified bundle,
// one stylesheet, nothing fetched at run time. Run by `npm run build` (and so by `npm install`'s prepare).
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
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
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildConsole();
