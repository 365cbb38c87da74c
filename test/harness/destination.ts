// A per-destination test harness, in the spirit of Segment's `createTestIntegration`: one destination type and its
// settings, its deliverer (create() → deliver(jobs)) run directly, without the router, the store or timers, against
// a real upstream: the CleverTap emulator for `clevertap`, a recording receiver for `webhook`. Between the two sits a
// loopback tap that records every request and can answer from a script (statuses, headers such as Retry-After,
// bodies, delays) where the emulator's own faults (emulator.setFaults) cannot say it.
//
//   const ct = await createTestDestination('clevertap', { batchSize: 2 });
//   const { outcomes, sent, warnings } = await ct.deliver([track('Clicked'), identify({ plan: 'pro' })]);
//   await ct.close();
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { DESTINATIONS, createDeliverer, isDestinationType, type DestinationEntry } from '../../src/destinations/registry.js';
import type { Deliverer, DeliveryContext } from '../../src/destinations/types.js';
import type { Job, Outcome, Warning } from '../../src/core/job.js';
import type { InboundMessage, Message } from '../../src/message/schema.js';
import { startEmulator, type EmulatorOptions, type RunningEmulator } from '../../src/emulator/index.js';
import { compileTransform } from '../../src/destinations/clevertap/transform.js';
import { parseCleverTapSettings } from '../../src/destinations/clevertap/settings.js';

/** The emulator account every CleverTap test destination uses unless its settings say otherwise. */
export const ACCOUNT = { id: 'acc', passcode: 'pass' };

/** A request that reached the upstream, with the answer it got. */
export interface SentRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The JSON body (the raw text when it is not JSON). */
  body: any;
  answer: { status: number; body: any; scripted: boolean };
}

/** An answer the tap gives instead of the upstream. */
export interface ScriptedAnswer {
  /** Which requests it answers (default: any). */
  when?: (req: Omit<SentRequest, 'answer'>) => boolean;
  /** How many matching requests it answers (default 1). */
  times?: number;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** Hold the answer this long first (a slow or hanging upstream). */
  delayMs?: number;
}

export interface DeliveryResult {
  outcomes: Outcome[];
  /** Requests that reached the upstream during this delivery, in arrival order. */
  sent: SentRequest[];
  /** The mapping's warnings per message, in job order (destinations without a dry-run mapping give none). */
  warnings: Warning[][];
}

export interface TestDestination {
  readonly deliverer: Deliverer;
  /** The CleverTap emulator behind a clevertap destination (inspect, setFaults). */
  readonly emulator?: RunningEmulator;
  /** Every request that reached the upstream since the start. */
  readonly sent: SentRequest[];
  /** What the deliverer logged (level + object + message). */
  readonly logs: { level: string; o: object; msg?: string }[];
  /** Queues scripted answers (first matching one wins). */
  script(...answers: ScriptedAnswer[]): void;
  /** Delivers jobs (or messages, made into jobs 1, 2, ...) in one deliver() call. */
  deliver(input: (Job | InboundMessage)[]): Promise<DeliveryResult>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** CleverTap emulator options (maxRecords, maxTokens, faults, ...). */
  emulator?: Partial<EmulatorOptions>;
  script?: ScriptedAnswer[];
}

/** How the harness wires each destination type to its upstream. */
interface Adapter {
  /** Starts the real upstream, if the type has one (else the tap answers 200 itself). */
  upstream?(o: HarnessOptions): Promise<{ url: string; emulator?: RunningEmulator; close(): Promise<void> }>;
  /** The settings pointing at the tap. */
  settings(s: Record<string, unknown>, tapUrl: string): Record<string, unknown>;
  /** The destination's dry-run mapping, for warnings. */
  warnings?(s: Record<string, unknown>): (m: InboundMessage) => Warning[];
}

const ADAPTERS: Record<string, Adapter> = {
  clevertap: {
    async upstream(o) {
      const emulator = await startEmulator({ port: 0, accounts: [ACCOUNT], logger: false, ...o.emulator });
      return { url: emulator.url, emulator, close: () => emulator.close() };
    },
    settings: (s, tapUrl) => ({ accountId: ACCOUNT.id, passcode: ACCOUNT.passcode, ...s, endpoint: tapUrl }),
    warnings(s) {
      const t = compileTransform(parseCleverTapSettings(s));
      return (m) => {
        const r = t(m);
        return r.ok ? r.warnings : [];
      };
    },
  },
  webhook: {
    settings: (s, tapUrl) => ({ ...s, url: `${tapUrl}/hook` }),
  },
};

let nextJobId = 1;

/** A job for a message, as the store would hand it over (ids and times filled in). */
export function jobFor(m: InboundMessage, id = nextJobId++): Job {
  const now = new Date().toISOString();
  const message = { messageId: `m${id}`, timestamp: now, receivedAt: now, ...m } as Message;
  const userKey = String(message.userId ?? message.anonymousId ?? '');
  return { id, sourceId: 'test', destinationId: 'test', userKey, attempts: 0, receivedAt: Date.now(), message };
}

function isJob(x: Job | InboundMessage): x is Job {
  return typeof (x as Job).id === 'number' && (x as Job).message !== undefined;
}

export async function createTestDestination(type: string, settings: Record<string, unknown> = {}, o: HarnessOptions = {}): Promise<TestDestination> {
  const adapter = ADAPTERS[type];
  if (!isDestinationType(type) || !adapter) throw new Error(`no test harness for destination type "${type}"`);
  const upstream = await adapter.upstream?.(o);
  const tap = await startTap(upstream?.url);
  tap.answers.push(...(o.script ?? []));
  const full = adapter.settings(settings, tap.url);
  const logs: TestDestination['logs'] = [];
  const log: DeliveryContext['log'] = {
    info: (obj, msg) => logs.push({ level: 'info', o: obj, msg }),
    warn: (obj, msg) => logs.push({ level: 'warn', o: obj, msg }),
    error: (obj, msg) => logs.push({ level: 'error', o: obj, msg }),
  };
  const entry = { id: 'test', type, settings: DESTINATIONS[type].checkSettings(full) } as DestinationEntry;
  const deliverer = createDeliverer(entry, { log });
  const warningsOf = adapter.warnings?.(full);
  return {
    deliverer,
    emulator: upstream?.emulator,
    sent: tap.sent,
    logs,
    script: (...answers) => tap.answers.push(...answers),
    async deliver(input) {
      let id = 1;
      const jobs = input.map((x) => (isJob(x) ? x : jobFor(x, id++)));
      const from = tap.sent.length;
      // Before delivery: a deliverer may keep only the ids and times of a message it has mapped.
      const warnings = jobs.map((j) => warningsOf?.(j.message) ?? []);
      const outcomes = await deliverer.deliver(jobs);
      return { outcomes, sent: tap.sent.slice(from), warnings };
    },
    async close() {
      await deliverer.close();
      await tap.close();
      await upstream?.close();
    },
  };
}

interface Tap {
  url: string;
  sent: SentRequest[];
  answers: ScriptedAnswer[];
  close(): Promise<void>;
}

function parse(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

/** The recording, scriptable front of the upstream (forwards to `target` when no scripted answer applies). */
async function startTap(target: string | undefined): Promise<Tap> {
  const sent: SentRequest[] = [];
  const answers: ScriptedAnswer[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const r = { method: req.method ?? 'GET', path: req.url ?? '/', headers: req.headers, body: parse(raw) };
      const i = answers.findIndex((a) => !a.when || a.when(r));
      try {
        if (i >= 0) {
          const a = answers[i];
          if ((a.times ?? 1) <= 1) answers.splice(i, 1);
          else answers[i] = { ...a, times: (a.times ?? 1) - 1 };
          const entry: SentRequest = { ...r, answer: { status: a.status, body: a.body, scripted: true } };
          sent.push(entry);
          if (a.delayMs) await new Promise<void>((done) => timers.add(setTimeout(done, a.delayMs)));
          if (res.destroyed) return;
          res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
          res.end(a.body === undefined ? '' : JSON.stringify(a.body));
          return;
        }
        const entry: SentRequest = { ...r, answer: { status: 200, body: {}, scripted: false } };
        sent.push(entry);
        if (!target) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{}');
          return;
        }
        const headers = { ...req.headers };
        delete headers.host;
        delete headers['content-length'];
        delete headers.connection;
        const up = await request(target + r.path, { method: r.method as 'POST', headers: headers as Record<string, string>, body: raw || undefined });
        const text = await up.body.text();
        entry.answer = { status: up.statusCode, body: parse(text), scripted: false };
        const out: Record<string, string> = {};
        for (const [k, v] of Object.entries(up.headers)) if (typeof v === 'string' && k !== 'content-length' && k !== 'connection' && k !== 'keep-alive') out[k] = v;
        res.writeHead(up.statusCode, out);
        res.end(text);
      } catch (err) {
        if (!res.destroyed) res.destroy(err as Error);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    sent,
    answers,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
