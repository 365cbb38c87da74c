// Cluster membership and lane leases in PostgreSQL. Every node writes a row in `nodes` that it renews (a
// heartbeat), and holds leases on the (destination, lane) pairs it delivers; live nodes are those whose row
// has not expired. Each tick (a third of the lease timeout) a node renews what it holds, gives back lanes
// that now belong to another node once their request in flight is over, and takes the lanes it should own
// whose lease is free or expired. Taking a lease over increments its token: the fencing token that the
// store checks on every claim and settle (src/store/postgres/jobs.ts), after Kleppmann's "How to do
// distributed locking" (https://martin.kleppmann.com/2016/02/08/how-to-do-distributed-locking.html).
// Times that decide expiry are the database's clock; this node only trusts a lease for leaseTimeout after
// it sent the renewal, measured on its own monotonic clock, so a paused process stops claiming by itself.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import { LANES } from '../store/lanes.js';
import type { Logger } from '../util/logger.js';
import { ownerOf } from './assign.js';

export interface MembershipOptions {
  leaseTimeoutMs: number;
  destinations: readonly string[];
  /** True while a request of that lane is in flight: the lease is kept until it is settled. */
  busy(destinationId: string, lane: number): boolean;
  log: Logger;
  nodeId?: string;
}

/** A node names itself: host, process and a random suffix (a restarted process is a new node). */
export function newNodeId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

const key = (d: string, l: number) => `${d}\u0000${l}`;

export class Membership {
  readonly nodeId: string;
  /** Leases held: key → monotonic time until which this node trusts it. */
  private held = new Map<string, number>();
  /** Lanes this node should own per the last tick (it claims only those it also holds). */
  private desired = new Set<string>();
  private live: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private ticking: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly pool: pg.Pool, private readonly opts: MembershipOptions) {
    this.nodeId = opts.nodeId ?? newNodeId();
  }

  /** Joins the cluster (first tick awaited) and keeps ticking. */
  async start(): Promise<void> {
    await this.tickSafely();
    const every = Math.max(50, Math.floor(this.opts.leaseTimeoutMs / 3));
    this.timer = setInterval(() => void this.tickSafely(), every);
    this.timer.unref();
  }

  /** May this node claim from that lane now? */
  owns(destinationId: string, lane: number): boolean {
    const k = key(destinationId, lane);
    const until = this.held.get(k);
    return until !== undefined && until > performance.now() && this.desired.has(k);
  }

  /** Live nodes as of the last tick. */
  nodes(): readonly string[] {
    return this.live;
  }

  private tickSafely(): Promise<void> {
    if (this.ticking) return this.ticking;
    this.ticking = this.tick()
      .catch((err) => this.opts.log.warn({ err: (err as Error).message }, 'cluster: heartbeat failed'))
      .finally(() => (this.ticking = null));
    return this.ticking;
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const sent = performance.now();
    const ttl = this.opts.leaseTimeoutMs;
    const until = sent + ttl;
    const c = await this.pool.connect();
    let broken: Error | undefined;
    try {
      await c.query(
        `INSERT INTO nodes (id, host, pid, heartbeat_at, expires_at) VALUES ($1, $2, $3, clock_timestamp(), clock_timestamp() + $4 * interval '1 millisecond')
         ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at`,
        [this.nodeId, hostname(), process.pid, ttl],
      );
      // Renew only unexpired leases: an expired one may already belong to another node.
      const renewed = await c.query<{ destination_id: string; lane: number }>(
        `UPDATE leases SET expires_at = clock_timestamp() + $2 * interval '1 millisecond'
         WHERE node_id = $1 AND expires_at > clock_timestamp() RETURNING destination_id, lane`,
        [this.nodeId, ttl],
      );
      // Swapped in whole: owns() never sees a half-built map while this tick waits on the database.
      this.held = new Map(renewed.rows.map((r) => [key(r.destination_id, r.lane), until]));
      const { rows: live } = await c.query<{ id: string }>('SELECT id FROM nodes WHERE expires_at > clock_timestamp() ORDER BY id');
      this.live = live.map((r) => r.id);
      if (!this.live.includes(this.nodeId)) this.live.push(this.nodeId);

      const desired = new Set<string>();
      for (const d of this.opts.destinations) for (let l = 0; l < LANES; l++) if (ownerOf(this.live, d, l) === this.nodeId) desired.add(key(d, l));
      this.desired = desired;

      // Give back what another node should own, once no request of that lane is in flight here.
      const giveBack = [...this.held.keys()].filter((k) => !desired.has(k) && !this.opts.busy(...split(k)));
      if (giveBack.length) {
        await c.query(
          `UPDATE leases SET node_id = NULL, expires_at = clock_timestamp()
           FROM unnest($2::text[], $3::int[]) AS x(d, l) WHERE destination_id = x.d AND lane = x.l AND node_id = $1`,
          [this.nodeId, giveBack.map((k) => split(k)[0]), giveBack.map((k) => split(k)[1])],
        );
        for (const k of giveBack) this.held.delete(k);
      }
      // Take what this node should own and nobody holds (free, or expired: its owner died or stalled).
      const want = [...desired].filter((k) => !this.held.has(k)).sort();
      if (want.length) {
        // A lease row locked by a stalled settle of its old owner must not hold this tick (and so this node's
        // heartbeat) up: give up after a third of the lease timeout and try again at the next tick.
        await c.query('BEGIN');
        await c.query(`SET LOCAL lock_timeout = ${Math.max(100, Math.floor(ttl / 3))}`);
        const { rows } = await c.query<{ destination_id: string; lane: number }>(
          `INSERT INTO leases (destination_id, lane, node_id, token, expires_at)
           SELECT x.d, x.l, $1, 1, clock_timestamp() + $4 * interval '1 millisecond' FROM unnest($2::text[], $3::int[]) AS x(d, l)
           ON CONFLICT (destination_id, lane) DO UPDATE SET node_id = excluded.node_id, token = leases.token + 1, expires_at = excluded.expires_at
           WHERE leases.node_id IS NULL OR leases.expires_at <= clock_timestamp()
           RETURNING destination_id, lane`,
          [this.nodeId, want.map((k) => split(k)[0]), want.map((k) => split(k)[1]), ttl],
        );
        await c.query('COMMIT');
        for (const r of rows) this.held.set(key(r.destination_id, r.lane), until);
        if (rows.length) this.opts.log.info({ node: this.nodeId, taken: rows.length, nodes: this.live.length }, 'cluster: lanes taken');
      }
    } catch (err) {
      broken = err as Error;
      throw err;
    } finally {
      c.release(broken);
    }
  }

  /** Leaves the cluster: every lease is given back at once and the node row removed. Call after the workers stopped. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.ticking;
    this.held = new Map();
    try {
      await this.pool.query(`UPDATE leases SET node_id = NULL, expires_at = clock_timestamp() WHERE node_id = $1`, [this.nodeId]);
      await this.pool.query('DELETE FROM nodes WHERE id = $1', [this.nodeId]);
    } catch (err) {
      // The database is out of reach: the leases expire by themselves after the lease timeout.
      this.opts.log.warn({ err: (err as Error).message }, 'cluster: could not give leases back');
    }
  }
}

function split(k: string): [string, number] {
  const i = k.indexOf('\u0000');
  return [k.slice(0, i), Number(k.slice(i + 1))];
}
