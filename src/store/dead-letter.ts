// A dead-letter row (either backend's columns) as the Store hands it out.
import type { DeadLetter } from './types.js';

export function toDeadLetter(r: Record<string, unknown>): DeadLetter {
  return {
    id: Number(r.id),
    jobId: Number(r.job_id),
    sourceId: String(r.source_id),
    destinationId: String(r.destination_id),
    userKey: String(r.user_key),
    messageId: String(r.message_id),
    code: String(r.code),
    reason: String(r.reason),
    attempts: Number(r.attempts),
    receivedAt: Number(r.received_at),
    failedAt: Number(r.failed_at),
    ...(typeof r.message_type === 'string' ? { messageType: r.message_type } : {}),
    ...(typeof r.event === 'string' ? { event: r.event } : {}),
  };
}

/** A LIKE pattern (escape character: backslash) for a reason that names CleverTap's code, as the mapping writes it:
 *  "... (CleverTap code 515)" (src/destinations/clevertap/deliver.ts). */
export function clevertapCodeInReason(code: string): string {
  return `%(CleverTap code ${code.replace(/[\\%_]/g, '\\$&')})%`;
}

/** The code itself when it can be CleverTap's own (a number), else null (which matches no dead letter's code). */
export const numericOrNull = (code: string): string | null => (/^\d+$/.test(code) ? code : null);
