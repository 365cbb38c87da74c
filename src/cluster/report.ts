// What the cluster looks like, as stored in PostgreSQL: the nodes (last heartbeat, alive or not) and who holds
// each (destination, lane) lease with which fencing token. Shared by `GET /admin/status`, /metrics,
// `taproute status` and `taproute cluster`; on SQLite the section only says that there is one node.
import type pg from 'pg';

export interface ClusterNode {
  /** The node's name (host-pid-random), as in its log lines and /healthz. */
  name: string;
  host: string;
  pid: number;
  startedAt: string;
  lastHeartbeat: string;
  /** Until when its row counts as alive without another heartbeat. */
  expiresAt: string;
  alive: boolean;
  /** Leases it holds (unexpired), per destination. */
  lanes: Record<string, number>;
}

export interface ClusterLease {
  destinationId: string;
  lane: number;
  /** The node holding the lease, or null when it is free or expired. */
  node: string | null;
  /** The fencing token: it grows at every change of owner. */
  token: number;
  expiresAt: string;
}

export type ClusterSection =
  | { mode: 'single'; store: 'sqlite'; note: string }
  | {
      mode: 'cluster';
      store: 'postgres';
      /** The node answering (admin API, /metrics); absent when the CLI reads the database. */
      self?: string;
      /** Settlements the answering node made that fencing refused (its lease was lost or the job claimed again since). */
      settlesRefused?: number;
      alive: number;
      nodes: ClusterNode[];
      leases: ClusterLease[];
    };

/** Reads the cluster section: nodes and leases on PostgreSQL; absent, the store is SQLite (a single node). */
export type ClusterSource = () => Promise<ClusterSection>;

export const SINGLE_NODE: ClusterSection = { mode: 'single', store: 'sqlite', note: 'single node: the SQLite store has one owner process' };

const iso = (t: Date | string) => new Date(t).toISOString();

/** Reads nodes and leases (self: the asking node's name, when a node asks). */
export async function clusterSection(pool: pg.Pool, self?: string): Promise<ClusterSection> {
  const [{ rows: nodes }, { rows: leases }] = await Promise.all([
    pool.query(`SELECT id, host, pid, started_at, heartbeat_at, expires_at, expires_at > clock_timestamp() AS live FROM nodes ORDER BY id`),
    pool.query(
      `SELECT destination_id, lane, CASE WHEN expires_at > clock_timestamp() THEN node_id END AS node_id, token, expires_at
       FROM leases ORDER BY destination_id, lane`,
    ),
  ]);
  const lanes = new Map<string, Record<string, number>>();
  for (const l of leases) {
    if (!l.node_id) continue;
    const per = lanes.get(l.node_id) ?? {};
    per[l.destination_id] = (per[l.destination_id] ?? 0) + 1;
    lanes.set(l.node_id, per);
  }
  const list: ClusterNode[] = nodes.map((r) => ({
    name: r.id,
    host: r.host,
    pid: r.pid,
    startedAt: iso(r.started_at),
    lastHeartbeat: iso(r.heartbeat_at),
    expiresAt: iso(r.expires_at),
    alive: r.live,
    lanes: lanes.get(r.id) ?? {},
  }));
  return {
    mode: 'cluster',
    store: 'postgres',
    ...(self && { self }),
    alive: list.filter((n) => n.alive).length,
    nodes: list,
    leases: leases.map((r) => ({ destinationId: r.destination_id, lane: r.lane, node: r.node_id, token: r.token, expiresAt: iso(r.expires_at) })),
  };
}
