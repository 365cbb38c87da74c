// Shared helpers for the CleverTap mapping tests.
import assert from 'node:assert/strict';
import { transformMessage } from '../../../src/destinations/clevertap/transform.js';
import type { CleverTapSettings } from '../../../src/destinations/clevertap/settings.js';
import type { CleverTapRecord, EventRecord, ProfileRecord } from '../../../src/destinations/clevertap/records.js';
import type { Warning, TransformError } from '../../../src/destinations/types.js';

export const T = '2024-05-01T12:34:56.789Z';
export const TS = 1714566896;

export type Msg = Record<string, unknown> & { type: string };

export function settings(extra: Partial<CleverTapSettings> = {}): CleverTapSettings {
  return { accountId: 'acc', passcode: 'pass', ...extra };
}

export function ok(msg: Msg, extra: Partial<CleverTapSettings> = {}): { records: CleverTapRecord[]; warnings: Warning[] } {
  const r = transformMessage(msg as never, settings(extra));
  assert.ok(r.ok, `expected ok, got ${JSON.stringify(r)}`);
  return r;
}

export function fail(msg: Msg, extra: Partial<CleverTapSettings> = {}): { error: TransformError; filtered?: boolean } {
  const r = transformMessage(msg as never, settings(extra));
  assert.ok(!r.ok, `expected a rejection, got ${JSON.stringify(r)}`);
  return r;
}

export function event(msg: Msg, extra: Partial<CleverTapSettings> = {}): { rec: EventRecord; warnings: Warning[] } {
  const r = ok(msg, extra);
  assert.equal(r.records.length, 1);
  assert.equal(r.records[0].type, 'event');
  return { rec: r.records[0] as EventRecord, warnings: r.warnings };
}

export function profile(msg: Msg, extra: Partial<CleverTapSettings> = {}): { rec: ProfileRecord; warnings: Warning[] } {
  const r = ok(msg, extra);
  assert.equal(r.records[0].type, 'profile');
  return { rec: r.records[0] as ProfileRecord, warnings: r.warnings };
}

export function codes(warnings: Warning[]): string[] {
  return warnings.map((w) => w.code);
}

export function identify(traits: Record<string, unknown>, extra: Record<string, unknown> = {}): Msg {
  return { type: 'identify', userId: 'u1', timestamp: T, traits, ...extra };
}

export function track(eventName: string, properties: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): Msg {
  return { type: 'track', userId: 'u1', timestamp: T, event: eventName, properties, ...extra };
}

export const ALL_MODES = [undefined, 'segment', 'rudderstack'] as const;
export type Mode = (typeof ALL_MODES)[number];
export const DROP = { invalidValues: 'drop' } as const;
/** The opt-in strict mode: a standard value that cannot be fixed rejects the message. */
export const REJECT = { invalidValues: 'reject' } as const;

export function warningsOf(r: { warnings: Warning[] }, code: string): Warning[] {
  return r.warnings.filter((w) => w.code === code);
}
