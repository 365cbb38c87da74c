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

test('postgres copy: rows larger than the encoder\'s scratch space (multi-byte text across its growth), and the scratch space reused after', async () => {
  await withClient(url, async (c) => {
    await c.query('CREATE TEMP TABLE big (id bigint, t text)');
    // 3-byte and 4-byte characters, so a text's UTF-8 length differs from its length; 40 rows pass 64 KiB many times.
    const texts = Array.from({ length: 40 }, (_, i) => `${i}:` + 'ü€😀x'.repeat(1000 + i * 400));
    await copyIn(c, ['COPY big (id, t) FROM STDIN (FORMAT binary)'], [[{ type: 'int8', values: texts.map((_, i) => i) }, { type: 'text', values: texts }]]);
    await copyIn(c, ['COPY big (id, t) FROM STDIN (FORMAT binary)'], [[{ type: 'int8', values: [100] }, { type: 'text', values: ['small'] }]]);
    const rows = (await c.query<{ id: number; t: string }>('SELECT id::int AS id, t FROM big ORDER BY id')).rows;
    assert.deepEqual(rows.map((r) => r.t), [...texts, 'small']);
    assert.deepEqual(rows.map((r) => r.id), [...texts.map((_, i) => i), 100]);
  });
});

test('postgres copy: texts around the short-text length, ASCII or not at their last character, read back exactly', async () => {
  await withClient(url, async (c) => {
    await c.query('CREATE TEMP TABLE edge (k int, t text)');
    const texts = [63, 64, 65].flatMap((n) => ['a'.repeat(n), 'a'.repeat(n - 1) + 'é', 'é' + 'a'.repeat(n - 1), '\x7f'.repeat(n)]);
    await copyIn(c, ['COPY edge (k, t) FROM STDIN (FORMAT binary)'], [[{ type: 'int4', values: texts.map((_, i) => i) }, { type: 'text', values: texts }]]);
    assert.deepEqual((await c.query<{ t: string }>('SELECT t FROM edge ORDER BY k')).rows.map((r) => r.t), texts);
  });
});
