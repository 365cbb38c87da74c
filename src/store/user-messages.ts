// A user's stored messages with each destination's outcome (Store.userMessages), shared by both backends.
// A message is found by its user key or, sent after identify, by its anonymousId (two index reads merged).
// A message row keeps its user key and its routes: destination → null (a job was made) or the rule that
// filtered it (at routing, or later when settled as filtered). The outcome of a routed destination is then
// read from what is left: a job (pending), a dead letter (dead), or neither (delivered).
import type { StoredMessage, UserMessage, UserMessagesPage, UserOutcome } from './types.js';

export const USER_PAGE_DEFAULT = 50;
export const USER_PAGE_MAX = 500;

/** The routes column of a message as appended. */
export function routesOf(m: StoredMessage): string {
  const r: Record<string, string | null> = {};
  for (const d of m.destinations) r[d] = null;
  if (m.filtered) for (const f of m.filtered) r[f.destination] = f.reason;
  return JSON.stringify(r);
}

export function pageLimit(limit: number | undefined): number {
  return Math.min(Math.max(1, Math.floor(limit ?? USER_PAGE_DEFAULT)), USER_PAGE_MAX);
}

export interface MessageRow { id: number; source_id: string; message_id: string; received_at: number; payload: string; routes: string | null }
export interface PendingRow { msg_id: number; destination_id: string; attempts: number; next_at: number; last_error: string | null }
export interface DeadRow { id: number; msg_id: number; destination_id: string; code: string; reason: string; failed_at: number }

/** The newest `limit` of two reads each newest first (by user key, by anonymousId): a message in both once. */
export function mergeNewest(a: MessageRow[], b: MessageRow[], limit: number): MessageRow[] {
  if (b.length === 0) return a;
  if (a.length === 0) return b;
  const byId = new Map<number, MessageRow>();
  for (const m of [...a, ...b]) byId.set(Number(m.id), m);
  return [...byId.values()].sort((x, y) => Number(y.id) - Number(x.id)).slice(0, limit);
}

/** Joins the three reads into the page (messages newest first, as read). */
export function userPage(messages: MessageRow[], jobs: PendingRow[], dead: DeadRow[], limit: number): UserMessagesPage {
  const jobsOf = groupBy(jobs, (j) => j.msg_id);
  const deadOf = groupBy(dead, (d) => d.msg_id);
  const out: UserMessage[] = messages.map((m) => {
    const routes: Record<string, string | null> = m.routes ? JSON.parse(m.routes) : {};
    const pending = new Map((jobsOf.get(m.id) ?? []).map((j) => [j.destination_id, j]));
    const deadHere = new Map((deadOf.get(m.id) ?? []).map((d) => [d.destination_id, d]));
    // Rows written before routes were kept still show their jobs and dead letters.
    for (const d of [...pending.keys(), ...deadHere.keys()]) if (!(d in routes)) routes[d] = null;
    const outcomes: UserOutcome[] = Object.entries(routes).map(([destinationId, rule]) => {
      const j = pending.get(destinationId);
      if (j) return { destinationId, status: 'pending', attempts: j.attempts, ...(j.next_at > 0 ? { nextAt: j.next_at } : {}), ...(j.last_error ? { lastError: j.last_error } : {}) };
      const d = deadHere.get(destinationId);
      if (d) return { destinationId, status: 'dead', code: d.code, reason: d.reason, deadLetterId: d.id, at: d.failed_at };
      if (rule !== null) return { destinationId, status: 'filtered', rule };
      return { destinationId, status: 'delivered' };
    });
    return { id: m.id, sourceId: m.source_id, messageId: m.message_id, receivedAt: m.received_at, message: JSON.parse(m.payload), outcomes };
  });
  return { messages: out, ...(messages.length === limit ? { next: messages[messages.length - 1].id } : {}) };
}

function groupBy<T>(rows: T[], key: (r: T) => number): Map<number, T[]> {
  const m = new Map<number, T[]>();
  for (const r of rows) {
    const k = key(r);
    const l = m.get(k);
    if (l) l.push(r);
    else m.set(k, [r]);
  }
  return m;
}
