// COPY FROM STDIN in binary (src/store/postgres/copy.ts) against a real PostgreSQL: rows read back exactly as
// given, several tables in one query message, and a failed COPY rejects without leaving the connection stuck.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyIn } from '../../src/store/postgres/copy.js';
import { testDatabaseUrl, withClient } from '../pg.js';

const url = await testDatabaseUrl();

test('postgres copy: text (quotes, backslashes, tabs, newlines, unicode, empty, null), bigint and integer, into two tables in one message', async () => {
  await withClient(url, async (c) => {
    await c.query('CREATE TEMP TABLE a (id bigint PRIMARY KEY, t text, n int NOT NULL DEFAULT 7)');
    await c.query('CREATE TEMP TABLE b (k int, v text)');
    const ids = [0, 1, -1, 2 ** 32, -(2 ** 32) - 5, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1_764_503_000_000];
    const texts = ['a', '', null, 'ünï "q" \\ {x,y} \\N NULL', 'tab\there\nnewline\r', undefined, `'); DROP TABLE a; --`, '😀'];
    const ks = [0, 2 ** 31 - 1, -(2 ** 31)];
    await copyIn(c, ['COPY a (id, t) FROM STDIN (FORMAT binary)', 'COPY b (k, v) FROM STDIN (FORMAT binary)'], [
      [{ type: 'int8', values: ids }, { type: 'text', values: texts }],
      [{ type: 'int4', values: ks }, { type: 'text', values: ['x', null, 'z'] }],
    ]);
    const a = (await c.query<{ id: string; t: string | null; n: number }>('SELECT id::text AS id, t, n FROM a')).rows;
    assert.deepEqual(a.map((r) => [Number(r.id), r.t, r.n]), ids.map((id, i) => [id, texts[i] ?? null, 7]));
    assert.deepEqual((await c.query('SELECT k, v FROM b')).rows, [{ k: 0, v: 'x' }, { k: 2 ** 31 - 1, v: null }, { k: -(2 ** 31), v: 'z' }]);
    await copyIn(c, ['COPY b (k, v) FROM STDIN (FORMAT binary)'], [[{ type: 'int4', values: [] }, { type: 'text', values: [] }]]);
    assert.equal((await c.query('SELECT count(*)::int AS n FROM b')).rows[0].n, 3, 'no rows: nothing added');
  });
});

test('postgres copy: a COPY that fails (duplicate key) rejects, inserts nothing, and the connection goes on', async () => {
  await withClient(url, async (c) => {
    await c.query('CREATE TEMP TABLE u (id bigint PRIMARY KEY)');
    await c.query('BEGIN');
    await assert.rejects(
      copyIn(c, ['COPY u (id) FROM STDIN (FORMAT binary)'], [[{ type: 'int8', values: [1, 2, 1] }]]),
      (err: { code?: string }) => err.code === '23505',
    );
    await c.query('ROLLBACK');
    assert.equal((await c.query('SELECT count(*)::int AS n FROM u')).rows[0].n, 0);
    await copyIn(c, ['COPY u (id) FROM STDIN (FORMAT binary)'], [[{ type: 'int8', values: [1, 2] }]]);
    assert.equal((await c.query('SELECT count(*)::int AS n FROM u')).rows[0].n, 2);
  });
});
