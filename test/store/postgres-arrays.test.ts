// Binary array parameters (src/store/postgres/arrays.ts) read back by a real PostgreSQL exactly as given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { int4Array, int8Array, textArray } from '../../src/store/postgres/arrays.js';
import { testDatabaseUrl, withClient } from '../pg.js';

const url = await testDatabaseUrl();

test('postgres arrays: text (quotes, backslashes, braces, unicode, empty, null), bigint and integer arrays, empty ones too', async () => {
  await withClient(url, async (c) => {
    const texts = ['a', '', null, 'ünï "q" \\ {x,y} NULL', undefined, `'); DROP TABLE x; --`, 'x'.repeat(100) + '€', '😀'.repeat(40), 'é'.repeat(64)];
    const big = [0, 1, -1, 2 ** 32, -(2 ** 32) - 5, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 1_764_503_000_000];
    const small = [0, 1, -1, 2 ** 31 - 1, -(2 ** 31)];
    const { rows: [r] } = await c.query(
      'SELECT $1::text[] AS t, $2::bigint[]::text[] AS b, $3::int[] AS i, $4::text[] AS et, $5::bigint[] AS eb, $6::int[] AS ei',
      [textArray(texts), int8Array(big), int4Array(small), textArray([]), int8Array([]), int4Array([])],
    );
    assert.deepEqual(r.t, texts.map((t) => t ?? null));
    assert.deepEqual(r.b, big.map(String));
    assert.deepEqual(r.i, small);
    assert.deepEqual([r.et, r.eb, r.ei], [[], [], []]);
  });
});
