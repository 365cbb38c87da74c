// A store that cannot write (disk full, I/O error) is a temporary condition for clients: ingest answers 503 with
// Retry-After (https://www.rfc-editor.org/rfc/rfc9110#name-503-service-unavailable) and acknowledges nothing.

/** Seconds a client is asked to wait before sending again while the store cannot write. */
export const STORE_RETRY_AFTER_SECONDS = 10;

export class StoreUnavailableError extends Error {
  readonly statusCode = 503;
  readonly retryAfterSeconds = STORE_RETRY_AFTER_SECONDS;
}

/** SQLite's disk-full and I/O errors (https://www.sqlite.org/rescode.html#full, #ioerr) and the system's own. */
export function isWriteFailure(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code === 'SQLITE_FULL' || code.startsWith('SQLITE_IOERR') || code === 'ENOSPC' || code === 'EDQUOT' || code === 'EIO');
}

/** SQLite's lock errors (https://www.sqlite.org/rescode.html#busy): another connection holds the lock. */
export function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}
