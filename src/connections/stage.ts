// A connection's shaping of its messages, in the documented order: the filter's rules on the message as
// received (refuse), then dropFields and the transformation function (prepare), then the destination's mapping.
// Ingest calls refuse() when it routes a message; the router calls prepare() on claimed jobs just before delivery.
import { isAbsolute, resolve } from 'node:path';
import type { ConnectionConfig } from '../config/schema.js';
import type { Message } from '../message/schema.js';
import { validateInbound } from '../message/schema.js';
import type { Logger } from '../util/logger.js';
import { compileFilter, type CompiledFilter, type FilterRule, type FilterTarget } from './filter.js';
import { FunctionRunner, type FunctionResult } from './function-runner.js';
import { durationMs } from '../util/duration.js';

/** What a connection made of one message before the destination maps it. */
export type Prepared =
  | { kind: 'send'; messages: Message[] }
  | { kind: 'filtered'; rule: 'function'; reason: string }
  | { kind: 'dead'; code: 'function_error' | 'function_timeout' | 'function_invalid_output'; reason: string };

export const connectionId = (c: Pick<ConnectionConfig, 'source' | 'destination'>) => `${c.source} → ${c.destination}`;

/** The function file of a connection, resolved from the config file's folder. */
export function functionPath(file: string, baseDir: string): string {
  return isAbsolute(file) ? file : resolve(baseDir, file);
}

export class ConnectionStage {
  readonly filter: CompiledFilter;
  readonly runner: FunctionRunner | null;

  constructor(
    readonly connection: ConnectionConfig,
    target: FilterTarget,
    log?: Logger,
  ) {
    this.filter = compileFilter(connection.filter, target);
    this.runner = connection.function
      ? new FunctionRunner(connection.function, { timeoutMs: durationMs(connection.functionTimeout, 100), log })
      : null;
  }

  /** Loads the function (rejects with a clear error when it cannot be loaded). */
  async start(): Promise<void> {
    await this.runner?.start();
  }

  /** Whether prepare() changes anything (the router skips it otherwise). */
  get active(): boolean {
    return this.runner !== null || (this.connection.filter?.dropFields?.length ?? 0) > 0;
  }

  refuse(message: Record<string, unknown>): FilterRule | null {
    return this.filter.refuse(message);
  }

  /** dropFields, then the function over the whole batch at once, then each output validated as a message. */
  async prepare(messages: Message[]): Promise<Prepared[]> {
    for (const m of messages) this.filter.dropFields(m as Record<string, unknown>);
    if (!this.runner) return messages.map((m) => ({ kind: 'send', messages: [m] }));
    const ctx = { sourceId: this.connection.source, destinationId: this.connection.destination, connectionId: connectionId(this.connection) };
    const results = await this.runner.run(messages.map((m) => ({ message: m, ctx: { ...ctx, messageId: m.messageId } })));
    return results.map((r, i) => outcomeOf(r, messages[i]));
  }

  async close(): Promise<void> {
    await this.runner?.close();
  }
}

function outcomeOf(r: FunctionResult, original: Message): Prepared {
  if (r.k === 'drop') return { kind: 'filtered', rule: 'function', reason: 'function: returned null' };
  if (r.k === 'error') {
    if (r.timeout) return { kind: 'dead', code: 'function_timeout', reason: `function: ${r.error}` };
    return { kind: 'dead', code: 'function_error', reason: `function threw: ${r.error}${r.stack ? `\n${r.stack}` : ''}` };
  }
  if (r.messages.length === 0) return { kind: 'filtered', rule: 'function', reason: 'function: returned an empty list' };
  const out: Message[] = [];
  const ids = new Set<unknown>();
  for (const [i, m] of r.messages.entries()) {
    if (m === null || typeof m !== 'object' || Array.isArray(m))
      return { kind: 'dead', code: 'function_invalid_output', reason: `function output ${i}: not a message object` };
    const msg = { ...(m as Record<string, unknown>) };
    // A message the function built from scratch keeps the original's identity and times; the extra ones of a
    // split get ids of their own (destinations dedupe by id), derived so that a retry produces the same ids.
    msg.messageId ??= original.messageId;
    if (ids.has(msg.messageId)) msg.messageId = `${String(msg.messageId)}-${i}`;
    ids.add(msg.messageId);
    msg.receivedAt ??= original.receivedAt;
    msg.timestamp ??= original.timestamp;
    const invalid = validateInbound(msg);
    if (invalid) return { kind: 'dead', code: 'function_invalid_output', reason: `function output ${i} is not a valid message: ${invalid}` };
    out.push(msg as Message);
  }
  return { kind: 'send', messages: out };
}
