// Serves Segment's browser SDK, the installed @segment/analytics-next build, where Segment's snippet loads it:
//   GET /analytics.js/v1/:writeKey/analytics.min.js     the standalone build (a site changes only the CDN host)
//   GET /analytics-next/bundles/:file                    its lazily loaded chunks (the build's public path is
//                                                        `<cdn>/analytics-next/bundles/`)
//
// Decisions:
// - The files are served as installed (byte for byte); the precompressed .gz beside each is sent to clients that
//   accept gzip. Unknown write keys get 404, as the settings do.
// - Chunk names carry a content hash: cached for a year. The standalone build changes with the package: an hour.
// - Without the package installed, these paths answer 404 and the rest of the server runs.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IngestContext } from '../../ingest/context.js';
import { addVary } from './cors.js';

/** webpack's chunk files: `<name>.bundle.<content hash>.js` (and their source maps). */
const CHUNK = /^[A-Za-z0-9_-]+\.bundle\.[0-9a-f]+\.js(?:\.map)?$/;

function umdDir(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('@segment/analytics-next/package.json');
    const dir = join(dirname(pkg), 'dist', 'umd');
    return existsSync(join(dir, 'standalone.js')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

export function analyticsBundleRoutes(app: FastifyInstance, ctx: IngestContext): void {
  const dir = umdDir();
  const files = new Set(dir ? readdirSync(dir).filter((f) => CHUNK.test(f) || f === 'standalone.js' || f === 'standalone.js.map') : []);
  const cache = new Map<string, Buffer>();
  const read = (name: string) => {
    let b = cache.get(name);
    if (!b) cache.set(name, (b = readFileSync(join(dir!, name))));
    return b;
  };

  function send(req: FastifyRequest, reply: FastifyReply, name: string, maxAge: number) {
    if (!files.has(name)) return reply.code(404).send({ success: false, error: 'not found' });
    reply.header('Content-Type', name.endsWith('.map') ? 'application/json; charset=utf-8' : 'text/javascript; charset=utf-8');
    reply.header('Cache-Control', `public, max-age=${maxAge}${maxAge > 86400 ? ', immutable' : ''}`);
    addVary(reply, 'Accept-Encoding');
    const gz = `${name}.gz`;
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && existsSync(join(dir!, gz))) {
      reply.header('Content-Encoding', 'gzip');
      return reply.send(read(gz));
    }
    return reply.send(read(name));
  }

  app.get('/analytics.js/v1/:writeKey/:file', async (req, reply) => {
    const { writeKey, file } = req.params as { writeKey: string; file: string };
    const src = ctx.sourceByWriteKey(writeKey);
    if (src?.type !== 'segment') return reply.code(404).send({ success: false, error: 'not found' });
    if (file === 'analytics.min.js') return send(req, reply, 'standalone.js', 3600);
    if (file === 'standalone.js.map') return send(req, reply, file, 3600);
    return reply.code(404).send({ success: false, error: 'not found' });
  });
  app.get('/analytics-next/bundles/:file', async (req, reply) => {
    const { file } = req.params as { file: string };
    if (!CHUNK.test(file)) return reply.code(404).send({ success: false, error: 'not found' });
    return send(req, reply, file, 31_536_000);
  });
}
