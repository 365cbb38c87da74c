// The transform playground's connection step: a connection's filter (its rules, then dropFields) and a
// transformation function, before the destination's dry run. The function is either pasted source or the
// connection's configured file, and runs through the very stage connections use (ConnectionStage: its own
// thread with a heap limit, a per-event time limit, output validated as messages), never on this thread.
// It runs user code: it is reachable only behind the console's admin session (routes.ts).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config, ConnectionConfig } from '../config/schema.js';
import { ConnectionStage, type Prepared } from '../connections/stage.js';
import { validateInbound, type Message } from '../message/schema.js';

/** Playground runs at once on this node: each starts a thread; more wait for a 429 instead of piling up. */
const MAX_RUNNING = 2;
let running = 0;

export interface PlaygroundStepRequest {
  destinationId: string;
  /** "<source>" of a configured connection to this destination: its filter, and its function unless one is pasted. */
  source?: string;
  /** Function source (JavaScript or TypeScript) exporting transform(message, ctx). */
  functionSource?: string;
}

export type PlaygroundStep =
  | { kind: 'send'; messages: Message[]; ran: { filter: boolean; function: 'pasted' | 'connection' | null } }
  | { kind: 'filtered'; by: 'filter' | 'function'; rule: string; reason?: string }
  | { kind: 'dead'; code: string; reason: string };

export class PlaygroundError extends Error {
  constructor(message: string, readonly statusCode: number) {
    super(message);
  }
}

/** Whether a request needs the connection step at all (otherwise the message goes to the dry run as given). */
export const needsStep = (r: PlaygroundStepRequest) => Boolean(r.source || r.functionSource?.trim());

export async function connectionStep(config: Config, message: Record<string, unknown>, r: PlaygroundStepRequest): Promise<PlaygroundStep> {
  const d = config.destinations.find((x) => x.id === r.destinationId);
  if (!d) throw new PlaygroundError('no such destination', 404);
  let connection: ConnectionConfig = { source: 'playground', destination: d.id };
  if (r.source) {
    const c = config.connections.find((x) => x.source === r.source && x.destination === d.id);
    if (!c) throw new PlaygroundError(`no connection ${r.source} → ${d.id}`, 404);
    connection = c;
  }
  const invalid = validateInbound(message);
  if (invalid) throw new PlaygroundError(`not a valid message: ${invalid}`, 400);
  if (running >= MAX_RUNNING) throw new PlaygroundError('the playground is busy: try again in a moment', 429);
  running++;
  let dir: string | null = null;
  let stage: ConnectionStage | null = null;
  try {
    const pasted = r.functionSource?.trim() ? r.functionSource : undefined;
    if (pasted) {
      dir = await mkdtemp(join(tmpdir(), 'taproute-playground-'));
      const file = join(dir, 'transform.mts'); // TypeScript (as an ES module) takes JavaScript as it is
      await writeFile(file, pasted);
      connection = { ...connection, function: file };
    }
    stage = new ConnectionStage(connection, { id: d.id, type: d.type });
    const rule = stage.refuse(message);
    if (rule) return { kind: 'filtered', by: 'filter', rule };
    try {
      await stage.start();
    } catch (err) {
      return { kind: 'dead', code: 'function_load_error', reason: (err as Error).message.replace(dir ?? '\0', '.') };
    }
    const [p] = await stage.prepare([structuredClone(message) as Message]);
    return shown(p, { filter: Boolean(connection.filter), function: pasted ? 'pasted' : connection.function ? 'connection' : null }, dir);
  } finally {
    running--;
    await stage?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

function shown(p: Prepared, ran: { filter: boolean; function: 'pasted' | 'connection' | null }, dir: string | null): PlaygroundStep {
  if (p.kind === 'send') return { kind: 'send', messages: p.messages, ran };
  if (p.kind === 'filtered') return { kind: 'filtered', by: 'function', rule: p.rule, reason: p.reason };
  // The temporary folder of a pasted function means nothing to the user: its stack names the file as ./transform.mts.
  return { kind: 'dead', code: p.code, reason: dir ? p.reason.split(dir).join('.') : p.reason };
}
