// The CleverTap destination's public mapping entry: message → records for POST /1/upload, or a rejection.
// mapping.ts builds the records, rules.ts makes every one of them acceptable to CleverTap (or rejects it).
import type { InboundMessage, Message } from '../../message/schema.js';
import type { TransformResult, Warning } from '../types.js';
import type { CleverTapRecord } from './records.js';
import type { CleverTapSettings } from './settings.js';
import { compileContext, mapMessage } from './mapping.js';
import { enforceRecord } from './rules.js';

export type CleverTapTransform = (msg: InboundMessage | Message) => TransformResult<CleverTapRecord>;

/** Compiles the settings once; the returned function maps one message. Messages may lack messageId/timestamp. */
export function compileTransform(settings: CleverTapSettings): CleverTapTransform {
  const ctx = compileContext(settings);
  return (msg) => {
    const warnings: Warning[] = [];
    const mapped = mapMessage(msg, ctx, warnings);
    if (!Array.isArray(mapped)) return mapped;
    let records = mapped;
    for (let i = 0; i < records.length; i++) {
      const rec = records[i];
      const err = enforceRecord(rec, ctx.rules, warnings);
      if (!err) continue;
      if (rec.type !== 'token') return { ok: false, error: err };
      // A bad token must not cost the profile it came with.
      warnings.push({ code: 'token_skipped', field: 'context.device.token', message: err.message });
      records = records.filter((r) => r !== rec);
      i--;
    }
    return { ok: true, records, warnings };
  };
}

const compiled = new WeakMap<CleverTapSettings, CleverTapTransform>();

/** One-off form of compileTransform (cached per settings object). */
export function transformMessage(msg: InboundMessage | Message, settings: CleverTapSettings): TransformResult<CleverTapRecord> {
  let t = compiled.get(settings);
  if (!t) compiled.set(settings, (t = compileTransform(settings)));
  return t(msg);
}
