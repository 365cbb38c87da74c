// Structured logs (pino). Secrets never reach a log line: known secret fields are redacted, and
// request logging records no headers or bodies. URLs are logged through redactUrl (src/http/redact.ts).
import { pino } from 'pino';

export type Logger = pino.Logger;

export const REDACT = [
  'writeKey', '*.writeKey', 'passcode', '*.passcode', '*.*.passcode', 'secret', '*.secret', 'token', '*.token',
  'authorization', '*.authorization', 'headers.authorization', 'req.headers.authorization',
  'req.headers["x-clevertap-passcode"]', 'req.headers["x-taproute-secret"]',
];

/** A logger to stdout, or to `destination` (tests read what would be logged). */
export function createLogger(level = process.env.TAPROUTE_LOG_LEVEL ?? 'info', destination?: pino.DestinationStream): Logger {
  const opts = { level, redact: { paths: REDACT, censor: '[redacted]' }, base: undefined };
  return destination ? pino(opts, destination) : pino(opts);
}
