// The errors a deliverer raises for a whole request; the router turns them into retry or pause.
// Per-record problems are never thrown: they are outcomes (see job.ts).

/** The destination could not take the request now (5xx, 429, timeout, network): retry the whole batch. */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
  constructor(message: string, readonly retryAfterMs?: number, readonly code = 'retryable') {
    super(message);
  }
}

/** Credentials refused: the router pauses the destination and keeps its jobs. */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(message: string, readonly code = 'auth') {
    super(message);
  }
}
