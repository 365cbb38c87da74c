// `taproute transform` works for every destination type with a dry run (CleverTap's own contract is in
// test/destinations/clevertap/cli.test.ts): a real process, NDJSON in, one line out per message, in order.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpDir } from '../tmp.js';

function runCli(destination: string, settings: unknown, messages: unknown[]) {
  const t = tmpDir('taproute-transform-');
  try {
    const file = join(t.dir, 'settings.json');
    writeFileSync(file, JSON.stringify(settings));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'transform', '--destination', destination, '--settings', file], {
      input: messages.map((m) => JSON.stringify(m)).join('\n') + '\n',
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: r.status, stderr: r.stderr, lines: r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)) };
  } finally {
    t.cleanup();
  }
}

const track = { type: 'track', messageId: 'm1', userId: 'u1', event: 'Order Completed', properties: { revenue: 3, address: { city: 'Pune' } } };

describe('taproute transform for other destination types', () => {
  test('webhook: the message as it would be posted; invalid messages get error lines', () => {
    const r = runCli('webhook', { type: 'webhook', settings: { url: 'https://example.com/hook' } }, [track, { type: 'track', messageId: 'm2', userId: 'u1' }]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(r.lines, [
      { messageId: 'm1', records: [track], warnings: [] },
      { messageId: 'm2', error: { code: 'invalid_message', message: 'track requires event' } },
    ]);
  });

  test('warehouse: the rows it would write (tracks and the event table, properties flattened); settings are checked', () => {
    const r = runCli('warehouse', { sqlite: 'never-opened.sqlite' }, [track, { type: 'identify', userId: 'u2', traits: { plan: 'pro' } }]);
    assert.equal(r.status, 0, r.stderr);
    const rows = r.lines[0].records as { table: string; cells: { name: string; value: unknown }[] }[];
    assert.deepEqual(rows.map((x) => x.table), ['tracks', 'order_completed']);
    const event = Object.fromEntries(rows[1].cells.map((c) => [c.name, c.value]));
    assert.equal(event.id, 'm1');
    assert.equal(event.user_id, 'u1');
    assert.equal(event.event_text, 'Order Completed');
    assert.equal(event.address_city, 'Pune');
    assert.equal(event.revenue, 3);
    // Ingest gives every message an id; without one the warehouse has no primary key.
    assert.deepEqual(r.lines[1], { messageId: null, error: { code: 'warehouse_reject', message: 'message has no messageId' } });

    const bad = runCli('warehouse', { sqlite: 'a.db', postgres: 'postgres://x' }, [track]);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /invalid warehouse settings: set exactly one of sqlite, postgres/);
    assert.deepEqual(bad.lines, []);
  });
});

describe('taproute transform with a connection filter and a function', () => {
  const cli = (args: string[], messages: unknown[]) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'transform', ...args], {
      input: messages.map((m) => JSON.stringify(m)).join('\n') + '\n',
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: r.status, stderr: r.stderr, lines: r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)) };
  };
  const order = { type: 'track', messageId: 'o', userId: 'u1', event: 'Order Completed', properties: { order_id: 'o1', products: [{ sku: 'a' }, { sku: 'b' }] } };

  test('--function runs the function before the mapping: a split gives every part\'s records on one line', () => {
    const t = tmpDir('taproute-transform-');
    try {
      const settings = join(t.dir, 'settings.json');
      writeFileSync(settings, JSON.stringify({ url: 'https://example.com/hook' }));
      const r = cli(['--destination', 'webhook', '--settings', settings, '--function', 'examples/functions/split-order.js'], [order, { ...track, messageId: 'm9' }]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.lines.length, 2);
      assert.equal(r.lines[0].parts, 3);
      assert.deepEqual(r.lines[0].records.map((m: { event: string }) => m.event), ['Order Completed', 'Product Purchased', 'Product Purchased']);
      assert.equal(r.lines[1].messageId, 'm9');
    } finally {
      t.cleanup();
    }
  });

  test('--config and --connection apply the connection\'s filter, dropFields and function; errors name the cause', () => {
    const t = tmpDir('taproute-transform-');
    try {
      const cfg = join(t.dir, 'taproute.yaml');
      writeFileSync(cfg, `sources: [{ id: web, type: segment, writeKey: k }]
destinations: [{ id: hook, type: webhook, settings: { url: "https://example.com/hook" } }]
connections: [{ source: web, destination: hook, filter: { denyEvents: ["Debug *"], where: "properties.env != 'test'", dropFields: [traits.email] }, function: ${JSON.stringify(join(process.cwd(), 'test/connections/functions/throws.js'))} }]
`);
      const r = cli(['--config', cfg, '--connection', 'web:hook'], [
        { type: 'track', messageId: 'a', userId: 'u', event: 'Debug 1' },
        { type: 'track', messageId: 'b', userId: 'u', event: 'X', properties: { env: 'test' } },
        { type: 'identify', messageId: 'c', userId: 'u', traits: { email: 'e@x.io', name: 'N' } },
        { type: 'track', messageId: 'd', userId: 'u', event: 'Boom' },
      ]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(r.lines[0], { messageId: 'a', filtered: true, rule: 'denyEvents' });
      assert.deepEqual(r.lines[1], { messageId: 'b', filtered: true, rule: 'where' });
      assert.deepEqual(r.lines[2].records[0].traits, { name: 'N' });
      assert.equal(r.lines[3].error.code, 'function_error');
      assert.match(r.lines[3].error.message, /^function threw: boom/);
      const missing = cli(['--config', cfg, '--connection', 'web:nope'], []);
      assert.equal(missing.status, 2);
      assert.match(missing.stderr, /no connection web:nope .*known: web:hook/);
      const settings = join(t.dir, 'settings.json');
      writeFileSync(settings, JSON.stringify({ url: 'https://example.com/hook' }));
      const broken = cli(['--destination', 'webhook', '--settings', settings, '--function', 'test/connections/functions/no-export.js'], []);
      assert.equal(broken.status, 2);
      assert.match(broken.stderr, /no-export\.js cannot be loaded: the module does not export a function named transform/);
    } finally {
      t.cleanup();
    }
  });
});
