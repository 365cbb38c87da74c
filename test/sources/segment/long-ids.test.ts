// Numeric ids beyond 2^53 keep every digit through the HTTP body parser, for JSON and text/plain bodies, single
// calls and batches; absurd nesting is still refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startServer, type RunningServer } from '../../../src/server.js';
import { tmpDir } from '../../tmp.js';

const t = tmpDir('taproute-long-ids-');
let server: RunningServer;
const auth = 'Basic ' + Buffer.from('wk:').toString('base64');

before(async () => {
  server = await startServer({
    server: { port: 0, host: '127.0.0.1' },
    storage: { sqlite: join(t.dir, 't.sqlite') },
    log: { level: 'silent' },
    sources: [{ id: 'seg', type: 'segment', writeKey: 'wk' }],
    destinations: [],
    connections: [],
  });
});
after(async () => {
  await server?.close();
  t.cleanup();
});

async function post(path: string, body: string, type = 'application/json') {
  const res = await fetch(server.url + path, { method: 'POST', headers: { 'content-type': type, authorization: auth }, body });
  return { status: res.status, body: await res.json() };
}

function storedIds(): [unknown, unknown, unknown][] {
  const db = new Database(join(t.dir, 't.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT payload FROM messages ORDER BY id').all() as { payload: string }[];
    return rows.map((r) => JSON.parse(r.payload)).map((m) => [m.userId, m.anonymousId, m.previousId]);
  } finally {
    db.close();
  }
}

test('ids beyond 2^53 are stored with every digit, as strings', async () => {
  assert.equal((await post('/v1/track', '{"userId":1234567890123456789,"anonymousId":42,"event":"E"}')).status, 200);
  assert.equal((await post('/v1/t', '{"userId":1234567890123456790,"event":"E","writeKey":"wk"}', 'text/plain')).status, 200);
  const batch = '{"batch":[{"type":"alias","userId":98765432109876543210,"previousId":98765432109876543211}]}';
  assert.equal((await post('/v1/batch', batch, 'text/plain;charset=UTF-8')).status, 200);
  assert.deepEqual(storedIds(), [
    ['1234567890123456789', '42', undefined],
    ['1234567890123456790', undefined, undefined],
    ['98765432109876543210', undefined, '98765432109876543211'],
  ]);
});

test('absurdly deep nesting is still refused', async () => {
  const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
  const r = await post('/v1/track', `{"userId":1234567890123456789,"event":"Deep","properties":${deep}}`);
  assert.equal(r.status, 400);
});
