// `taproute transform` end to end: a real process, NDJSON in, one line out per message, in order.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function runCli(settings: unknown, stdin: string, destination = 'clevertap') {
  const dir = mkdtempSync(join(tmpdir(), 'taproute-transform-'));
  try {
    const file = join(dir, 'settings.json');
    writeFileSync(file, typeof settings === 'string' ? settings : JSON.stringify(settings));
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'transform', '--destination', destination, '--settings', file], {
      input: stdin,
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr, lines: r.stdout.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('taproute transform', () => {
  test('one line per message, in order; malformed and invalid lines get error lines; blank lines are skipped', () => {
    const input = [
      JSON.stringify({ type: 'identify', messageId: 'm1', userId: 'u1', anonymousId: 'a1', timestamp: '2024-05-01T12:34:56Z', traits: { firstName: 'Ann', gender: 'female' }, context: { device: { token: 'tok' }, os: { name: 'Android' } } }),
      '{"type": "track", "messageId": "m2", oops',
      '',
      JSON.stringify({ type: 'track', messageId: 'm3', userId: 'u1', event: 'Order Completed', properties: { checkout_id: 'c1', revenue: 9.5, products: [{ sku: 'a' }] } }),
      JSON.stringify({ type: 'group', messageId: 'm4', userId: 'u1', groupId: 'g1' }),
      JSON.stringify({ type: 'track', messageId: 'm5', userId: 'u1' }),
      JSON.stringify({ type: 'track', messageId: 'm6', userId: 'u1', event: 'App Launched' }),
      JSON.stringify({ type: 'page', anonymousId: 'a2', name: 'Home' }),
      JSON.stringify({ type: 'track', messageId: 'm8', anonymousId: 'a3', event: 'x' }),
      '[1, 2]',
    ].join('\n');
    const r = runCli({ compat: 'segment', trackAnonymous: false }, input + '\n');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.lines[1].error.message, /JSON/);
    assert.deepEqual(r.lines, [
      {
        messageId: 'm1',
        records: [
          { type: 'profile', identity: 'u1', objectId: 'a1', ts: 1714566896, profileData: { first_name: 'Ann', Name: 'Ann', Gender: 'F' } },
          { type: 'token', objectId: 'a1', tokenData: { id: 'tok', type: 'fcm' } },
        ],
        warnings: [{ code: 'value_normalised', field: 'Gender', message: 'Gender "female" sent as "F"' }],
      },
      { messageId: null, error: { code: 'invalid_json', message: r.lines[1].error.message } },
      { messageId: 'm3', records: [{ type: 'event', identity: 'u1', evtName: 'Charged', evtData: { 'Charged ID': 'c1', Amount: 9.5, Items: [{ sku: 'a' }] } }], warnings: [] },
      { messageId: 'm4', error: { code: 'unsupported_type', message: 'CleverTap has no groups: group messages are not sent' } },
      { messageId: 'm5', error: { code: 'invalid_message', message: 'track requires event' } },
      { messageId: 'm6', error: { code: 'restricted_event', message: '"App Launched" is a CleverTap system event and cannot be raised', clevertapCode: 513 } },
      { messageId: null, error: { code: 'anonymous_not_tracked', message: 'page without a userId: trackAnonymous is off' }, filtered: true },
      { messageId: 'm8', error: { code: 'anonymous_not_tracked', message: 'track without a userId: trackAnonymous is off' }, filtered: true },
      { messageId: null, error: { code: 'invalid_message', message: r.lines[8].error.message } },
    ]);
  });

  test('accepts a destination entry {type, settings} and needs no credentials for a dry run', () => {
    const r = runCli({ type: 'clevertap', settings: { compat: 'rudderstack' } }, JSON.stringify({ type: 'screen', userId: 'u', name: 'Home' }) + '\n');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.lines[0].records[0].evtName, 'Screen Viewed: Home');
  });

  test('invalid settings or an unknown destination: exit 2 with a reason, no output', () => {
    const bad = runCli({ compat: 'mparticle' }, '{}\n');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /invalid clevertap settings/);
    assert.equal(bad.stdout, '');
    const unknown = runCli({}, '{}\n', 'nowhere');
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown destination/);
    const notJson = runCli('{nope', '{}\n');
    assert.equal(notJson.status, 2);
  });
});
