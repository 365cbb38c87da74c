// `taproute transform`: dry-run a destination type's transform (its definition's, src/destinations/registry.ts).
// NDJSON Segment messages on stdin, one NDJSON result line per message on stdout, in order:
// {messageId, records, warnings} or {messageId, error[, filtered]}. The records are the destination's own:
// CleverTap upload records, the warehouse rows, the message as the webhook would post it.
// Blank lines are skipped (NDJSON allows them); every other line gets exactly one output line, never a crash.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { validateInbound, type InboundMessage } from '../message/schema.js';
import { parseBody, stringifyIds } from '../message/ids.js';
import type { TransformResult } from '../destinations/types.js';

type LineTransform = (msg: InboundMessage) => TransformResult<unknown>;

/** Reads the settings file: the settings object itself, or a destination entry {type, settings}. */
function readSettings(file: string): unknown {
  const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (raw && typeof raw === 'object' && 'settings' in raw && typeof (raw as { settings: unknown }).settings === 'object') {
    return (raw as { settings: unknown }).settings;
  }
  return raw;
}

function messageIdOf(v: unknown): string | null {
  if (v === null || typeof v !== 'object') return null;
  const id = (v as { messageId?: unknown }).messageId;
  return typeof id === 'string' ? id : null;
}

/** The output line for one input line (no trailing newline). */
export function transformLine(line: string, transform: LineTransform): string {
  let msg: unknown;
  try {
    // Parsed and normalised as ingest does, so the dry run accepts exactly what the server accepts.
    msg = parseBody(line);
    if (msg !== null && typeof msg === 'object' && !Array.isArray(msg)) {
      delete (msg as Record<string, unknown>).writeKey;
      stringifyIds(msg as Record<string, unknown>);
    }
  } catch (e) {
    return JSON.stringify({ messageId: null, error: { code: 'invalid_json', message: (e as Error).message } });
  }
  const messageId = messageIdOf(msg);
  const invalid = validateInbound(msg);
  if (invalid) return JSON.stringify({ messageId, error: { code: 'invalid_message', message: invalid } });
  try {
    const r = transform(msg as InboundMessage);
    if (r.ok) return JSON.stringify({ messageId, records: r.records, warnings: r.warnings });
    return JSON.stringify(r.filtered ? { messageId, error: r.error, filtered: true } : { messageId, error: r.error });
  } catch (e) {
    return JSON.stringify({ messageId, error: { code: 'internal_error', message: (e as Error).message } });
  }
}

async function run(opts: { destination: string; settings: string }): Promise<void> {
  // Loaded here, not at the top: the other commands start without every destination's modules.
  const { dryRun, isDestinationType, TRANSFORM_TYPES } = await import('../destinations/registry.js');
  const type = opts.destination;
  if (!isDestinationType(type) || !TRANSFORM_TYPES.includes(type)) {
    process.stderr.write(`transform: unknown destination "${type}" (known: ${TRANSFORM_TYPES.join(', ')})\n`);
    process.exitCode = 2;
    return;
  }
  let transform: LineTransform;
  try {
    transform = dryRun(type, readSettings(opts.settings));
  } catch (e) {
    process.stderr.write(`transform: ${opts.settings}: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const out = process.stdout;
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (line.trim() === '') continue;
    // Written line by line so an interactive session sees each answer at once.
    if (!out.write(transformLine(line, transform) + '\n')) await new Promise((r) => out.once('drain', r));
  }
}

export function registerTransform(program: Command): void {
  program
    .command('transform')
    .description('Dry-run a destination mapping: NDJSON messages on stdin, one NDJSON result per message on stdout')
    .requiredOption('--destination <type>', 'destination type (any with a dry run; an unknown one lists them)')
    .requiredOption('--settings <file>', 'JSON file with the destination settings')
    .action(run);
}
