// `taproute start` as a child process, as an operator runs it: resolves with its URL once it listens.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { waitFor } from '../tmp.js';

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
}

/** onOutput sees everything printed so far, each time more arrives (also before it listens); args are added to `start`'s. */
export function startServerProcess(cfgFile: string, opts: { onOutput?(all: string): void; args?: string[] } = {}): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', '--config', cfgFile, ...(opts.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TAPROUTE_LOG_LEVEL: 'warn' },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const seen = (d: Buffer) => {
      out += d;
      opts.onOutput?.(out);
    };
    child.stdout!.on('data', (d) => {
      seen(d);
      const m = /listening on (http:\/\/[\d.:]+)/.exec(out);
      if (m) resolve({ child, url: m[1], output: () => out });
    });
    child.stderr!.on('data', seen);
    child.on('exit', (code, signal) => reject(new Error(`server exited ${code ?? signal}: ${out}`)));
  });
}

/** Resolves true once a connection to the port is refused. */
const refused = (url: URL) =>
  new Promise<boolean>((r) => {
    const probe = connect(Number(url.port), url.hostname);
    probe.on('connect', () => (probe.destroy(), r(false)));
    probe.on('error', () => r(true));
  });

/**
 * A POST in flight across a graceful stop: its headers and half its body are sent, then stop() is called, and the
 * rest of the body only once the port refuses new connections (the server, or every process sharing the port,
 * stopped listening). Resolves with the raw HTTP answer once the server closed the connection.
 */
export async function requestAcrossStop(url: URL, path: string, authorization: string, body: string, stop: () => void): Promise<string> {
  const s = connect(Number(url.port), url.hostname);
  try {
    let answer = '';
    s.on('data', (d) => (answer += d));
    const closed = new Promise<void>((r) => s.on('close', () => r()));
    await new Promise<void>((r, j) => s.on('connect', () => r()).on('error', j));
    s.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: ${authorization}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`);
    await new Promise((r) => setTimeout(r, 300));
    stop();
    await waitFor(() => refused(url), 20_000, 'the port to refuse connections');
    s.write(body.slice(10));
    await closed;
    return answer;
  } finally {
    s.destroy();
  }
}
