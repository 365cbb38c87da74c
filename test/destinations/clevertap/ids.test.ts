// What counts as an id: a blank userId / anonymousId / previousId is no id, in every mode.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { idOf } from '../../../src/destinations/clevertap/ids.js';
import type { ProfileRecord } from '../../../src/destinations/clevertap/records.js';
import { event, profile, fail, ok, T, type Mode, type Msg } from './helpers.js';

describe('a blank userId / anonymousId is no id', () => {
  const blanks = ['', ' ', '   ', '\t', '\n ', '\u00a0', '\u3000'];
  for (const b of blanks) test(`idOf(${JSON.stringify(b)}) is undefined`, () => assert.equal(idOf(b), undefined));
  test('idOf keeps real ids as sent', () => {
    assert.equal(idOf(' u1 '), ' u1 ');
    assert.equal(idOf('u'), 'u');
    assert.equal(idOf(7), '7');
  });

  // [label, mode, objectIdMapping, ids, expected ids of the event or 523/'filtered']
  type Ids = { identity?: string; objectId?: string };
  const rows: [string, Mode, boolean, Record<string, unknown>, Ids | 523 | 'filtered'][] = [
    ['own: blank userId → by anonymousId', undefined, false, { userId: '  ', anonymousId: 'A' }, { identity: 'A' }],
    ['own: blank userId, no anonymousId → 523', undefined, false, { userId: ' ' }, 523],
    ['own: both blank → 523', undefined, false, { userId: ' ', anonymousId: '\t' }, 523],
    ['own + objectIdMapping: blank anonymousId → by userId', undefined, true, { userId: 'U', anonymousId: ' ' }, { identity: 'U' }],
    ['own + objectIdMapping: blank userId → objectId', undefined, true, { userId: ' ', anonymousId: 'A' }, { objectId: 'A' }],
    ['segment: blank anonymousId → no objectId', 'segment', false, { userId: 'U', anonymousId: '  ' }, { identity: 'U' }],
    ['segment: blank userId → objectId only', 'segment', false, { userId: '  ', anonymousId: 'A' }, { objectId: 'A' }],
    ['rudderstack: blank userId falls through to traits.userId', 'rudderstack', false, { userId: ' ', traits: { userId: 'T1' } }, { identity: 'T1' }],
    ['rudderstack: blank userId is anonymous (trackAnonymous off)', 'rudderstack', false, { userId: ' ', anonymousId: 'A' }, 'filtered'],
  ];
  for (const [label, compat, objectIdMapping, ids, expected] of rows) {
    test(label, () => {
      const msg: Msg = { type: 'track', event: 'x', timestamp: T, ...ids };
      const s = { compat, objectIdMapping };
      if (expected === 523) assert.equal(fail(msg, s).error.clevertapCode, 523);
      else if (expected === 'filtered') assert.equal(fail(msg, s).filtered, true);
      else {
        const { rec } = event(msg, s);
        assert.deepEqual({ ...(rec.identity !== undefined ? { identity: rec.identity } : {}), ...(rec.objectId !== undefined ? { objectId: rec.objectId } : {}) }, expected);
      }
    });
  }
  test('identify: a blank userId is neither identity nor link', () => {
    const r = profile({ type: 'identify', userId: ' ', anonymousId: 'A', timestamp: T, traits: {} }, { objectIdMapping: true });
    assert.deepEqual([r.rec.identity, r.rec.objectId, r.rec.profileData.identity], [undefined, 'A', undefined]);
    assert.equal(fail({ type: 'identify', userId: '  ', timestamp: T }).error.clevertapCode, 523);
  });
  test('alias: a blank previousId or userId is no id', () => {
    assert.equal(fail({ type: 'alias', previousId: ' ', userId: 'U', timestamp: T }).error.clevertapCode, 523);
    const r = ok({ type: 'alias', previousId: 'P', userId: ' ', timestamp: T });
    assert.deepEqual((r.records[0] as ProfileRecord).profileData, {});
  });
});
