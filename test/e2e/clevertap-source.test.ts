// CleverTap as a source, end to end: "Every system event and user attribute in seeds 000 and 001 travels by each
// protocol into SQLite and PostgreSQL warehouse tables, and the same event gives the same rows whichever way it
// came." Plus the loop guard: events that came from CleverTap reach a CleverTap destination only when a connection
// says so explicitly.
//
// One real server: sources ct-seg (CleverTap's Segment export, /v1/batch), ct-mp (CleverTap's mParticle feed,
// /v2/bulkevents), ct-hook (CleverTap webhooks); destinations wh-sqlite and wh-pg (warehouse), each connected to
// all three. Every catalogue event (canonical name and every variant) goes by Segment and by mParticle with the
// same userId and event time; every user attribute by Segment, mParticle and webhook. The warehouse is then read
// back from both databases and rows are compared column by column.
//
// Columns NOT compared between protocols (everything else must be equal, NULL = absent):
//   id, received_at, uuid_ts                  message id, arrival and load time: differ per copy by nature;
//   context_library_*                         the Segment export's client library (Segment path only);
//   context_mparticle_*                       mParticle transport (request id, environment, event_type ...);
//   context_clevertap_webhook_*               webhook transport (targetId);
//   timestamp, original_timestamp             webhook rows only: a webhook payload carries no event time.
//   `users` rows are keyed by id = userId, so there `id` IS compared (only received_at and uuid_ts are not).
// Nothing else is excluded: sent_at is compared too (neither path sets it here; with a sentAt the Segment path
// would apply Segment's clock-skew correction to `timestamp`, which the mParticle feed has no equivalent of).
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { parseConfig } from '../../src/config/load.js';
import { startServer, type RunningServer } from '../../src/server.js';
import { createLogger } from '../../src/util/logger.js';
import { startEmulator } from '../../src/emulator/index.js';
import { schemaName } from '../../src/destinations/warehouse/naming.js';
import { SYSTEM_EVENTS, USER_ATTRIBUTES } from '../../src/clevertap/catalogue.js';
import { post, basic, waitFor, tmpDir, reconciled } from '../helpers.js';
import {
  CUSTOM_EVENT,
  column,
  eventCases,
  expectedIdentifyRow,
  expectedTrackRow,
  mparticleEventBatch,
  mparticleProfileBatch,
  postgresReader,
  profileCases,
  propertyColumns,
  segmentEventMessages,
  segmentProfileMessages,
  sqliteReader,
  type Row,
  type WarehouseReader,
} from './clevertap-source.fixtures.js';
import { testDatabaseUrl } from '../pg.js';

const PG_URL = await testDatabaseUrl();
const RUN = randomBytes(4).toString('hex');
const PREFIX = `tcs_${RUN}_`;
const WRITE_KEY = `ct-seg-key-${RUN}`;
const MP_KEY = `ct-mp-key-${RUN}`;
const MP_SECRET = `ct-mp-secret-${RUN}`;
const HOOK_SECRET = `ct-hook-secret-${RUN}`;
const LIBRARY = { name: 'clevertap-segment-export', version: '1.0.0' };

const EXCLUDED = new Set(['id', 'received_at', 'uuid_ts']);
const EXCLUDED_PREFIXES = ['context_library_', 'context_mparticle_', 'context_clevertap_webhook_'];
const NO_EVENT_TIME = ['timestamp', 'original_timestamp'];
const USERS_EXCLUDED = new Set(['received_at', 'uuid_ts']);

/** The row without the transport-specific columns (see the header). */
function comparable(row: Row, also: string[] = []): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    if (EXCLUDED.has(k) || also.includes(k) || EXCLUDED_PREFIXES.some((p) => k.startsWith(p))) continue;
    out[k] = v;
  }
  return out;
}
function comparableUser(row: Row): Row {
  return Object.fromEntries(Object.entries(row).filter(([k]) => !USERS_EXCLUDED.has(k)));
}

const cases = eventCases(RUN);
const profiles = profileCases(RUN);
const SOURCES = { seg: 'ct-seg', mp: 'ct-mp', hook: 'ct-hook' } as const;
const schema = (source: string) => schemaName(source, PREFIX);

describe('CleverTap source → warehouse: every catalogue event and user attribute, by every protocol', () => {
  const t = tmpDir('taproute-ct-e2e-');
  const whFile = join(t.dir, 'warehouse.sqlite');
  let server: RunningServer;
  const readers = new Map<'sqlite' | 'postgres', WarehouseReader>();
  const cache = new Map<string, Promise<Row[]>>();
  const rowsOf = (db: 'sqlite' | 'postgres', source: string, table: string): Promise<Row[]> => {
    const key = `${db}\u0000${source}\u0000${table}`;
    let p = cache.get(key);
    if (!p) cache.set(key, (p = readers.get(db)!.rows(schema(source), table)));
    return p;
  };
  const one = async (db: 'sqlite' | 'postgres', source: string, table: string, userId: string, idColumn = 'user_id'): Promise<Row> => {
    const rows = (await rowsOf(db, source, table)).filter((r) => r[idColumn] === userId);
    assert.equal(rows.length, 1, `${db} ${source}.${table}: one row for ${userId} (got ${rows.length})`);
    return rows[0];
  };

  const expected = {
    seg: cases.length * 2 + profiles.length * 2,
    mp: cases.length * 2 + profiles.length * 2,
    hook: profiles.length,
  };

  before(async () => {
    const config = parseConfig({
      server: { port: 0 },
      storage: { sqlite: join(t.dir, 'store.sqlite'), synchronous: 'NORMAL' },
      router: { retryBase: '20ms', retryMax: '200ms', pollInterval: '20ms' },
      sources: [
        { id: SOURCES.seg, type: 'clevertap', writeKey: WRITE_KEY },
        { id: SOURCES.mp, type: 'mparticle', key: MP_KEY, secret: MP_SECRET },
        { id: SOURCES.hook, type: 'clevertap', secret: HOOK_SECRET },
      ],
      destinations: [
        { id: 'wh-sqlite', type: 'warehouse', settings: { sqlite: whFile, schemaPrefix: PREFIX } },
        { id: 'wh-pg', type: 'warehouse', settings: { postgres: PG_URL, schemaPrefix: PREFIX } },
      ],
      connections: Object.values(SOURCES).flatMap((source) => [
        { source, destination: 'wh-sqlite' },
        { source, destination: 'wh-pg' },
      ]),
    });
    server = await startServer(config, { logger: createLogger('silent') });

    // Segment export: one /v1/batch with every event (identify + track per user) and both profiles.
    const batch = [...cases.flatMap(segmentEventMessages), ...profiles.flatMap(segmentProfileMessages)];
    const seg = await post(`${server.url}/v1/batch`, { batch, context: { library: LIBRARY } }, { authorization: basic(WRITE_KEY) });
    assert.equal(seg.status, 200, JSON.stringify(seg.body));
    assert.deepEqual(seg.body, { success: true });

    // mParticle feed: one /v2/bulkevents with one batch per event and per profile.
    const mpBatches = [...cases.map(mparticleEventBatch), ...profiles.map(mparticleProfileBatch)];
    const mp = await post(`${server.url}/v2/bulkevents`, mpBatches, { authorization: basic(MP_KEY, MP_SECRET) });
    assert.equal(mp.status, 202, JSON.stringify(mp.body));
    assert.deepEqual(mp.body, { accepted: expected.mp, duplicates: 0, rejected: 0 });

    // Webhook: both profiles in one payload.
    const hook = await post(
      `${server.url}/webhooks/clevertap/${SOURCES.hook}`,
      { targetId: 4242, profiles: profiles.map((p) => p.webhookProfile) },
      { 'x-taproute-secret': HOOK_SECRET },
    );
    assert.equal(hook.status, 200, JSON.stringify(hook.body));
    assert.deepEqual(hook.body, { ok: true, accepted: expected.hook, duplicates: 0, rejected: 0 });

    await waitFor(
      async () => {
        const c = await server.store.counts();
        return c.length === 6 && c.every((x) => x.pending === 0);
      },
      15_000,
      'every warehouse job settled',
    ).catch(async (err: Error) => {
      const dead = (await server.store.failures({ limit: 5 })).map((f) => `${f.destinationId} ${f.code}: ${f.reason}`);
      throw new Error(`${err.message}; counts ${JSON.stringify((await server.store.counts()))}; dead ${JSON.stringify(dead)}`);
    });
    readers.set('sqlite', sqliteReader(whFile));
    readers.set('postgres', postgresReader(PG_URL, PREFIX));
  });

  after(async () => {
    await server?.close();
    for (const r of readers.values()) await r.close();
    if (!readers.has('postgres')) await postgresReader(PG_URL, PREFIX).close(); // drop schemas even if before() failed
    t.cleanup();
  });

  test('every job is delivered to both warehouses: none dead, none filtered, counts reconcile', async () => {
    const counts = (await server.store.counts());
    const failures = (await server.store.failures({ limit: 5 }));
    assert.deepEqual(failures, [], 'no dead letters');
    for (const [k, source] of Object.entries(SOURCES) as [keyof typeof SOURCES, string][]) {
      for (const destinationId of ['wh-sqlite', 'wh-pg']) {
        const c = counts.find((x) => x.sourceId === source && x.destinationId === destinationId);
        assert.deepEqual(c, { sourceId: source, destinationId, received: expected[k], delivered: expected[k], dead: 0, filtered: 0, pending: 0, warnings: 0 });
      }
    }
    assert.ok(await reconciled(server));
  });

  for (const db of ['sqlite', 'postgres'] as const) {
    describe(`${db}: system events (Segment export vs mParticle feed)`, () => {
      for (const entry of SYSTEM_EVENTS) {
        const table = column(entry.name);
        const mine = cases.filter((c) => c.entry === entry);
        test(`${entry.name} → tracks + ${table} (${mine.length} spelling${mine.length > 1 ? 's' : ''})`, async () => {
          for (const source of [SOURCES.seg, SOURCES.mp]) {
            const tables = await readers.get(db)!.tables(schema(source));
            for (const t of ['tracks', table, 'identifies', 'users']) assert.ok(tables.includes(t), `${source} has table ${t}`);
          }
          const clevertap = { context_clevertap_system: true, context_clevertap_event_type: entry.mparticleType };
          for (const c of mine) {
            const at = `${c.spelling} (${c.userId})`;
            for (const tbl of ['tracks', table]) {
              const seg = await one(db, SOURCES.seg, tbl, c.userId);
              const mp = await one(db, SOURCES.mp, tbl, c.userId);
              assert.deepEqual(comparable(mp), comparable(seg), `${at} ${tbl}: mParticle row = Segment row`);
              const want = expectedTrackRow(c.userId, c.tsMs, entry.name, table, clevertap);
              if (tbl === table) Object.assign(want, propertyColumns(c.properties));
              assert.deepEqual(comparable(seg), want, `${at} ${tbl}: the expected row`);
              // The excluded columns are what tells the transports apart.
              assert.equal(seg.context_library_name, LIBRARY.name);
              assert.equal(mp.context_mparticle_event_type, entry.mparticleType === 'Uninstall' ? 'uninstall' : 'custom_event');
              assert.notEqual(seg.id, mp.id);
            }
            const segId = await one(db, SOURCES.seg, 'identifies', c.userId);
            const mpId = await one(db, SOURCES.mp, 'identifies', c.userId);
            assert.deepEqual(comparable(mpId), comparable(segId), `${at} identifies: mParticle row = Segment row`);
            assert.deepEqual(comparable(segId), expectedIdentifyRow(c.userId, c.tsMs, { email: c.email }), `${at} identifies: the expected row`);
            const segUser = await one(db, SOURCES.seg, 'users', c.userId, 'id');
            const mpUser = await one(db, SOURCES.mp, 'users', c.userId, 'id');
            assert.deepEqual(comparableUser(mpUser), comparableUser(segUser), `${at} users: mParticle row = Segment row`);
            assert.deepEqual(comparableUser(segUser), { id: c.userId, email: c.email }, `${at} users: the expected row`);
          }
        });
      }
    });

    describe(`${db}: user attributes (Segment export vs mParticle feed vs webhook)`, () => {
      test(`identifies and users rows hold the ${USER_ATTRIBUTES.length} attributes under their Segment trait names`, async () => {
        for (const p of profiles) {
          const want = expectedIdentifyRow(p.userId, p.tsMs, p.expectedTraits);
          const seg = await one(db, SOURCES.seg, 'identifies', p.userId);
          const mp = await one(db, SOURCES.mp, 'identifies', p.userId);
          const hook = await one(db, SOURCES.hook, 'identifies', p.userId);
          assert.deepEqual(comparable(mp), comparable(seg), `${p.userId} identifies: mParticle row = Segment row`);
          assert.deepEqual(comparable(hook, NO_EVENT_TIME), comparable(seg, NO_EVENT_TIME), `${p.userId} identifies: webhook row = Segment row`);
          assert.deepEqual(comparable(seg), want, `${p.userId} identifies: the expected row`);
          assert.equal(hook.context_clevertap_webhook_target_id, 4242);

          const users = await Promise.all([SOURCES.seg, SOURCES.mp, SOURCES.hook].map((s) => one(db, s, 'users', p.userId, 'id')));
          for (const u of users) assert.deepEqual(comparableUser(u), { id: p.userId, ...p.expectedTraits }, `${p.userId} users row`);
          for (const row of [seg, mp, hook, ...users]) {
            const raw = Object.keys(row).filter((k) => /^(ct_|msg_|dob$|photo$)/.test(k));
            assert.deepEqual(raw, [], `${p.userId}: no CleverTap-named trait column`);
          }
        }
      });

      test(`app-defined event "${CUSTOM_EVENT}" (not in the catalogue) gives the same rows too`, async () => {
        const table = column(CUSTOM_EVENT);
        for (const p of profiles) {
          for (const tbl of ['tracks', table]) {
            const seg = await one(db, SOURCES.seg, tbl, p.userId);
            const mp = await one(db, SOURCES.mp, tbl, p.userId);
            assert.deepEqual(comparable(mp), comparable(seg), `${p.userId} ${tbl}: mParticle row = Segment row`);
            const want = expectedTrackRow(p.userId, p.tsMs, CUSTOM_EVENT, table, { context_clevertap_system: false });
            if (tbl === table) Object.assign(want, propertyColumns(p.couponProperties));
            assert.deepEqual(comparable(seg), want, `${p.userId} ${tbl}: the expected row`);
          }
        }
      });
    });
  }

  test('SQLite and PostgreSQL hold the same tables and rows (all but uuid_ts)', async () => {
    for (const source of Object.values(SOURCES)) {
      const lite = await readers.get('sqlite')!.tables(schema(source));
      const pgt = await readers.get('postgres')!.tables(schema(source));
      assert.deepEqual(lite, pgt, `${source}: same tables`);
      for (const table of lite) {
        const strip = (rows: Row[]) => rows.map(({ uuid_ts: _u, ...r }) => r);
        assert.deepEqual(strip(await rowsOf('sqlite', source, table)), strip(await rowsOf('postgres', source, table)), `${source}.${table}`);
      }
    }
  });
});

describe('loop guard: CleverTap-origin events and a CleverTap destination', () => {
  const t = tmpDir('taproute-ct-loop-');
  let server: RunningServer;
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  const LOOP_KEY = `ct-loop-key-${RUN}`;
  const WEB_KEY = `web-key-${RUN}`;

  before(async () => {
    emulator = await startEmulator({
      port: 0,
      logger: false,
      accounts: ['guarded', 'off', 'loop'].map((id) => ({ id, passcode: `pass-${id}` })),
    });
    const ct = (id: string) => ({ id: `ct-${id}`, type: 'clevertap', settings: { accountId: id, passcode: `pass-${id}`, endpoint: emulator.url } });
    server = await startServer(
      parseConfig({
        server: { port: 0 },
        storage: { sqlite: join(t.dir, 'store.sqlite'), synchronous: 'NORMAL' },
        router: { retryBase: '20ms', retryMax: '200ms', pollInterval: '20ms' },
        sources: [
          { id: 'ct-seg', type: 'clevertap', writeKey: LOOP_KEY },
          { id: 'web', type: 'segment', writeKey: WEB_KEY },
        ],
        destinations: [ct('guarded'), ct('off'), ct('loop')],
        connections: [
          { source: 'ct-seg', destination: 'ct-guarded' }, // no flag: guarded
          { source: 'ct-seg', destination: 'ct-off', allowCleverTapLoop: false }, // explicit false: guarded
          { source: 'ct-seg', destination: 'ct-loop', allowCleverTapLoop: true }, // explicitly allowed
          { source: 'web', destination: 'ct-guarded' }, // not CleverTap origin: never guarded
        ],
      }),
      { logger: createLogger('silent') },
    );
    const fromCleverTap = [
      { type: 'track', messageId: 'lg-1', userId: 'lg-user', event: 'App Launched', properties: { 'CT Source': 'Mobile' } },
      { type: 'track', messageId: 'lg-2', userId: 'lg-user', event: 'A/B Experiment Stopped', properties: { variant: 'b' } },
      { type: 'track', messageId: 'lg-3', userId: 'lg-user', event: CUSTOM_EVENT, properties: { coupon_code: 'LOOP10', discount: 10 } },
    ];
    const r1 = await post(`${server.url}/v1/batch`, { batch: fromCleverTap }, { authorization: basic(LOOP_KEY) });
    assert.equal(r1.status, 200, JSON.stringify(r1.body));
    const r2 = await post(
      `${server.url}/v1/batch`,
      { batch: [{ type: 'track', messageId: 'web-1', userId: 'web-user', event: CUSTOM_EVENT, properties: { coupon_code: 'WEB5' } }] },
      { authorization: basic(WEB_KEY) },
    );
    assert.equal(r2.status, 200, JSON.stringify(r2.body));
    await waitFor(async () => (await server.store.counts()).length === 4 && (await server.store.counts()).every((c) => c.pending === 0), 10_000, 'loop-guard jobs settled');
  });

  after(async () => {
    await server?.close();
    await emulator?.close();
    t.cleanup();
  });

  const countsOf = async (source: string, destination: string) => {
    const c = (await server.store.counts()).find((x) => x.sourceId === source && x.destinationId === destination);
    assert.ok(c, `counts for ${source} → ${destination}`);
    return { received: c.received, delivered: c.delivered, dead: c.dead, filtered: c.filtered, pending: c.pending };
  };

  test('without allowCleverTapLoop (absent or false) every CleverTap-origin event is filtered and none reaches CleverTap', async () => {
    assert.deepEqual(await countsOf('ct-seg', 'ct-guarded'), { received: 3, delivered: 0, dead: 0, filtered: 3, pending: 0 });
    assert.deepEqual(await countsOf('ct-seg', 'ct-off'), { received: 3, delivered: 0, dead: 0, filtered: 3, pending: 0 });
    assert.deepEqual(emulator.events('off'), []);
    assert.equal(emulator.stats('off').requests, 0);
    // The same destination still gets events of non-CleverTap origin.
    assert.deepEqual(await countsOf('web', 'ct-guarded'), { received: 1, delivered: 1, dead: 0, filtered: 0, pending: 0 });
    const guarded = emulator.events('guarded') as { identity?: string; evtName?: string }[];
    assert.deepEqual(guarded.map((e) => [e.identity, e.evtName]), [['web-user', CUSTOM_EVENT]]);
    assert.ok(await reconciled(server));
  });

  test('with allowCleverTapLoop: true a custom event is delivered; system events are dead-lettered as restricted_event', async () => {
    assert.deepEqual(await countsOf('ct-seg', 'ct-loop'), { received: 3, delivered: 1, dead: 2, filtered: 0, pending: 0 });
    const events = emulator.events('loop') as { identity?: string; evtName?: string; evtData?: Record<string, unknown> }[];
    assert.equal(events.length, 1);
    assert.equal(events[0].identity, 'lg-user');
    assert.equal(events[0].evtName, CUSTOM_EVENT);
    assert.equal(events[0].evtData?.coupon_code, 'LOOP10');
    const dead = (await server.store.failures({ destination: 'ct-loop' }));
    assert.deepEqual(dead.map((f) => [f.messageId, f.code]).sort(), [['lg-1', 'restricted_event'], ['lg-2', 'restricted_event']]);
    // The variant spelling was normalised at ingest, so the restriction matched the canonical name.
    assert.match(dead.find((f) => f.messageId === 'lg-2')!.reason, /AB Experiment Stopped/);
  });
});
