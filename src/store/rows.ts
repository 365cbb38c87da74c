// What both store backends (sqlite/, postgres/) share about their rows and housekeeping, so neither imports the other.

/** A job row as both backends keep it (snake_case columns). */
export interface JobRow {
  id: number;
  msg_id: number;
  source_id: string;
  destination_id: string;
  user_key: string;
  attempts: number;
  received_at: number;
}

/** How long request ids (mParticle source_request_id) are remembered for request-level dedupe. */
export const REQUEST_ID_DAYS = 30;

/** How a job's last error reads: "code: reason". */
export const errorText = (code: string | undefined, reason: string): string => (code ? `${code}: ${reason}` : reason);
