// `taproute start` as a child process, as an operator runs it: resolves with its URL once it listens.
import { spawn, type ChildProcess } from 'node:child_process';

export function startServerProcess(cfgFile: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'start', '--config', cfgFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TAPROUTE_LOG_LEVEL: 'warn' },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/[\d.:]+)/.exec(out);
      if (m) resolve({ child, url: m[1] });
    });
    child.stderr!.on('data', (d) => (out += d));
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
}
