// The live debugger's tap: ingest and the router hand it what they stored and settled; it costs one
// branch while no console stream is attached. Memory and work are bounded whatever the traffic: at most
// PER_FLUSH messages per flush are shown (a person reads far fewer; the rest are counted as skipped and
// never parsed), the last RECENT messages and their outcomes are kept (a ring), and a stream that cannot
// keep up skips events rather than buffering them.
// In a cluster (cluster-tap.ts) each node also publishes what it taps while a stream is open on any node,
// and takes in what the other nodes publish: their messages (without payloads: the detail view reads the
// store) and outcomes, bounded the same way.
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

/** A message kept in the ring; payload is null for one another node received (it is read from the store). */
interface Kept {
  event: TapEvent;
  payload: string | null;
}

/** Where this node's tapped items go for the other nodes, and what it is told about their watchers. */
export interface TapPublisher {
  publish(items: TapItem[]): void;
  /** Called when the number of this node's own streams changes. */
  watching(streams: number): void;
}

export class LiveTap {
  private readonly listeners = new Set<TapListener>();
  private pending: Raw[] = [];
  private readonly pendingIds = new Set<string>();
  private pendingRemote: TapEvent[] = [];
  private skipped = 0;
  private pendingOutcomes: TapOutcome[] = [];
  private remoteOutcomes: TapOutcome[] = [];
  private timer: NodeJS.Timeout | null = null;
  private seq = 0;
  /** Newest last; ring-bounded. Payloads are kept as stored (a string), parsed only when one is opened. */
  private readonly recent: Kept[] = [];
  private readonly byId = new Map<string, Kept>();
  private readonly outcomes = new Map<string, TapOutcome[]>();
  /** Outcomes that arrived before their message (another node settled it first), at most RECENT messages' worth. */
  private readonly early = new Map<string, TapOutcome[]>();
  private publisher: TapPublisher | null = null;
  /** Set while a stream is open on another node of the cluster (cluster-tap.ts). */
  private remoteWatch = false;

  get active(): boolean {
    return this.listeners.size > 0 || this.remoteWatch;
  }

  /** Cluster mode: what this node taps is also handed to the publisher while another node watches. */
  publishTo(p: TapPublisher): void {
    this.publisher = p;
  }

  /** Whether a stream is open on some other node (then this node publishes what it taps). */
  setRemoteWatch(on: boolean): void {
    this.remoteWatch = on;
  }

  /** Ingest: messages just stored (duplicates already removed by the caller's indexes). */
  received(sourceId: string, msgs: StoredMessage[], duplicates: number[]): void {
    if (!this.active) return;
    const dup = duplicates.length ? new Set(duplicates) : null;
    for (let i = 0; i < msgs.length; i++) {
      if (dup?.has(i)) continue;
      if (this.pending.length + this.pendingRemote.length < PER_FLUSH) {
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
    // In a cluster another node may have received (and be showing) the message: every outcome is of use.
    const any = this.publisher !== null;
    for (const o of outcomes) {
      const messageId = ids.get(o.jobId);
      // Only outcomes of messages shown (or about to be) are of use to anyone.
      if (!messageId || !(any || this.byId.has(messageId) || this.pendingIds.has(messageId))) continue;
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

  /** Items another node published: shown here as this node's own are (only while a stream is open here). */
  remote(items: TapItem[]): void {
    if (this.listeners.size === 0) return;
    for (const it of items) {
      if (it.kind === 'message') {
        if (this.pending.length + this.pendingRemote.length < PER_FLUSH) this.pendingRemote.push(it);
        else this.skipped++;
      } else if (it.kind === 'outcome') {
        if (this.remoteOutcomes.length < RECENT) this.remoteOutcomes.push(it);
      } else this.skipped += it.count;
    }
    this.arm();
  }

  subscribe(fn: TapListener): () => void {
    this.listeners.add(fn);
    this.publisher?.watching(this.listeners.size);
    return () => {
      this.listeners.delete(fn);
      this.publisher?.watching(this.listeners.size);
    };
  }

  /** The most recent messages, newest first (what a stream shows when it opens). */
  backlog(limit = 200): TapItem[] {
    const events = this.recent.slice(-limit).reverse().map((r) => r.event);
    const outcomes = events.flatMap((e) => this.outcomes.get(e.messageId) ?? []);
    return [...events, ...outcomes];
  }

  /** A recent message with the outcomes seen so far; `message` is undefined when another node received it. */
  lookup(messageId: string): { event: TapEvent; message?: unknown; outcomes: TapOutcome[] } | undefined {
    const r = this.byId.get(messageId);
    if (!r) return undefined;
    const outcomes = this.outcomes.get(messageId) ?? [];
    return r.payload === null ? { event: r.event, outcomes } : { event: r.event, message: JSON.parse(r.payload), outcomes };
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
    const own: TapItem[] = [];
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
      own.push(event);
      items.push(event, ...this.remember(event, msg.payload));
    }
    for (const e of this.pendingRemote) {
      const event = { ...e, seq: ++this.seq };
      items.push(event, ...this.remember(event, null));
    }
    own.push(...this.pendingOutcomes);
    for (const o of [...this.pendingOutcomes, ...this.remoteOutcomes]) {
      const list = this.outcomes.get(o.messageId);
      const shown = { ...o, seq: ++this.seq };
      if (list) {
        list.push(shown);
        items.push(shown);
      } else if (this.publisher && this.listeners.size > 0) this.keepEarly(shown);
    }
    if (this.skipped) {
      items.push({ kind: 'skipped', count: this.skipped });
      own.push({ kind: 'skipped', count: this.skipped });
    }
    this.pending = [];
    this.pendingIds.clear();
    this.pendingRemote = [];
    this.pendingOutcomes = [];
    this.remoteOutcomes = [];
    this.skipped = 0;
    if (this.remoteWatch && own.length) this.publisher?.publish(own);
    if (items.length) for (const fn of this.listeners) fn(items);
  }

  /** Keeps a message in the ring; returns the outcomes that had arrived before it, now attached. */
  private remember(event: TapEvent, payload: string | null): TapOutcome[] {
    const r = { event, payload };
    this.recent.push(r);
    this.byId.set(event.messageId, r);
    const early = this.early.get(event.messageId) ?? [];
    this.early.delete(event.messageId);
    this.outcomes.set(event.messageId, early);
    if (this.recent.length > RECENT) {
      const old = this.recent.shift()!;
      if (this.byId.get(old.event.messageId) === old) {
        this.byId.delete(old.event.messageId);
        this.outcomes.delete(old.event.messageId);
      }
    }
    return early;
  }

  private keepEarly(o: TapOutcome): void {
    const list = this.early.get(o.messageId);
    if (list) list.push(o);
    else this.early.set(o.messageId, [o]);
    // A Map iterates in insertion order: the oldest goes first.
    if (this.early.size > RECENT) this.early.delete(this.early.keys().next().value!);
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
