// `taproute transform`: dry-run a destination type's transform (its definition's, src/destinations/registry.ts).
// NDJSON Segment messages on stdin, one NDJSON result line per message on stdout, in order:
// {messageId, records, warnings} or {messageId, error[, filtered]}. The records are the destination's own:
// CleverTap upload records, the warehouse rows, the message as the webhook would post it.
// Blank lines are skipped (NDJSON allows them); every other line gets exactly one output line, never a crash.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import type { ConnectionConfig } from '../config/schema.js';
import type { ConnectionStage } from '../connections/stage.js';
import { validateInbound, type InboundMessage, type Message } from '../message/schema.js';
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

/**
 * The output line for one input line through a connection first: its filter (a refused message gets
 * {messageId, filtered: true, rule}), dropFields and function (a failure gets an error line with the function's
 * error), then the destination's transform. A message the function splits gets one line with every part's records.
 */
export async function connectionLine(line: string, stage: ConnectionStage, transform: LineTransform): Promise<string> {
  let msg: unknown;
  try {
    msg = parseBody(line);
  } catch {
    return transformLine(line, transform);
  }
  const messageId = messageIdOf(msg);
  if (msg !== null && typeof msg === 'object' && !Array.isArray(msg)) stringifyIds(msg as Record<string, unknown>); // as ingest does
  if (validateInbound(msg)) return transformLine(line, transform);
  const rule = stage.refuse(msg as Record<string, unknown>);
  if (rule) return JSON.stringify({ messageId, filtered: true, rule });
  const [p] = await stage.prepare([msg as Message]);
  if (p.kind === 'filtered') return JSON.stringify({ messageId, filtered: true, rule: p.rule });
  if (p.kind === 'dead') return JSON.stringify({ messageId, error: { code: p.code, message: p.reason } });
  const parts = p.messages.map((m) => JSON.parse(transformLine(JSON.stringify(m), transform)) as { error?: unknown; records?: unknown[]; warnings?: unknown[] });
  const failed = parts.find((x) => x.error);
  if (failed) return JSON.stringify({ ...failed, messageId });
  if (parts.length === 1) return JSON.stringify({ ...parts[0], messageId });
  return JSON.stringify({ messageId, records: parts.flatMap((x) => x.records ?? []), warnings: parts.flatMap((x) => x.warnings ?? []), parts: parts.length });
}

interface Opts {
  destination?: string;
  settings?: string;
  function?: string;
  config?: string;
  connection?: string;
}

/** The destination type, its settings and the connection to run, from the options; throws a usage error. */
async function resolveTarget(opts: Opts): Promise<{ type: string; settings: unknown; connection: ConnectionConfig | null }> {
  // Loaded only when asked for: every CLI command starts faster without them.
  const { functionPath } = await import('../connections/stage.js');
  if (opts.config) {
    const { loadConfig } = await import('../config/load.js');
    if (!opts.connection) throw new Error('--config needs --connection SOURCE:DESTINATION');
    const cfg = loadConfig(opts.config);
    const [source, destination] = opts.connection.split(/:|→|->/).map((x) => x.trim());
    const c = cfg.connections.find((x) => x.source === source && x.destination === destination);
    if (!c) throw new Error(`no connection ${opts.connection} in ${opts.config} (known: ${cfg.connections.map((x) => `${x.source}:${x.destination}`).join(', ')})`);
    const d = cfg.destinations.find((x) => x.id === c.destination)!;
    const fnFile = opts.function ? functionPath(opts.function, process.cwd()) : c.function;
    return { type: d.type, settings: (d as { settings?: unknown }).settings ?? {}, connection: { ...c, function: fnFile } };
  }
  if (!opts.destination || !opts.settings) throw new Error('give --destination TYPE and --settings FILE, or --config FILE and --connection SOURCE:DESTINATION');
  const connection = opts.function ? { source: 'cli', destination: opts.destination, function: functionPath(opts.function, process.cwd()) } : null;
  return { type: opts.destination, settings: readSettings(opts.settings), connection };
}

async function run(opts: Opts): Promise<void> {
  let target: Awaited<ReturnType<typeof resolveTarget>>;
  try {
    target = await resolveTarget(opts);
  } catch (e) {
    process.stderr.write(`transform: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  const type = target.type;
  // Loaded here, not at the top: the other commands start without every destination's modules.
  const { dryRun, isDestinationType, TRANSFORM_TYPES } = await import('../destinations/registry.js');
  if (!isDestinationType(type) || !TRANSFORM_TYPES.includes(type)) {
    process.stderr.write(`transform: unknown destination "${type}" (known: ${TRANSFORM_TYPES.join(', ')})\n`);
    process.exitCode = 2;
    return;
  }
  let transform: LineTransform;
  try {
    transform = dryRun(type, target.settings);
  } catch (e) {
    process.stderr.write(`transform: ${opts.settings ?? opts.config}: ${(e as Error).message}\n`);
    process.exitCode = 2;
    return;
  }
  let stage: ConnectionStage | null = null;
  if (target.connection) {
    try {
      const { ConnectionStage } = await import('../connections/stage.js');
      const { pino } = await import('pino');
      // The function's ctx.log goes to stderr: stdout carries only the NDJSON results.
      stage = new ConnectionStage(target.connection, { id: target.connection.destination, type }, pino({ level: process.env.TAPROUTE_LOG_LEVEL ?? 'info', base: undefined }, pino.destination(2)));
      await stage.start();
    } catch (e) {
      await stage?.close();
      process.stderr.write(`transform: ${(e as Error).message}\n`);
      process.exitCode = 2;
      return;
    }
  }
  const out = process.stdout;
  const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
  try {
    for await (const line of rl) {
      if (line.trim() === '') continue;
      const result = stage ? await connectionLine(line, stage, transform) : transformLine(line, transform);
      // Written line by line so an interactive session sees each answer at once.
      if (!out.write(result + '\n')) await new Promise((r) => out.once('drain', r));
    }
  } finally {
    await stage?.close();
  }
}

export function registerTransform(program: Command): void {
  program
    .command('transform')
    .description('Dry-run a destination mapping (and a connection\'s filter and function): NDJSON messages on stdin, one NDJSON result per message on stdout')
    .option('--destination <type>', 'destination type (any with a dry run; an unknown one lists them)')
    .option('--settings <file>', 'JSON file with the destination settings')
    .option('--function <file>', 'a transformation function (JavaScript or TypeScript) to run before the mapping')
    .option('-c, --config <file>', 'take destination, settings, filter and function from this config...')
    .option('--connection <source:destination>', '...for this connection, e.g. web:clevertap')
    .action(run);
}
