// 3,000 generated messages of the kind real apps send (bad standard values, hostile keys, nested values, 300
// properties, restricted names, device tokens), in every mode: at most 5% are rejected, and every record sent
// passes the CleverTap emulator's validator, written independently of the mapping's own rules.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { compileTransform } from '../../../src/destinations/clevertap/transform.js';
import { validateRecord } from '../../../src/emulator/validate.js';
import { DEFAULT_MAX_EVENT_PROPERTIES } from '../../../src/clevertap/limits.js';
import { ALL_MODES, settings } from './helpers.js';

/** mulberry32: a small deterministic generator, so a failure can be reproduced from its number. */
function prng(n: number): () => number {
  let a = n >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Obj = Record<string, unknown>;

function messages(count: number, start: number): Obj[] {
  const r = prng(start);
  const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
  const chance = (p: number) => r() < p;
  const emails = ['ada@example.com', 'not-an-email', ' bob@example.org ', 'a@b', '', 'x@y.co'];
  const genders = ['male', 'F', 'other', 'Female', 'nonbinary', 'm', ''];
  const phones = ['+919876543210', '9876543210', '0044 20 7946 0958', '(555) 123-4567', '12', 'n/a'];
  const birthdays = ['1985-03-02', '02/03/1985', 'Tue, 05 Mar 1985 00:00:00 +0000', new Date(Date.UTC(1985, 2, 5)).toString(), 0, 479174400, '19850305', 'birthday', '1990-02-30'];
  const yesNo = [true, 'yes', 'N', 'maybe', 1, 'sometimes'];
  const hostileKeys = ['a.b', 'price$', "it's", 'x"y', 'back\\slash', 'amp&', '100%', '<tag>', 'wow!', 'k'.repeat(200), ' spaced ', 'identity', 'objectId', '__proto__', 'constructor', 'é'.repeat(80), 'emoji😀'];
  const nested = () => pick<unknown>([{ a: { b: [1, 2, { c: 3 }] } }, [1, 'two', null], { deep: { deeper: { deepest: 'x'.repeat(600) } } }, 'v'.repeat(700), Number.MAX_SAFE_INTEGER, null, '$D_abc']);
  const events = ['Signed Up', 'Product Viewed', 'Order Completed', 'order completed', 'Added.To:Cart', 'Charged', ' Video Played ', 'UTM Visited', 'Notification Clicked', 'App Launched', '', 'x'.repeat(600)];
  const out: Obj[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${start}-${i}`;
    const ids: Obj = chance(0.15) ? { anonymousId: `anon-${id}` } : chance(0.5) ? { userId: `u-${id}`, anonymousId: `anon-${id}` } : { userId: chance(0.1) ? 1e15 + i : `u-${id}` };
    const props: Obj = {};
    const nProps = chance(0.05) ? 300 : Math.floor(r() * 20);
    for (let k = 0; k < nProps; k++) props[`p${k}`] = chance(0.1) ? nested() : chance(0.5) ? k : `v${k}`;
    if (chance(0.3)) props[pick(hostileKeys)] = chance(0.5) ? nested() : 'x';
    const kind = r();
    if (kind < 0.35) {
      const traits: Obj = { name: chance(0.8) ? 'Ada Lovelace' : '', plan: 'pro' };
      if (chance(0.7)) traits.email = pick(emails);
      if (chance(0.5)) traits.gender = pick(genders);
      if (chance(0.5)) traits.phone = pick(phones);
      if (chance(0.5)) traits.birthday = pick(birthdays);
      if (chance(0.2)) traits.employed = pick(yesNo);
      if (chance(0.2)) traits.married = pick(yesNo);
      if (chance(0.2)) traits.education = pick(['College', 'phd', 'school']);
      if (chance(0.2)) traits.Age = pick([30, '31', 'aa', -1]);
      if (chance(0.2)) traits[pick(['MSG-email', 'msg-push', 'MSG-sms'])] = pick(yesNo);
      if (chance(0.3)) traits[pick(hostileKeys)] = nested();
      if (chance(0.05)) for (let k = 0; k < 300; k++) traits[`t${k}`] = k;
      const context: Obj = {};
      if (chance(0.3)) {
        context.device = { token: `tok-${id}` };
        context.os = { name: pick(['Android', 'iOS', 'Windows']) };
      }
      out.push({ type: 'identify', ...ids, traits, context, timestamp: '2024-05-01T12:00:00Z' });
    } else if (kind < 0.85) {
      const event = chance(0.03) ? pick(events.slice(7)) : pick(events.slice(0, 7));
      if (/order completed/i.test(event)) {
        props.checkout_id = `c-${id}`;
        props.revenue = pick([15, '15.5', 'free']);
        props.products = pick<unknown>([[{ sku: 's1', price: 3, 'a.b': { x: 1 } }], { sku: 'one' }, []]);
      }
      out.push({ type: 'track', ...ids, event, properties: props, timestamp: pick(['2024-05-01T12:00:00Z', 'garbage', '1970-01-01T00:00:00Z']) });
    } else if (kind < 0.95) {
      out.push({ type: pick(['page', 'screen']), ...ids, name: pick(['Home', 'Cart: Step 1', '']), properties: props });
    } else {
      out.push({ type: 'alias', userId: `u-${id}`, previousId: `anon-${id}` });
    }
  }
  return out;
}

const TOTAL = 3000;

describe(`${TOTAL} generated messages`, () => {
  for (const compat of ALL_MODES) {
    for (const objectIdMapping of [false, true]) {
      test(`${compat ?? 'own'}${objectIdMapping ? ', objectIdMapping' : ''}: at most 5% rejected; every record passes CleverTap's rules`, () => {
        const transform = compileTransform(settings({ compat, objectIdMapping, trackAnonymous: true }));
        const limits = { maxEventProperties: DEFAULT_MAX_EVENT_PROPERTIES, discarded: new Set<string>() };
        const rejected = new Map<string, number>();
        let records = 0;
        for (const msg of messages(TOTAL, 9001)) {
          const r = transform(structuredClone(msg) as never);
          if (!r.ok) {
            rejected.set(r.error.code, (rejected.get(r.error.code) ?? 0) + 1);
            continue;
          }
          for (const rec of r.records) {
            records++;
            const err = validateRecord(rec, limits);
            assert.equal(err, null, `${JSON.stringify(err)} for ${JSON.stringify(rec).slice(0, 400)}`);
          }
        }
        const total = [...rejected.values()].reduce((a, b) => a + b, 0);
        assert.ok(total <= TOTAL * 0.05, `${total} rejected: ${JSON.stringify([...rejected])}`);
        assert.ok(records >= TOTAL * 0.95);
        // Only what cannot be sent at all is rejected.
        for (const code of rejected.keys()) assert.ok(['restricted_event', 'missing_event_name', 'too_many_profile_keys'].includes(code), code);
      });
    }
  }
});
