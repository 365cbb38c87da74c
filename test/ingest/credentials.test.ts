// Sources are found by their credentials (ingest/accept.ts): the source whose own key is the one given, and none
// for a key no source has, whatever it shares with one (a prefix, the same length, another source's secret).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createIngestContext } from '../../src/ingest/accept.js';
import type { SourceConfig } from '../../src/config/schema.js';
import type { Store } from '../../src/store/types.js';

const sources = [
  { id: 'web', type: 'segment', writeKey: 'key-web' },
  { id: 'app', type: 'segment', writeKey: 'key-app' },
  { id: 'feed', type: 'mparticle', key: 'mp-key', secret: 'mp-secret' },
  { id: 'feed2', type: 'mparticle', key: 'mp-key2', secret: 'mp-secret2' },
] as SourceConfig[];
const limits = { maxEventBytes: 32 * 1024, maxRequestBytes: 500 * 1024, maxBatchEvents: 2500, maxBacklog: 1e9 };
const ctx = createIngestContext(sources, [], [], {} as Store, limits, () => {});

test('sourceByWriteKey: the source with that write key, none for any other key', () => {
  assert.equal(ctx.sourceByWriteKey('key-web')?.id, 'web');
  assert.equal(ctx.sourceByWriteKey('key-app')?.id, 'app');
  for (const k of ['', 'key-', 'key-webx', 'key-wex', 'KEY-WEB', 'mp-key', 'mp-secret']) assert.equal(ctx.sourceByWriteKey(k), undefined, k);
});

test('sourceByKeySecret: the source with that key and secret, none when either is another', () => {
  assert.equal(ctx.sourceByKeySecret('mp-key', 'mp-secret')?.id, 'feed');
  assert.equal(ctx.sourceByKeySecret('mp-key2', 'mp-secret2')?.id, 'feed2');
  assert.equal(ctx.sourceByKeySecret('mp-key', 'mp-secret2'), undefined);
  assert.equal(ctx.sourceByKeySecret('mp-key2', 'mp-secret'), undefined);
  assert.equal(ctx.sourceByKeySecret('key-web', ''), undefined);
  assert.equal(ctx.sourceByKeySecret('', ''), undefined);
});
