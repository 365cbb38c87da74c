// Pure parts of the warehouse destination: identifier sanitising, message → rows, schema planning.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assignDistinct, conflictColumnName, eventTableName, limitLength, sanitize, schemaName, shortHash, snakeCase, quoteIdent } from '../../../src/destinations/warehouse/naming.js';
import { isTimestamp, messageToRows, type LogicalRow } from '../../../src/destinations/warehouse/rows.js';
import { Planner, fit } from '../../../src/destinations/warehouse/schema.js';
import { buildWrites, mergeUserRecords } from '../../../src/destinations/warehouse/loader.js';
import { parseWarehouseSettings, PostgresDialect, warehouseDestination } from '../../../src/destinations/warehouse/index.js';
import { RetryableError } from '../../../src/destinations/types.js';
import type { Message } from '../../../src/message/schema.js';

const SAFE = /^[a-z_][a-z0-9_]*$/;
const T = '2024-05-01T12:34:56.789Z';
const NOW = '2024-05-02T00:00:00.000Z';

function m(extra: Partial<Message> & { type: Message['type'] }): Message {
  return { messageId: 'mid', receivedAt: T, timestamp: T, anonymousId: 'anon', ...extra } as Message;
}
function rows(msg: Message): LogicalRow[] {
  const r = messageToRows(msg, NOW);
  assert.ok(r.ok, JSON.stringify(r));
  return r.rows;
}
function cells(row: LogicalRow): Record<string, unknown> {
  return Object.fromEntries(row.cells.map((c) => [c.name, c.value]));
}
function types(row: LogicalRow): Record<string, string> {
  return Object.fromEntries(row.cells.map((c) => [c.name, c.type]));
}

describe('naming', () => {
  test('snake_case like Segment', () => {
    assert.equal(sanitize('Order Completed'), 'order_completed');
    assert.equal(sanitize('firstName'), 'first_name');
    assert.equal(sanitize('HTTPServerError'), 'http_server_error');
    assert.equal(sanitize('userID'), 'user_id');
    assert.equal(sanitize('product-id'), 'product_id');
    assert.equal(sanitize('Café au lait'), 'cafe_au_lait');
    assert.equal(sanitize('a__b__c'), 'a_b_c');
    assert.equal(sanitize('trailing_'), 'trailing');
    assert.equal(sanitize('_private'), '_private');
    assert.equal(snakeCase('!!!'), '');
  });

  test('hostile names become safe identifiers', () => {
    const hostile = ['"; DROP TABLE x; --', "Robert'); DROP TABLE students;--", 'a"b', "it's", 'semi;colon', 'new\nline', '日本語', '🚀', '', ' ', '0day', '1', 'x'.repeat(500), 'back`tick', '[bracket]', 'nul\u0000byte'];
    for (const h of hostile) {
      const s = sanitize(h);
      assert.match(s, SAFE, JSON.stringify(h));
      assert.ok(s.length <= 63, JSON.stringify(h));
    }
    assert.equal(sanitize('"; DROP TABLE x; --'), 'drop_table_x');
    assert.equal(sanitize('0day'), '_0day');
    assert.match(sanitize('日本語'), /^_[0-9a-f]{8}$/);
    assert.notEqual(sanitize('日本語'), sanitize('中文'));
  });

  test('long names are truncated to 63 with a hash that keeps them distinct', () => {
    const a = 'p'.repeat(80) + 'a';
    const b = 'p'.repeat(80) + 'b';
    assert.equal(sanitize(a).length, 63);
    assert.notEqual(sanitize(a), sanitize(b));
    assert.equal(sanitize(a), sanitize(a));
    assert.equal(limitLength('short'), 'short');
  });

  test('event tables never clobber fixed tables', () => {
    for (const t of ['tracks', 'identifies', 'users', 'pages', 'screens', 'aliases', 'groups', 'Tracks', 'IDENTIFIES']) {
      assert.equal(eventTableName(t), `_${t.toLowerCase()}`);
    }
    assert.equal(eventTableName('Order Completed'), 'order_completed');
  });

  test('schema names', () => {
    assert.equal(schemaName('Web-Prod'), 'web_prod');
    assert.equal(schemaName('web', 'tr_'), 'tr_web');
    assert.equal(schemaName('Web', 'tr_', ['web', 'Web']), `tr_web_${shortHash('tr_Web')}`, 'the hash covers prefix + id (the raw name)');
    assert.equal(schemaName('pg_catalog'), '_pg_catalog');
    assert.equal(schemaName('sqlite_x'), '_sqlite_x');
    assert.equal(schemaName('information_schema'), '_information_schema');
  });

  test('schema names are plain unless configured source ids collide', () => {
    const configured = ['ct-export', 'ct-feed', 'Web', 'MySource', 'my-source'];
    const names = configured.map((id) => schemaName(id, '', configured));
    assert.deepEqual(names, ['ct_export', 'ct_feed', 'web', 'my_source', `my_source_${shortHash('my-source')}`], 'the smallest colliding id keeps the name');
    for (const order of [[...configured].reverse(), [...configured].sort(), ['my-source', 'MySource', 'Web', 'ct-feed', 'ct-export']]) {
      assert.deepEqual(configured.map((id) => schemaName(id, '', order)), names, 'the set decides, not its order');
    }
    assert.deepEqual(configured.map((id) => schemaName(id, '', [...configured, ...configured])), names, 'duplicates change nothing');
    // Adding a colliding source renames only the ids it collides with; the exact spelling keeps the plain name.
    const more = [...configured, 'my_source'];
    assert.deepEqual(more.map((id) => schemaName(id, '', more)), [
      'ct_export', 'ct_feed', 'web', `my_source_${shortHash('MySource')}`, `my_source_${shortHash('my-source')}`, 'my_source',
    ]);
    // A source missing from the configured set never takes a configured source's name.
    assert.equal(schemaName('my_source', '', ['MySource']), `my_source_${shortHash('my_source')}`);
    assert.equal(schemaName('MySource', '', ['MySource']), 'my_source');
    assert.equal(schemaName('other-src', '', ['MySource']), 'other_src');
  });

  test('clean source ids keep their plain schema name', () => {
    for (const id of ['web', 'ct_export', 'my_source', '_pg_foo', '_1abc', 'a1', 'x'.repeat(63)]) assert.equal(schemaName(id), id, id);
  });

  test('distinct source ids always give distinct schemas', () => {
    const groups = [
      ['MySource', 'my-source', 'my_source', 'my source', 'My_Source', 'my__source', 'my_source_'],
      ['pg_foo', '_pg_foo', 'PG_foo'],
      ['1abc', '_1abc'],
      ['sqlite_x', '_sqlite_x'],
      ['information_schema', '_information_schema'],
      ['日本', '中文', '!!!'],
      ['x'.repeat(70), 'x'.repeat(71), 'x'.repeat(63)],
    ];
    for (const ids of groups) {
      const names = ids.map((id) => schemaName(id, '', ids));
      assert.equal(new Set(names).size, ids.length, `${ids.join(' | ')} → ${names.join(' | ')}`);
      for (const n of names) {
        assert.match(n, SAFE);
        assert.ok(n.length <= 63, n);
        assert.ok(!n.includes('__'), `${n}: SQLite splits <schema>__<table>`);
        assert.ok(!/^(pg_|sqlite_)/.test(n) && n !== 'information_schema', n);
      }
    }
    // The examples from the bug report, exactly (all these sources configured together).
    const all = groups.flat();
    assert.equal(schemaName('my_source', '', all), 'my_source');
    assert.equal(schemaName('MySource', '', all), `my_source_${shortHash('MySource')}`);
    assert.equal(schemaName('my-source', '', all), `my_source_${shortHash('my-source')}`);
    assert.equal(schemaName('pg_foo', '', all), `_pg_foo_${shortHash('pg_foo')}`);
    assert.equal(schemaName('_pg_foo', '', all), '_pg_foo');
    assert.equal(schemaName('1abc', '', all), `_1abc_${shortHash('1abc')}`);
    assert.equal(schemaName('_1abc', '', all), '_1abc');
    assert.equal(schemaName('MySource', '', all), schemaName('MySource', '', all), 'stable');
    assert.equal(new Set(all.map((id) => schemaName(id, '', all))).size, all.length, 'distinct across every group');
  });

  test('overflow columns are <name>__text and never collide with a property name', () => {
    assert.equal(conflictColumnName('x'), 'x__text');
    assert.equal(conflictColumnName('x__text'), 'x__text__text');
    const long = 'p'.repeat(63);
    const c = conflictColumnName(long);
    assert.ok(c.length <= 63 && c.endsWith('__text'), c);
    assert.notEqual(conflictColumnName('q'.repeat(60)), conflictColumnName('q'.repeat(61)));
    // A property's column never contains `__`: whatever the raw key, it cannot take an overflow column's name.
    for (const k of ['x__text', 'x  text', 'x_text', 'X__Text', '_x__text', 'x.__.text', 'x'.repeat(80) + '__text']) {
      assert.ok(!sanitize(k).includes('__'), `${k} → ${sanitize(k)}`);
    }
  });

  test('quoteIdent escapes quotes (defence in depth)', () => {
    assert.equal(quoteIdent('a"b'), '"a""b"');
  });

  test('assignDistinct: exact spelling keeps the name, others get a stable hash suffix', () => {
    const keys = ['firstName', 'first_name', 'First Name'].map((k) => ({ raw: k, joined: k, candidate: sanitize(k) }));
    const names = assignDistinct(keys, new Set());
    assert.equal(names[1], 'first_name');
    assert.equal(new Set(names).size, 3);
    for (const n of names) assert.match(n, SAFE);
    const again = assignDistinct([...keys].reverse(), new Set());
    assert.deepEqual(again, [...names].reverse());
  });
});

describe('rows', () => {
  test('track → tracks row + event table row with context flattened and properties as columns', () => {
    const [tracks, ev] = rows(
      m({
        type: 'track',
        event: 'Order Completed',
        userId: 'u1',
        sentAt: T,
        originalTimestamp: T,
        context: { library: { name: 'analytics.js', version: '5.0' }, device: { type: 'ios' }, campaign: { tags: ['a', 'b'] }, ip: '1.2.3.4' },
        properties: { total: 12, price: 9.99, currency: 'USD', coupon: null, gift: false, when: '2024-01-01T00:00:00Z', day: '2024-01-01', items: [{ sku: 'x' }], address: { city: 'Pune', geo: { lat: 1.5 } }, empty: {} },
      }),
    );
    assert.equal(tracks.table, 'tracks');
    assert.equal(ev.table, 'order_completed');
    const t = cells(tracks);
    assert.equal(t.id, 'mid');
    assert.equal(t.event, 'order_completed');
    assert.equal(t.event_text, 'Order Completed');
    assert.equal(t.context_library_name, 'analytics.js');
    assert.equal(t.context_device_type, 'ios');
    assert.equal(t.context_campaign_tags, '["a","b"]');
    assert.equal(t.uuid_ts, NOW);
    assert.equal(t.total, undefined, 'tracks has no properties');
    const e = cells(ev);
    const ty = types(ev);
    assert.equal(e.total, 12);
    assert.equal(ty.total, 'bigint');
    assert.equal(ty.price, 'double');
    assert.equal(ty.gift, 'boolean');
    assert.equal(ty.when, 'timestamp');
    assert.equal(ty.day, 'text');
    assert.equal(ty.received_at, 'timestamp');
    assert.equal(e.items, '[{"sku":"x"}]');
    assert.equal(e.address_city, 'Pune');
    assert.equal(e.address_geo_lat, 1.5);
    assert.ok(!('coupon' in e) && !('empty' in e), 'null and empty objects make no column');
    assert.equal(e.context_ip, '1.2.3.4');
  });

  test('identify → identifies + users (no users row without userId)', () => {
    const r = rows(m({ type: 'identify', userId: 'u1', traits: { email: 'a@b.c', name: 'Ann', plan: { tier: 'pro' } } }));
    assert.deepEqual(r.map((x) => x.table), ['identifies', 'users']);
    assert.equal(cells(r[0]).email, 'a@b.c');
    assert.equal(cells(r[0]).name, 'Ann');
    const u = cells(r[1]);
    assert.equal(u.id, 'u1');
    assert.equal(u.plan_tier, 'pro');
    assert.equal(u.anonymous_id, 'anon');
    assert.deepEqual(rows(m({ type: 'identify', traits: { a: 1 } })).map((x) => x.table), ['identifies']);
  });

  test('page, screen, alias, group', () => {
    const [p] = rows(m({ type: 'page', name: 'Home', category: 'Docs', properties: { url: 'https://x', name: 'Home', path: '/' } }));
    assert.equal(p.table, 'pages');
    assert.deepEqual([cells(p).name, cells(p).category, cells(p).url, cells(p)._name], ['Home', 'Docs', 'https://x', 'Home']);
    assert.equal(rows(m({ type: 'screen', name: 'Cart' }))[0].table, 'screens');
    const [a] = rows(m({ type: 'alias', userId: 'u2', previousId: 'anon' }));
    assert.equal(a.table, 'aliases');
    assert.equal(cells(a).previous_id, 'anon');
    const [g] = rows(m({ type: 'group', userId: 'u', groupId: 'g1', traits: { employees: 50 } }));
    assert.equal(g.table, 'groups');
    assert.deepEqual([cells(g).group_id, cells(g).employees], ['g1', 50]);
  });

  test('user data never takes fixed, system or context columns', () => {
    const [, ev] = rows(m({ type: 'track', event: 'E', properties: { id: 'p', received_at: 'x', event: 'y', context_ip: 'z', xmin: 1, ctid: 2, rowid: 3, _id: 'q' } }));
    const e = cells(ev);
    assert.equal(e.id, 'mid');
    assert.equal(e.received_at, T);
    assert.equal(e.event, 'e');
    assert.equal(e._received_at, 'x');
    assert.equal(e._event, 'y');
    assert.equal(e._context_ip, 'z');
    assert.equal(e._xmin, 1);
    assert.equal(e._ctid, 2);
    assert.equal(e._rowid, 3);
    assert.equal(e._id, 'q', 'the key spelled `_id` keeps `_id`');
    const idCol = Object.keys(e).find((k) => e[k] === 'p')!;
    assert.match(idCol, /^_id_[0-9a-f]{8}$/);
  });

  test('invalid fixed timestamps keep their text; unloadable messages are rejected', () => {
    const [, ev] = rows(m({ type: 'track', event: 'E', sentAt: 'yesterday' }));
    assert.equal(types(ev).sent_at, 'text');
    assert.equal(cells(ev).sent_at, 'yesterday');
    assert.equal(messageToRows(m({ type: 'track' }), NOW).ok, false);
    assert.equal(messageToRows({ ...m({ type: 'track', event: 'E' }), messageId: '' }, NOW).ok, false);
    assert.equal(messageToRows(m({ type: 'bogus' as never }), NOW).ok, false);
  });

  test('timestamp detection is strict', () => {
    for (const s of ['2024-01-01T00:00:00Z', '2024-01-01T00:00:00.123456+05:30', '2024-02-29 10:00', '2024-12-31T23:59:59.999-0800', '2024-01-01T00:00:00+05', '2024-01-01t00:00:00z']) assert.ok(isTimestamp(s), s);
    for (const s of ['2024-01-01', '2023-02-29T00:00:00Z', '2024-13-01T00:00:00Z', '2024-01-32T00:00:00Z', '2024-01-01T24:00:00Z', 'Mon, 01 Jan 2024 00:00:00 GMT', '12345', '2024-01-01T00:00:00+99:00', '2024-01-01T00:00:00+05:75', '2024-01-01T00:00:00+053', '2024-01-01T00:00:00.', '2024-01-01T00:00:00Zx']) assert.ok(!isTimestamp(s), s);
  });
});

describe('schema planning', () => {
  const caps = { integerHoldsDouble: false };
  test('new table, new columns, widening and sibling columns', () => {
    const p = new Planner(new Map(), caps);
    const mk = (props: Record<string, unknown>) => rows(m({ type: 'track', event: 'E', properties: props }))[1];
    p.planRow(mk({ n: 1, flag: true, s: 'a', when: T }));
    const r2 = p.planRow(mk({ n: 1.5, flag: 'yes', s: 2, when: 'not a date' }));
    const byName = Object.fromEntries(r2.columns.map((c, i) => [c, r2.values[i]]));
    assert.equal(byName.n, 1.5);
    assert.equal(byName.flag__text, 'yes');
    assert.equal(byName.s, '2');
    assert.equal(byName.when__text, 'not a date');
    const ops = p.changes.map((c) => `${c.op}:${'column' in c ? c.column : c.table}`);
    assert.ok(ops.includes('createTable:e'));
    assert.ok(ops.includes('widen:n'));
    assert.ok(ops.includes('addColumn:flag__text'));
    assert.ok(ops.includes('addColumn:when__text'));
    assert.ok(!ops.includes('addColumn:s__text'));
  });

  test('sibling chain when <name>__text is taken by another type', () => {
    const cat = new Map([['e', new Map([['x', 'bigint' as const], ['x__text', 'bigint' as const]])]]);
    const p = new Planner(cat, caps);
    const row = rows(m({ type: 'track', event: 'E', properties: { x: 'abc' } }))[1];
    const r = p.planRow(row);
    const byName = Object.fromEntries(r.columns.map((c, i) => [c, r.values[i]]));
    assert.equal(byName.x__text__text, 'abc');
    assert.ok(!('x__text' in byName));
  });

  test('a property named x_text never shares a column with the overflow of x', () => {
    // Whatever else is in the message, x's overflow and the property `x_text` land in different columns.
    const cat = new Map([['e', new Map([['x', 'bigint' as const]])]]);
    const p = new Planner(cat, caps);
    const mk = (props: Record<string, unknown>) => {
      const r = p.planRow(rows(m({ type: 'track', event: 'E', properties: props }))[1]);
      return Object.fromEntries(r.columns.map((c, i) => [c, r.values[i]]));
    };
    const a = mk({ x: 'abc', x_text: 'def' });
    assert.equal(a.x__text, 'abc');
    assert.equal(a.x_text, 'def');
    const b = mk({ x: 'ghi' });
    assert.equal(b.x__text, 'ghi');
    assert.ok(!('x_text' in b));
    const c = mk({ x_text: 'jkl' });
    assert.equal(c.x_text, 'jkl');
    assert.ok(!('x__text' in c));
  });

  test('fit rules', () => {
    assert.equal(fit('double', 'bigint', caps), 'yes');
    assert.equal(fit('bigint', 'double', caps), 'widen');
    assert.equal(fit('bigint', 'double', { integerHoldsDouble: true }), 'yes');
    assert.equal(fit('text', 'boolean', caps), 'yes');
    assert.equal(fit('boolean', 'bigint', caps), 'no');
    assert.equal(fit('timestamp', 'text', caps), 'no');
  });

  test('users rows of one id merge: latest received_at wins per column', () => {
    const rec = (o: Record<string, string | number>) => new Map(Object.entries(o));
    const merged = mergeUserRecords([
      rec({ id: 'u', received_at: '2024-01-02T00:00:00Z', plan: 'pro' }),
      rec({ id: 'u', received_at: '2024-01-01T00:00:00Z', plan: 'free', email: 'a@b' }),
      rec({ id: 'v', received_at: '2024-01-01T00:00:00Z', plan: 'x' }),
    ]);
    assert.equal(merged.length, 2);
    assert.deepEqual(Object.fromEntries(merged[0]), { id: 'u', received_at: '2024-01-02T00:00:00Z', plan: 'pro', email: 'a@b' });
    const w = buildWrites([{ schema: 's', phys: [{ table: 't', kind: 'tracks', columns: ['id', 'a'], values: ['1', 1] }, { table: 't', kind: 'tracks', columns: ['id', 'b'], values: ['2', 2] }] }], true);
    assert.deepEqual(w[0].columns, ['id', 'a', 'b']);
    assert.deepEqual(w[0].rows, [['1', 1, null], ['2', null, 2]]);
  });
});

describe('settings', () => {
  test('exactly one of sqlite or postgres', () => {
    assert.throws(() => parseWarehouseSettings({}), /exactly one/);
    assert.throws(() => parseWarehouseSettings({ sqlite: 'a.db', postgres: 'postgres://x' }), /exactly one/);
    assert.throws(() => parseWarehouseSettings({ sqlite: 'a.db', other: 1 }));
    assert.equal(parseWarehouseSettings({ sqlite: 'a.db', batchSize: 10 }).batchSize, 10);
    const log = { info() {}, warn() {}, error() {} };
    const d = warehouseDestination.create(parseWarehouseSettings({ sqlite: ':memory:' }), { log });
    assert.equal(d.maxBatch, 500);
    assert.equal(d.maxInFlight, 1);
    const p = warehouseDestination.create(parseWarehouseSettings({ postgres: 'postgres://127.0.0.1:1/none', batchSize: 50 }), { log });
    assert.equal(p.maxBatch, 50);
    assert.equal(p.maxInFlight, 2);
    return Promise.all([d.close(), p.close()]).then(() => undefined);
  });

  test('PostgreSQL errors: a lost connection is told apart from an unreachable server', async () => {
    const d = new PostgresDialect('postgres://postgres@127.0.0.1:1/none');
    const e = (code: string | undefined, message = 'x') => Object.assign(new Error(message), code === undefined ? {} : { code });
    const lost = [e('57P01'), e('57P02'), e('08006'), e('08003'), e('ECONNRESET'), e('EPIPE'), e(undefined, 'Connection terminated unexpectedly'), e(undefined, 'Client has encountered a connection error and is not queryable')];
    for (const err of lost) assert.equal(d.classify(err), 'connection', err.message + ' ' + String((err as { code?: string }).code));
    const later = [e('ECONNREFUSED'), e('ETIMEDOUT'), e('57P03'), e('55000'), e('40001'), e('53300'), e(undefined, 'timeout exceeded when trying to connect'), e(undefined, 'Connection terminated due to connection timeout')];
    for (const err of later) assert.equal(d.classify(err), 'retry', err.message + ' ' + String((err as { code?: string }).code));
    assert.deepEqual([d.classify(e('22023')), d.classify(e('28P01')), d.classify(e('42P01'))], ['job', 'auth', 'schema']);
    await d.close();
  });

  test('an unreachable database is a RetryableError, not a crash', async () => {
    const log = { info() {}, warn() {}, error() {} };
    const job = { id: 1, sourceId: 's', destinationId: 'd', userKey: 'u', attempts: 0, receivedAt: 0, message: m({ type: 'track', event: 'E' }) };
    const p = warehouseDestination.create(parseWarehouseSettings({ postgres: 'postgres://postgres@127.0.0.1:1/none' }), { log });
    await assert.rejects(p.deliver([job]), (err: unknown) => err instanceof RetryableError);
    await p.close();
    const dir = mkdtempSync(join(tmpdir(), 'taproute-wh-'));
    writeFileSync(join(dir, 'file'), '');
    const s = warehouseDestination.create(parseWarehouseSettings({ sqlite: join(dir, 'file', 'sub', 'w.db') }), { log }); // parent is a file
    await assert.rejects(s.deliver([job]), (err: unknown) => err instanceof RetryableError);
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
