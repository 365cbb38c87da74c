// `taproute start` as a child process, as an operator runs it: resolves with its URL once it listens.
import { spawn, type ChildProcess } from 'node:child_process';

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
