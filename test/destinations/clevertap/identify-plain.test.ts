// identify's one-pass profile (profile.ts mapIdentifyPlain, keys then unchecked by enforce.ts) against the general
// path: the same records, warnings and errors for every message, hostile ones included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileContext } from '../../../src/destinations/clevertap/context.js';
import { transformWith } from '../../../src/destinations/clevertap/transform.js';
import { mapIdentifyPlain } from '../../../src/destinations/clevertap/profile.js';
import type { CleverTapSettings } from '../../../src/destinations/clevertap/settings.js';
import { settings, T } from './helpers.js';

const PLAIN = { name: 'Ada Lovelace', email: 'ada@example.com', phone: '+14155550123', gender: 'female', birthday: '1815-12-10', plan: 'pro', logins: 3, vip: true };

// Trait sets: each is added to PLAIN and also sent alone. JSON text, so "__proto__" is an own key as in a payload.
const TRAITS: string[] = [
  '{}',
  '{"__proto__": {"polluted": 1}, "constructor": "c", "toString": "t", "hasOwnProperty": 1}',
  '{"a.b": 1, " Email": "x@example.com", "E.mail": "y@example.com", "email ": "z@example.com", "key:with:colons": 2}',
  '{"Identity": "u1", "objectId": "o1", "FBID": "f", "gpid": "g", "identity": "i", "OBJECTID": 5}',
  '{"Name": "Custom Name", "Email": "custom@example.com", "Phone": "+14155550000", "DOB": "1990-01-01", "Photo": "p", "Customer Type": "x"}',
  '{"msg-email": true, "MSG-push": "yes", "Msg-SMS": 0, "MSG-whatsapp": "maybe"}',
  `{"${'k'.repeat(200)}": 1, "${'é'.repeat(70)}": 2, "": 3, " ": 4}`,
  '{"ts": 1714566896, "firstName": "Grace", "lastName": "Hopper"}',
  '{"name": null, "firstName": "Grace"}',
  '{"name": "", "lastName": "Hopper", "email": null}',
  '{"address": {"street": "1 Main St", "city": "Austin"}, "interests": ["a", "b\\"c"], "deep": {"x": [1, {"y": 2}]}, "empty": [], "obj": {}}',
  `{"long": "${'x'.repeat(600)}", "longer": "${'ü'.repeat(300)}", "d1": "$D_1714566896", "d2": "$D_x", "d3": "$D_"}`,
  '{"birthday": "02/03/1985"}',
  '{"birthday": "1990-02-30"}',
  '{"birthday": 19880928, "createdAt": "2024-03-14T09:26:53.000Z"}',
  '{"birthday": "Tue Mar 05 1985 00:00:00 GMT+0100 (Central European Standard Time)"}',
  '{"birthday": 1e20, "age": "30"}',
  '{"phone": "(415) 555-0123"}',
  '{"phone": "00441234567890", "email": " padded@example.com "}',
  '{"phone": "abc", "email": "bad"}',
  '{"phone": 4155550123, "gender": "x"}',
  '{"phone": "0123456789", "gender": "M", "employed": "yes", "married": 0, "education": "college"}',
  '{"employed": "perhaps", "education": "none", "customerType": "gold"}',
  '{"email": "", "phone": " ", "gender": "   "}',
  '{"avatar": "https://cdn.example.com/a.png", "nan": null, "inf": "Infinity"}',
  '{"overrideFields": {"Name": "o"}, "userId": "u", "anonymousId": "a"}',
];

// Messages: identified, anonymous (a link), with a device token, with a bad ts, without traits.
function messages(traits: string): string[] {
  const t = JSON.parse(traits) as object;
  const withPlain = JSON.stringify({ ...PLAIN }).slice(0, -1) + (traits === '{}' ? '}' : ',' + traits.slice(1));
  const out: string[] = [];
  for (const tr of [traits, withPlain]) {
    out.push(`{"type":"identify","userId":"u-1","timestamp":"${T}","traits":${tr}}`);
    out.push(`{"type":"identify","anonymousId":"anon-1","timestamp":"${T}","traits":${tr}}`);
    out.push(`{"type":"identify","userId":"u-1","anonymousId":"anon-1","timestamp":"${T}","traits":${tr},"context":{"device":{"token":"tok-1","type":"android"}}}`);
    out.push(`{"type":"identify","userId":"u-1","timestamp":"not a time","traits":${tr},"context":{"device":{"token":"tok-1","type":"toaster"}}}`);
  }
  if (Object.keys(t).length === 0) out.push(`{"type":"identify","userId":"u-1","timestamp":"${T}"}`, `{"type":"identify","userId":"u-1","traits":"nope"}`);
  return out;
}

const SETTINGS: Partial<CleverTapSettings>[] = [
  { defaultCountryCode: '+1' },
  { invalidValues: 'reject', dateOrder: 'dmy' },
  { objectIdMapping: true, defaultCountryCode: '39' },
  { compat: 'segment', defaultCountryCode: '+1' },
  { compat: 'rudderstack', dateOrder: 'mdy' },
];

test('the one-pass identify profile gives what the general path gives: records, warnings, errors', () => {
  let plainTaken = 0;
  let compared = 0;
  for (const extra of SETTINGS) {
    const ctx = compileContext(settings(extra));
    const onePass = transformWith(ctx);
    const general = transformWith({ ...ctx, plainTraitKey: undefined });
    for (const traits of TRAITS) {
      for (const text of messages(traits)) {
        if (mapIdentifyPlain(JSON.parse(text), ctx, [])) plainTaken++;
        assert.deepStrictEqual(onePass(JSON.parse(text)), general(JSON.parse(text)), `${JSON.stringify(extra)}: ${text}`);
        compared++;
      }
    }
  }
  // Both paths are exercised: many messages take the one pass, many fall back.
  assert.ok(plainTaken > compared / 4 && plainTaken < compared, `${plainTaken} of ${compared} took the one pass`);
});

test('the one pass stands aside for what needs the general path', () => {
  const ctx = compileContext(settings());
  const plain = (traits: object) => mapIdentifyPlain(JSON.parse(JSON.stringify({ type: 'identify', userId: 'u', traits })), ctx, []);
  assert.ok(plain({ ...PLAIN, address: { city: 'x' } }));
  for (const bad of [{ identity: 'x' }, { Email: 'x@example.com' }, { 'a.b': 1 }, { 'msg-email': true }, { Name: 'n' }]) assert.equal(plain({ ...PLAIN, ...bad }), undefined, JSON.stringify(bad));
  assert.equal(compileContext(settings({ compat: 'rudderstack' })).plainTraitKey, undefined, 'two trait sources: the general path');
});

test('trait key lists remembered per destination (profile.ts learnPlan) change nothing: lists sharing a first key, in turns, warm and cold', () => {
  // Six lists starting with "name" (more than are kept per first key), values varying: present, null, empty.
  const lists = [
    ['name', 'email', 'plan'],
    ['name', 'email', 'phone', 'gender', 'birthday', 'msg-email'],
    ['name', 'plan', 'ts', 'Age'],
    ['name', 'firstName', 'lastName', 'identity'],
    ['name', 'address', 'interests', 'MSG-push'],
    ['name', 'email', 'employed', 'education', 'married', 'customerType', 'avatar'],
  ];
  const VALUES: unknown[] = ['Ada', null, '', 'yes', 'x@example.com', '+14155550123', 'male', '1990-01-01', 30, { city: 'Pune' }, ['a', 'b'], 1714566896];
  const texts: string[] = [];
  for (let round = 0; round < 4; round++) {
    for (let l = 0; l < lists.length; l++) {
      const traits: Record<string, unknown> = {};
      lists[l].forEach((k, i) => (traits[k] = VALUES[(i * 7 + l * 3 + round * 5) % VALUES.length]));
      texts.push(JSON.stringify({ type: 'identify', userId: 'u-1', anonymousId: 'a-1', timestamp: T, traits }));
    }
  }
  for (const extra of SETTINGS) {
    const ctx = compileContext(settings(extra));
    const remembering = transformWith(ctx);
    const general = transformWith({ ...ctx, plainTraitKey: undefined });
    for (let pass = 0; pass < 2; pass++) {
      // Each message twice in a row: the second finds its list remembered (six lists in turns evict each other).
      for (const text of texts) {
        for (let again = 0; again < 2; again++) assert.deepStrictEqual(remembering(JSON.parse(text)), general(JSON.parse(text)), `${JSON.stringify(extra)} pass ${pass}: ${text}`);
      }
    }
  }
});

test("a destination's remembered trait lists never serve another's: the same list under own and segment keys", () => {
  const text = JSON.stringify({ type: 'identify', userId: 'u-1', timestamp: T, traits: { name: 'Ada', firstName: 'Ada', planName: 'pro', email: 'ada@example.com' } });
  const own = transformWith(compileContext(settings()));
  const segment = transformWith(compileContext(settings({ compat: 'segment' })));
  const expectOwn = transformWith(compileContext(settings()))(JSON.parse(text));
  const expectSegment = transformWith(compileContext(settings({ compat: 'segment' })))(JSON.parse(text));
  for (let i = 0; i < 3; i++) {
    assert.deepStrictEqual(own(JSON.parse(text)), expectOwn);
    assert.deepStrictEqual(segment(JSON.parse(text)), expectSegment);
  }
  // The two really differ (keys as sent vs snake_case), so a shared plan would show.
  assert.notDeepStrictEqual(expectOwn, expectSegment);
});
