// One delivering process per store file: a second `taproute start` on the same file would claim the same jobs.
// The lock is SQLite's own (https://www.sqlite.org/lockingv3.html): an exclusive lock on `<file>.owner`, a small
// database held open in exclusive locking mode (https://www.sqlite.org/pragma.html#pragma_locking_mode). It is a
// POSIX advisory lock, which the kernel releases as the process dies, also when the dead process lingers as a
// zombie nobody has reaped yet: no lock outlives its process, whatever PID it had. `<file>.lock` names the owner's
// PID for the message a second process gets.
import Database from 'better-sqlite3';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';

/** How long a start waits for the lock: a process killed a moment ago may still be releasing it. */
const WAIT_MS = 2000;

export class OwnerLock {
  private readonly db: Database.Database;
  private readonly pidFile: string;

  constructor(file: string) {
    this.pidFile = `${file}.lock`;
    this.db = new Database(`${file}.owner`);
    try {
      this.db.pragma(`busy_timeout = ${WAIT_MS}`);
      this.db.pragma('locking_mode = EXCLUSIVE');
      // In exclusive locking mode the lock a write transaction takes is kept until the connection closes.
      this.db.exec('BEGIN EXCLUSIVE; COMMIT');
    } catch (err) {
      this.db.close();
      if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
      throw new Error(`store ${file} is in use by process ${holder(this.pidFile)}`);
    }
    writeFileSync(this.pidFile, String(process.pid));
  }

  release(): void {
    rmSync(this.pidFile, { force: true });
    // The .owner file stays: removing it could let two processes lock two different files of that name.
    this.db.close();
  }
}

function holder(pidFile: string): string {
  try {
    return readFileSync(pidFile, 'utf8').trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}
