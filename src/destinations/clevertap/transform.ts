// The CleverTap destination's public mapping entry: message → records for POST /1/upload, or a rejection.
// mapping.ts builds the records as the mode's spec says, enforce.ts makes them acceptable to CleverTap (or rejects).
import type { InboundMessage, Message } from '../../message/schema.js';
import type { TransformResult, Warning } from '../../core/job.js';
import type { CleverTapRecord } from './records.js';
import type { CleverTapSettings } from './settings.js';
import { compileContext, type MappingContext } from './context.js';
import { mapMessage } from './mapping.js';
import type { MappedFacts } from './records.js';
import { enforceRecords } from './enforce.js';

export type CleverTapTransform = (msg: InboundMessage | Message) => TransformResult<CleverTapRecord>;

/** Compiles the settings once; the returned function maps one message. Messages may lack messageId/timestamp. */
export function compileTransform(settings: CleverTapSettings): CleverTapTransform {
  return transformWith(compileContext(settings));
}

/** compileTransform of a compiled context (tests compare the context's paths). */
export function transformWith(ctx: MappingContext): CleverTapTransform {
  const facts: MappedFacts = {};
  return (msg) => {
    const warnings: Warning[] = [];
    facts.keysChecked = undefined;
    facts.profileFields = undefined;
    const mapped = mapMessage(msg, ctx, warnings, facts);
    if (!Array.isArray(mapped)) return mapped;
    const records = enforceRecords(mapped, ctx.rules, warnings, facts.keysChecked, facts.profileFields);
    if (Array.isArray(records)) return { ok: true, records, warnings };
    // What was fixed before the rejection is kept with the dead letter.
    return warnings.length ? { ok: false, error: records, warnings } : { ok: false, error: records };
  };
}

const compiled = new WeakMap<CleverTapSettings, CleverTapTransform>();

/** One-off form of compileTransform (cached per settings object). */
export function transformMessage(msg: InboundMessage | Message, settings: CleverTapSettings): TransformResult<CleverTapRecord> {
  let t = compiled.get(settings);
  if (!t) compiled.set(settings, (t = compileTransform(settings)));
  return t(msg);
}
