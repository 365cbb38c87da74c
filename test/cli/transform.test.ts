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
