// One delivering process per store file: a second `taproute start` on the same file would claim the same
// jobs. The lock names its PID; a lock left by a dead process (kill -9) is taken over.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

export class OwnerLock {
  private readonly path: string;

  constructor(file: string) {
    this.path = `${file}.lock`;
    try {
      const held = Number(readFileSync(this.path, 'utf8'));
      if (held && held !== process.pid && alive(held)) throw new Error(`store ${file} is in use by process ${held}`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    writeFileSync(this.path, String(process.pid));
  }

  release(): void {
    rmSync(this.path, { force: true });
  }
}

/** Signal 0 only checks that the process exists; EPERM means it exists under another user. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
