// The live debugger across a cluster (PostgreSQL store): what one node taps reaches the streams open on every
// other node through LISTEN/NOTIFY (https://www.postgresql.org/docs/current/sql-notify.html), with no table
// and no polling. A node with a stream open announces it on WATCH_CHANNEL every WATCH_MS; a node that heard
// an announcement within WATCH_TTL_MS publishes its compact tap entries (ids, source, type, event, user,
// time, outcomes; never payloads) on TAP_CHANNEL, several per notification, each notification under
// NOTIFY's 8000-byte payload limit. Nobody watching: nothing is published and ingest pays one branch.
// One dedicated connection per node listens and publishes; it reconnects by itself. A publish still in
// flight when the next flush comes drops that flush (counted as skipped): memory stays bounded.
import pg from 'pg';
import type { Logger } from '../util/logger.js';
import type { LiveTap, TapItem, TapPublisher } from './tap.js';

const TAP_CHANNEL = 'taproute_tap';
const WATCH_CHANNEL = 'taproute_tap_watch';
const WATCH_MS = 2000;
const WATCH_TTL_MS = 3 * WATCH_MS;
const RECONNECT_MS = 1000;
/** NOTIFY's payload must be shorter than 8000 bytes; room is left for the envelope. */
const MAX_PAYLOAD_BYTES = 7800;
/** A single entry longer than this has its free-text fields cut (an event name or user id kilobytes long). */
const MAX_ITEM_BYTES = 2000;
const CUT = 200;

interface Envelope {
  /** The publishing node: a node ignores what it published itself. */
  n: string;
  i: TapItem[];
}

export class ClusterTap implements TapPublisher {
  private client: pg.Client | null = null;
  private closed = false;
  private publishing = false;
  private announcing = false;
  /** Messages of flushes dropped while a publish was in flight, told to the watchers with the next one. */
  private dropped = 0;
  private watchTimer: NodeJS.Timeout | null = null;
  private remoteTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private localStreams = 0;

  constructor(
    private readonly url: string,
    private readonly nodeId: string,
    private readonly tap: LiveTap,
    private readonly log?: Logger,
  ) {}

  /** Connects and listens; a database out of reach is retried in the background (the tap works locally meanwhile). */
  async start(): Promise<void> {
    this.tap.publishTo(this);
    await this.connect();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const c = new pg.Client({ connectionString: this.url, application_name: 'taproute-tap' });
    c.on('error', () => this.lost(c));
    c.on('end', () => this.lost(c));
    c.on('notification', (n) => this.heard(n.channel, n.payload ?? ''));
    try {
      await c.connect();
      await c.query(`LISTEN ${TAP_CHANNEL}`);
      await c.query(`LISTEN ${WATCH_CHANNEL}`);
    } catch (err) {
      this.log?.warn({ err }, 'live debugger: cannot listen for the cluster; retrying');
      void c.end().catch(() => {});
      this.retry();
      return;
    }
    this.client = c;
    if (this.localStreams > 0) this.announce();
  }

  private lost(c: pg.Client): void {
    if (this.client !== c) return;
    this.client = null;
    this.publishing = false;
    this.announcing = false;
    void c.end().catch(() => {});
    this.retry();
  }

  private retry(): void {
    if (this.closed || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      void this.connect();
    }, RECONNECT_MS);
    this.reconnectTimer.unref();
  }

  private heard(channel: string, payload: string): void {
    if (channel === WATCH_CHANNEL) {
      if (payload === this.nodeId) return;
      // Another node has a stream open: publish until its announcements stop.
      this.tap.setRemoteWatch(true);
      if (this.remoteTimer) clearTimeout(this.remoteTimer);
      this.remoteTimer = setTimeout(() => this.tap.setRemoteWatch(false), WATCH_TTL_MS);
      this.remoteTimer.unref();
      return;
    }
    let env: Envelope;
    try {
      env = JSON.parse(payload);
    } catch {
      return;
    }
    if (env.n !== this.nodeId && Array.isArray(env.i)) this.tap.remote(env.i);
  }

  /** The number of streams open on this node changed: announce them (at once for the first) or stop. */
  watching(streams: number): void {
    this.localStreams = streams;
    if (streams > 0 && !this.watchTimer) {
      this.announce();
      this.watchTimer = setInterval(() => this.announce(), WATCH_MS);
      this.watchTimer.unref();
    } else if (streams === 0 && this.watchTimer) {
      clearInterval(this.watchTimer);
      this.watchTimer = null;
    }
  }

  private announce(): void {
    const c = this.client;
    // One announcement at a time: a connection that hangs must not gather a queue of them.
    if (!c || this.announcing) return;
    this.announcing = true;
    c.query('SELECT pg_notify($1, $2)', [WATCH_CHANNEL, this.nodeId])
      .catch(() => {})
      .finally(() => (this.announcing = false));
  }

  publish(items: TapItem[]): void {
    const c = this.client;
    if (!c) return;
    if (this.publishing) {
      // The previous flush is still on its way: drop this one rather than queue it; the next one tells how many.
      this.dropped += items.filter((x) => x.kind === 'message').length;
      return;
    }
    if (this.dropped) items = [...items, { kind: 'skipped', count: this.dropped }];
    this.dropped = 0;
    this.publishing = true;
    c.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [TAP_CHANNEL, pack(this.nodeId, items)])
      .catch(() => {})
      .finally(() => {
        if (this.client === c) this.publishing = false;
      });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of [this.watchTimer, this.remoteTimer, this.reconnectTimer]) if (t) clearTimeout(t);
    this.tap.setRemoteWatch(false);
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => {});
  }
}

/** Items as notification payloads, each under MAX_PAYLOAD_BYTES, in order. */
export function pack(nodeId: string, items: TapItem[]): string[] {
  const head = `{"n":${JSON.stringify(nodeId)},"i":[`;
  const out: string[] = [];
  let parts: string[] = [];
  let bytes = Buffer.byteLength(head) + 2;
  const close = () => {
    if (parts.length) out.push(`${head}${parts.join(',')}]}`);
    parts = [];
    bytes = Buffer.byteLength(head) + 2;
  };
  for (const it of items) {
    const json = compact(it);
    if (json === null) continue;
    const n = Buffer.byteLength(json) + 1;
    if (bytes + n > MAX_PAYLOAD_BYTES) close();
    parts.push(json);
    bytes += n;
  }
  close();
  return out;
}

/** One entry's JSON, its free text cut when it is long; null if even that does not fit. */
function compact(it: TapItem): string | null {
  let json = JSON.stringify(it);
  if (Buffer.byteLength(json) <= MAX_ITEM_BYTES) return json;
  const cut = (s: string | undefined) => (s === undefined || s.length <= CUT ? s : `${s.slice(0, CUT)}…`);
  if (it.kind === 'message')
    json = JSON.stringify({ ...it, event: cut(it.event), filtered: it.filtered?.slice(0, 10), destinations: it.destinations.slice(0, 10) });
  else if (it.kind === 'outcome') json = JSON.stringify({ ...it, reason: cut(it.reason), code: cut(it.code) });
  return Buffer.byteLength(json) <= MAX_PAYLOAD_BYTES / 2 ? json : null;
}
