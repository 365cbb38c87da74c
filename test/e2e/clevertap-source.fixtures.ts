// Payloads for test/e2e/clevertap-source.test.ts: every catalogue event and user attribute, expressed as CleverTap
// sends it by each protocol (Segment export on /v1/batch, mParticle feed on /v2/bulkevents, webhook profiles), plus
// the warehouse rows they must load to (written independently of src/destinations/warehouse/rows.ts).
import Database from 'better-sqlite3';
import pg from 'pg';
import { SYSTEM_EVENTS, USER_ATTRIBUTES, type CatalogueEntry } from '../../src/clevertap/catalogue.js';

export type Row = Record<string, unknown>;

const EVENT_T0 = Date.parse('2025-03-01T11:58:30.000Z');

/** One spelling of one catalogue event, sent once by each protocol as the same CleverTap event. */
export interface EventCase {
  entry: CatalogueEntry;
  spelling: string;
  userId: string;
  email: string;
  tsMs: number;
  properties: Record<string, unknown>;
}

/**
 * A value per attribute: the type depends on the attribute's position only (so every spelling of an event puts the
 * same type in each column of its table), the value on the spelling too (so rows of different spellings differ).
 * Structured attributes get structured values: an object (flattened by the warehouse) and an array (JSON text).
 */
function attributeValue(attr: string, i: number, k: number): unknown {
  if (attr === 'session_props') return { utm_source: `news-${k}`, pages: i + k };
  if (attr === 'all_identities') return [`id-${k}`, `user${k}@example.test`];
  switch (i % 5) {
    case 0:
      return 1000 + i * 7 + k; // bigint
    case 1:
      return `v${i}-${k}`; // text
    case 2:
      return k % 2 === 0; // boolean
    case 3:
      return i + 0.25 + k; // double
    default:
      return new Date(Date.UTC(2025, 1, 10 + (i % 15), 8, k)).toISOString(); // timestamp
  }
}

export function eventCases(run: string): EventCase[] {
  const out: EventCase[] = [];
  SYSTEM_EVENTS.forEach((entry, e) => {
    [entry.name, ...entry.variants].forEach((spelling, k) => {
      const n = out.length;
      out.push({
        entry,
        spelling,
        userId: `${run}-ev${e}-${k}`,
        email: `ev${e}-${k}@example.test`,
        tsMs: EVENT_T0 + n * 1000,
        properties: Object.fromEntries(entry.attributes.map((a, i) => [a, attributeValue(a, i, k)])),
      });
    });
  });
  return out;
}

/** Segment export: the ISO string without milliseconds (as a Segment client may send it). */
const segTime = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** CleverTap's Segment export: an identify (the user's email) and the track, as /v1/batch items. */
export function segmentEventMessages(c: EventCase): object[] {
  return [
    { type: 'identify', messageId: `seg-id-${c.userId}`, userId: c.userId, timestamp: segTime(c.tsMs), traits: { email: c.email } },
    { type: 'track', messageId: `seg-tr-${c.userId}`, userId: c.userId, timestamp: segTime(c.tsMs), event: c.spelling, properties: c.properties },
  ];
}

/** CleverTap's mParticle feed: one batch (customer_id + email), a custom_event of the catalogue's type (uninstall for App Uninstalled). */
export function mparticleEventBatch(c: EventCase): object {
  const data = { timestamp_unixtime_ms: c.tsMs, source_message_id: `mp-tr-${c.userId}`, custom_attributes: c.properties };
  const event =
    c.entry.mparticleType === 'Uninstall'
      ? { event_type: 'uninstall', data }
      : { event_type: 'custom_event', data: { ...data, event_name: c.spelling, custom_event_type: c.entry.mparticleType.toLowerCase() } };
  return {
    source_request_id: `mp-req-${c.userId}`,
    environment: 'production',
    user_identities: { customer_id: c.userId, email: c.email },
    events: [event],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// User attributes: two users, each attribute of USER_ATTRIBUTES in another value form per protocol. Each user's
// batch carries one app-defined event ("Coupon Redeemed"), so the mParticle identify gets an event time (a batch
// without events is stamped with the receive time) and a non-system event is compared too.

export const CUSTOM_EVENT = 'Coupon Redeemed';

export interface ProfileCase {
  userId: string;
  email: string;
  phone: string;
  tsMs: number;
  segmentTraits: Record<string, unknown>;
  mparticleAttributes: Record<string, unknown>;
  /** Webhook profile (identity, email, phone, name, profileData). */
  webhookProfile: Record<string, unknown>;
  /** The trait columns every path must load (sanitised names, normalised values). */
  expectedTraits: Row;
  couponProperties: Record<string, unknown>;
}

const DOB = '$D_638928000'; // 1990-04-01T00:00:00Z
const DOB_ISO = '1990-04-01T00:00:00.000Z';

export function profileCases(run: string): ProfileCase[] {
  const a = {
    userId: `${run}-ua-1`,
    email: 'nick@example.test',
    phone: '+917872483227',
    tsMs: Date.parse('2025-03-01T12:30:00.000Z'),
    // Segment export: ct_* traits, flags as booleans.
    segmentTraits: {
      email: 'nick@example.test', phone: '+917872483227', ct_name: 'Nick Jones', ct_gender: 'M', ct_dob: DOB,
      ct_photo: 'https://img.example.test/n.png', ct_email_opt_in: true, ct_push_opt_in: false, ct_sms_opt_in: true,
      ct_whatsapp_opt_in: false, plan: 'gold',
    },
    // mParticle feed: ct_* user attributes, flags as strings (mParticle attributes are strings), phone as $mobile.
    mparticleAttributes: {
      $mobile: '+917872483227', ct_name: 'Nick Jones', ct_gender: 'M', ct_dob: DOB, ct_photo: 'https://img.example.test/n.png',
      ct_email_opt_in: 'true', ct_push_opt_in: 'false', ct_sms_opt_in: 'true', ct_whatsapp_opt_in: 'false', plan: 'gold',
    },
    // Webhook: the same ct_* attributes in profileData.
    webhookProfile: {
      identity: `${run}-ua-1`, email: 'nick@example.test', phone: '+917872483227',
      profileData: {
        ct_name: 'Nick Jones', ct_gender: 'M', ct_dob: DOB, ct_photo: 'https://img.example.test/n.png', ct_email_opt_in: true,
        ct_push_opt_in: false, ct_sms_opt_in: true, ct_whatsapp_opt_in: false, plan: 'gold',
      },
    },
    expectedTraits: {
      email: 'nick@example.test', phone: '+917872483227', name: 'Nick Jones', gender: 'M', birthday: DOB_ISO,
      avatar: 'https://img.example.test/n.png', email_opt_in: true, push_opt_in: false, sms_opt_in: true, whatsapp_opt_in: false,
      plan: 'gold',
    },
    couponProperties: { coupon_code: 'SPRING25', discount: 12.5, first_use: true },
  };
  const b = {
    userId: `${run}-ua-2`,
    email: 'ana@example.test',
    phone: '+14155550123',
    tsMs: Date.parse('2025-03-01T12:31:00.000Z'),
    segmentTraits: {
      email: 'ana@example.test', phone: '+14155550123', ct_name: 'Ana Lima', ct_gender: 'F', ct_dob: '$D_700000000',
      ct_photo: 'https://img.example.test/a.png', ct_email_opt_in: 'yes', ct_push_opt_in: 'no', ct_sms_opt_in: 'no',
      ct_whatsapp_opt_in: 'yes', plan: 'silver',
    },
    mparticleAttributes: {
      $mobile: '+14155550123', ct_name: 'Ana Lima', ct_gender: 'F', ct_dob: '$D_700000000', ct_photo: 'https://img.example.test/a.png',
      ct_email_opt_in: 'Y', ct_push_opt_in: 'N', ct_sms_opt_in: '0', ct_whatsapp_opt_in: '1', plan: 'silver',
    },
    // Webhook: CleverTap's own profile keys (PascalCase payload, Name / Gender / DOB / Photo / MSG-*).
    webhookProfile: {
      Identity: `${run}-ua-2`, Email: 'ana@example.test', Phone: '+14155550123', Name: 'Ana Lima',
      ProfileData: {
        Gender: 'F', DOB: '$D_700000000', Photo: 'https://img.example.test/a.png', 'MSG-email': true, 'MSG-push': false,
        'MSG-sms': 0, 'MSG-whatsapp': 1, plan: 'silver',
      },
    },
    expectedTraits: {
      email: 'ana@example.test', phone: '+14155550123', name: 'Ana Lima', gender: 'F', birthday: new Date(700000000 * 1000).toISOString(),
      avatar: 'https://img.example.test/a.png', email_opt_in: true, push_opt_in: false, sms_opt_in: false, whatsapp_opt_in: true,
      plan: 'silver',
    },
    couponProperties: { coupon_code: 'WELCOME', discount: 5, first_use: false },
  };
  // Every attribute of the catalogue is covered by every path.
  for (const p of [a, b]) {
    for (const u of USER_ATTRIBUTES) {
      if (!(u.attribute in p.segmentTraits) || !(u.attribute in p.mparticleAttributes)) throw new Error(`fixture misses ${u.attribute}`);
    }
  }
  return [a, b];
}

export function segmentProfileMessages(p: ProfileCase): object[] {
  return [
    { type: 'identify', messageId: `seg-id-${p.userId}`, userId: p.userId, timestamp: segTime(p.tsMs), traits: p.segmentTraits },
    { type: 'track', messageId: `seg-tr-${p.userId}`, userId: p.userId, timestamp: segTime(p.tsMs), event: CUSTOM_EVENT, properties: p.couponProperties },
  ];
}

export function mparticleProfileBatch(p: ProfileCase): object {
  return {
    source_request_id: `mp-req-${p.userId}`,
    environment: 'production',
    user_identities: { customer_id: p.userId, email: p.email },
    user_attributes: p.mparticleAttributes,
    events: [
      {
        event_type: 'custom_event',
        data: {
          event_name: CUSTOM_EVENT,
          custom_event_type: 'transaction',
          timestamp_unixtime_ms: p.tsMs,
          source_message_id: `mp-tr-${p.userId}`,
          custom_attributes: p.couponProperties,
        },
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Expected warehouse rows (column → normalised value), independent of the product's row builder.

/** Segment-style column name of a property key (the subset of naming.ts these fixtures need). */
export function column(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}

/** Property columns of one event row: objects flattened with `_`, arrays as JSON text, timestamps as ISO. */
export function propertyColumns(props: Record<string, unknown>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(props)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k2, v2] of Object.entries(v)) out[column(`${k}_${k2}`)] = v2;
    } else out[column(k)] = Array.isArray(v) ? JSON.stringify(v) : v;
  }
  return out;
}

export function expectedTrackRow(userId: string, tsMs: number, event: string, table: string, clevertap: Row): Row {
  return {
    user_id: userId,
    timestamp: iso(tsMs),
    original_timestamp: iso(tsMs),
    event: table,
    event_text: event,
    context_integration_name: 'clevertap',
    ...clevertap,
  };
}

export function expectedIdentifyRow(userId: string, tsMs: number | undefined, traits: Row): Row {
  const r: Row = { user_id: userId, context_integration_name: 'clevertap', ...traits };
  if (tsMs !== undefined) Object.assign(r, { timestamp: iso(tsMs), original_timestamp: iso(tsMs) });
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// Reading the warehouse back (same normalisation as test/warehouse/load.test.ts).

export type ColKind = 'boolean' | 'number' | 'timestamp' | 'text';

function kindOf(dbType: string): ColKind {
  const t = dbType.toLowerCase();
  if (t === 'boolean' || t === 'bool') return 'boolean';
  if (t.startsWith('timestamp')) return 'timestamp';
  if (t.includes('int') || t.startsWith('double') || t === 'real' || t.startsWith('numeric')) return 'number';
  return 'text';
}

function normaliseRow(row: Row, types: Record<string, ColKind>): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    if (v === null || v === undefined) continue; // absent and NULL are the same here
    const t = types[k];
    if (t === 'number') out[k] = Number(v);
    else if (t === 'boolean') out[k] = v === true || v === 1;
    else if (t === 'timestamp') out[k] = v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
    else out[k] = v;
  }
  return out;
}

export interface WarehouseReader {
  kind: 'sqlite' | 'postgres';
  tables(schema: string): Promise<string[]>;
  /** Rows ordered by id, NULLs dropped, values normalised (numbers, booleans, ISO timestamps). */
  rows(schema: string, table: string): Promise<Row[]>;
  close(): Promise<void>;
}

export function sqliteReader(file: string): WarehouseReader {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  db.defaultSafeIntegers(false);
  return {
    kind: 'sqlite',
    async tables(schema) {
      const p = `${schema}__`;
      const r = db.prepare(`SELECT name FROM sqlite_master WHERE type='table' AND substr(name,1,?)=? ORDER BY name`).all(p.length, p) as { name: string }[];
      return r.map((x) => x.name.slice(p.length));
    },
    async rows(schema, table) {
      const name = `${schema}__${table}`;
      const cols = db.prepare(`SELECT name, type FROM pragma_table_info(?)`).all(name) as { name: string; type: string }[];
      const types = Object.fromEntries(cols.map((c) => [c.name, kindOf(c.type)]));
      return (db.prepare(`SELECT * FROM "${name}" ORDER BY id`).all() as Row[]).map((r) => normaliseRow(r, types));
    },
    async close() {
      db.close();
    },
  };
}

export function postgresReader(url: string, schemaPrefix: string): WarehouseReader {
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  return {
    kind: 'postgres',
    async tables(schema) {
      const r = await pool.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1`, [schema]);
      return r.rows.map((x) => String(x.table_name));
    },
    async rows(schema, table) {
      const c = await pool.query(`SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2`, [schema, table]);
      const types = Object.fromEntries(c.rows.map((x) => [String(x.column_name), kindOf(String(x.data_type))]));
      const r = await pool.query(`SELECT * FROM "${schema}"."${table}" ORDER BY id`);
      return r.rows.map((x) => normaliseRow(x, types));
    },
    async close() {
      // Drops this run's schemas (the prefix is unique per run).
      const r = await pool.query(`SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)`, [schemaPrefix]);
      for (const { nspname } of r.rows) await pool.query(`DROP SCHEMA "${nspname}" CASCADE`);
      await pool.end();
    },
  };
}
