// What the live debugger's stream carries (shared by the server and the browser UI; types only).
import type { Outcome } from '../core/job.js';

/** A message as the debugger lists it. */
export interface TapEvent {
  kind: 'message';
  seq: number;
  sourceId: string;
  messageId: string;
  type: string;
  event?: string;
  userId?: string;
  anonymousId?: string;
  receivedAt: number;
  /** Connected destinations that hold it back at routing time (loop guard, device mode). */
  filtered?: { destination: string; reason: string }[];
  destinations: string[];
}

/** A delivery outcome of one message in one destination. */
export interface TapOutcome {
  kind: 'outcome';
  seq: number;
  messageId: string;
  destinationId: string;
  status: Outcome['status'];
  code?: string;
  reason?: string;
  at: number;
}

/** Messages received but not shown (over PER_FLUSH) since the previous flush. */
export interface TapSkipped {
  kind: 'skipped';
  count: number;
}

export type TapItem = TapEvent | TapOutcome | TapSkipped;
