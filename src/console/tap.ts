// The live debugger's tap: ingest and the router hand it what they stored and settled; it costs one
// branch while no console stream is attached. Memory and work are bounded whatever the traffic: at most
// PER_FLUSH messages per flush are shown (a person reads far fewer; the rest are counted as skipped and
// never parsed), the last RECENT messages and their outcomes are kept (a ring), and a stream that cannot
// keep up skips events rather than buffering them. It sees this node's traffic only (each node of a cluster
// taps its own).
import type { Outcome } from '../core/job.js';
import type { StoredMessage } from '../store/types.js';
import type { TapEvent, TapItem, TapOutcome } from './items.js';
export type { TapEvent, TapItem, TapOutcome };

export type TapListener = (items: TapItem[]) => void;

const RECENT = 1000;
const FLUSH_MS = 150;
/** Messages shown per flush (about 650 per second); more are counted as skipped. */
const PER_FLUSH = 100;

interface Raw {
  sourceId: string;
  msg: StoredMessage;
}

export class LiveTap {
  private readonly listeners = new Set<TapListener>();
  private pending: Raw[] = [];
  private readonly pendingIds = new Set<string>();
  private skipped = 0;
  private pendingOutcomes: TapOutcome[] = [];
  private timer: NodeJS.Timeout | null = null;
  private seq = 0;
  /** Newest last; ring-bounded. Payloads are kept as stored (a string), parsed only when one is opened. */
  private readonly recent: { event: TapEvent; payload: string }[] = [];
  private readonly byId = new Map<string, { event: TapEvent; payload: string }>();
  private readonly outcomes = new Map<string, TapOutcome[]>();

  get active(): boolean {
    return this.listeners.size > 0;
  }

  /** Ingest: messages just stored (duplicates already removed by the caller's indexes). */
  received(sourceId: string, msgs: StoredMessage[], duplicates: number[]): void {
    if (!this.active) return;
    const dup = duplicates.length ? new Set(duplicates) : null;
    for (let i = 0; i < msgs.length; i++) {
      if (dup?.has(i)) continue;
      if (this.pending.length < PER_FLUSH) {
        this.pending.push({ sourceId, msg: msgs[i] });
        this.pendingIds.add(msgs[i].messageId);
      } else this.skipped++;
    }
    this.arm();
  }

  /** Router: outcomes of a request, with the jobs they settle. */
  settled(destinationId: string, outcomes: Outcome[], jobs: readonly { id: number; message: { messageId?: string } }[]): void {
    if (!this.active) return;
    const ids = new Map(jobs.map((j) => [j.id, j.message.messageId]));
    const at = Date.now();
    for (const o of outcomes) {
      const messageId = ids.get(o.jobId);
      // Only outcomes of messages shown (or about to be) are of use to anyone.
      if (!messageId || !(this.byId.has(messageId) || this.pendingIds.has(messageId))) continue;
      if (this.pendingOutcomes.length >= RECENT) break;
      this.pendingOutcomes.push({
        kind: 'outcome',
        seq: 0,
        messageId,
        destinationId,
        status: o.status,
        code: 'code' in o ? o.code : undefined,
        reason: 'reason' in o ? o.reason : undefined,
        at,
      });
    }
    this.arm();
  }

  subscribe(fn: TapListener): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
    };
  }

  /** The most recent messages, newest first (what a stream shows when it opens). */
  backlog(limit = 200): TapItem[] {
    const events = this.recent.slice(-limit).reverse().map((r) => r.event);
    const outcomes = events.flatMap((e) => this.outcomes.get(e.messageId) ?? []);
    return [...events, ...outcomes];
  }

  /** A recent message as stored, with the outcomes seen so far. */
  lookup(messageId: string): { event: TapEvent; message: unknown; outcomes: TapOutcome[] } | undefined {
    const r = this.byId.get(messageId);
    if (!r) return undefined;
    return { event: r.event, message: JSON.parse(r.payload), outcomes: this.outcomes.get(messageId) ?? [] };
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.listeners.clear();
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  private flush(): void {
    this.timer = null;
    const items: TapItem[] = [];
    for (const { sourceId, msg } of this.pending) {
      const m = safeParse(msg.payload);
      const event: TapEvent = {
        kind: 'message',
        seq: ++this.seq,
        sourceId,
        messageId: msg.messageId,
        type: str(m.type) ?? 'unknown',
        event: str(m.event) ?? str(m.name),
        userId: str(m.userId),
        anonymousId: str(m.anonymousId),
        receivedAt: msg.receivedAt,
        filtered: msg.filtered,
        destinations: msg.destinations,
      };
      this.remember(event, msg.payload);
      items.push(event);
    }
    for (const o of this.pendingOutcomes) {
      const list = this.outcomes.get(o.messageId);
      if (!list) continue;
      o.seq = ++this.seq;
      list.push(o);
      items.push(o);
    }
    if (this.skipped) items.push({ kind: 'skipped', count: this.skipped });
    this.pending = [];
    this.pendingIds.clear();
    this.pendingOutcomes = [];
    this.skipped = 0;
    if (items.length) for (const fn of this.listeners) fn(items);
  }

  private remember(event: TapEvent, payload: string): void {
    const r = { event, payload };
    this.recent.push(r);
    this.byId.set(event.messageId, r);
    this.outcomes.set(event.messageId, []);
    if (this.recent.length > RECENT) {
      const old = this.recent.shift()!;
      if (this.byId.get(old.event.messageId) === old) {
        this.byId.delete(old.event.messageId);
        this.outcomes.delete(old.event.messageId);
      }
    }
  }
}

function safeParse(s: string): Record<string, unknown> {
  try {
    const v = JSON.parse(s);
    return v && typeof v === 'object' ? v : {};
  } catch {
    return {};
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}
