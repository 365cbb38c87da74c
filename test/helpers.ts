// Shared test setup: real servers on loopback, real SQLite files in temp dirs, the real emulator.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { request } from 'undici';
import { startEmulator } from '../src/emulator/index.js';
import { parseConfig } from '../src/config/load.js';
import { startServer, type RunningServer } from '../src/server.js';
import { createLogger } from '../src/util/logger.js';
import { tmpDir } from './tmp.js';
export { tmpDir, waitFor } from './tmp.js';

export const WRITE_KEY = 'test-write-key';
export const ADMIN_TOKEN = 'test-admin-token';
export const basic = (user: string, pass = '') => 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64');

export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.body.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.statusCode, headers: res.headers, body: json };
}

export async function get(url: string, headers: Record<string, string> = {}) {
  const res = await request(url, { headers });
  const text = await res.body.text();
  return { status: res.statusCode, body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text };
}

export interface Stack {
  server: RunningServer;
  emulator: Awaited<ReturnType<typeof startEmulator>>;
  dir: string;
  close(): Promise<void>;
}

/** A Taproute server with one Segment source and one CleverTap destination backed by the emulator. */
export async function startStack(o: {
  clevertap?: Record<string, unknown>;
  emulator?: Partial<Parameters<typeof startEmulator>[0]>;
  config?: Record<string, unknown>;
  dir?: string;
} = {}): Promise<Stack> {
  const t = o.dir ? { dir: o.dir, cleanup() {} } : tmpDir();
  const emulator = await startEmulator({ port: 0, accounts: [{ id: 'acc', passcode: 'pass' }], logger: false, ...o.emulator });
  const config = parseConfig({
    server: { port: 0 },
    storage: { sqlite: join(t.dir, 'store.sqlite'), synchronous: 'NORMAL' },
    admin: { token: ADMIN_TOKEN },
    router: { retryBase: '20ms', retryMax: '200ms', pollInterval: '20ms' },
    sources: [{ id: 'web', type: 'segment', writeKey: WRITE_KEY }],
    destinations: [{ id: 'ct', type: 'clevertap', settings: { accountId: 'acc', passcode: 'pass', endpoint: emulator.url, ...o.clevertap } }],
    connections: [{ source: 'web', destination: 'ct' }],
    ...o.config,
  });
  const server = await startServer(config, { logger: createLogger('silent') });
  return {
    server,
    emulator,
    dir: t.dir,
    async close() {
      await server.close();
      await emulator.close();
      t.cleanup();
    },
  };
}

/** Every connection's counts add up: received = delivered + dead + filtered + pending. */
export async function reconciled(server: RunningServer): Promise<boolean> {
  return (await server.store.counts()).every((c) => c.received === c.delivered + c.dead + c.filtered + c.pending);
}

/** Messages of a source as the store keeps them (its own table, read-only), oldest first. */
export function storedMessages(stack: Stack, sourceId: string): Record<string, any>[] {
  const db = new Database(join(stack.dir, 'store.sqlite'), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT payload FROM messages WHERE source_id = ? ORDER BY id').all(sourceId) as { payload: string }[];
    return rows.map((r) => JSON.parse(r.payload));
  } finally {
    db.close();
  }
}
