// Append, claim and settle on PostgreSQL. The rules are the SQLite store's (src/store/sqlite/jobs.ts); what
// differs is that several nodes share the tables:
// - dedupe: the (source_id, message_id) primary key decides, whichever node inserts first;
// - fencing: when a node runs in a cluster, it claims only lanes whose lease it holds, and the claim writes
//   that lease's token on each job row (claim_token). A settle changes a row only while this node holds the
//   lane's lease with that very token: the comparison is in the settle's SQL, so it holds whatever the node
//   remembers (a claim forgotten, a settle retried after the lease was lost and taken again). The lease rows
//   are locked FOR SHARE until the settle commits, so a takeover waits for it.
import type pg from 'pg';
import type { Job } from '../../core/job.js';
import { laneOf } from '../lanes.js';
import type { AppendResult, Settlement, StoredMessage } from '../types.js';
import { errorText, type JobRow as StoredJob } from '../rows.js';
import type { CounterDeltas, SourceDelta } from './counters.js';
import { routesOf } from '../user-messages.js';
import { routeFiltered } from './users.js';
import { int4Array, int8Array, textArray } from './arrays.js';
import { CopyWriter, copyInEncoded } from './copy.js';
import { spansOf } from '../../message/payload-spans.js';

/** SQLSTATE of a duplicate key (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
const UNIQUE_VIOLATION = '23505';

/** Lanes read per query: a few at a time, so a claim reads few more job rows than it takes. */
const LANES_PER_QUERY = 8;

export interface AppendBatch {
  sourceId: string;
  /** Emptied by Jobs.append once its rows are encoded (the caller's list itself is left as it is). */
  msgs: StoredMessage[];
  /** Messages of the request refused at ingest: counted with the append, in its transaction. */
  rejected: number;
}

/** Which node this store delivers for; unset: a single node, no leases checked. */
export interface Fence {
  nodeId: string;
  /** The cluster's lease timeout: a transaction this node leaves open longer than half of it is ended by the server. */
  leaseTimeoutMs?: number;
}

interface JobRow extends StoredJob {
  lane: number;
}

type Finish = Extract<Settlement, { status: 'done' | 'filtered' | 'dead' }>;
type Again = Extract<Settlement, { status: 'release' | 'retry_at' }>;

/** Dead letters keep the records that were (or would have been) sent and the mapping's warnings. */
async function addDeadLetters(c: pg.ClientBase, dead: [JobRow, Extract<Settlement, { status: 'dead' }>][], now: number): Promise<void> {
  dead.sort((a, b) => a[0].id - b[0].id);
  const col = <T>(f: (d: (typeof dead)[number]) => T) => dead.map(f);
  await c.query(
    `INSERT INTO dead_letters (job_id, msg_id, source_id, destination_id, user_key, code, reason, attempts, received_at, records, warnings, failed_at)
     SELECT *, $12::bigint FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::bigint[],
       $10::text[], $11::text[])`,
    [col((d) => d[0].id), col((d) => d[0].msg_id), col((d) => d[0].source_id), col((d) => d[0].destination_id), col((d) => d[0].user_key),
      col((d) => d[1].code), col((d) => d[1].reason), col((d) => d[0].attempts + 1), col((d) => d[0].received_at),
      col((d) => (d[1].records?.length ? JSON.stringify(d[1].records) : null)), col((d) => (d[1].warnings?.length ? JSON.stringify(d[1].warnings) : null)), now],
  );
}

/** Upserts each connection's last failed attempt (rows in key order: no deadlocks between nodes). */
async function recordLastErrors(c: pg.ClientBase, rows: [string, string, string | null, string][], now: number): Promise<void> {
  if (rows.length === 0) return;
  await c.query(
    `INSERT INTO last_errors (source_id, destination_id, code, reason, at) SELECT *, $5::bigint FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
     ON CONFLICT (source_id, destination_id) DO UPDATE SET code = excluded.code, reason = excluded.reason, at = excluded.at`,
    [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2]), rows.map((r) => r[3]), now],
  );
}

/** Runs fn once the previous commit of this node has passed the same step (src/store/postgres/commit.ts). */
export type InOrder = <X>(step: number, fn: () => Promise<X>) => Promise<X>;

export interface AppendDone {
  results: AppendResult[];
  /** Jobs stored. */
  jobs: number;
  /** Per source: accepted, duplicates, rejected. */
  sources: SourceDelta[];
}

/**
 * Step 0 of an append: inserts the commit's dedupe keys (first occurrence of each, in key order: one lock
 * order for every node, no deadlocks), keeps those not stored before (the primary key decides, whichever node
 * inserts first) and takes the message and job ids they need. It runs in arrival order among this node's
 * commits (a key stored by the commit before makes this one wait for it, never the reverse), and ids are
 * handed out in arrival order: a user's later message gets larger ids.
 *
 * Ids come in blocks (migration 9): the sequences step by a block's size, so one nextval reserves that many
 * consecutive ids, and a commit takes ceil(n / size) blocks instead of calling nextval once per row (a
 * function call, a sequence page lock and change each, measured at about a third of this statement's server
 * CPU). Blocks are handed out in call order across nodes like single values were: a commit that starts after
 * another one's step 0 (on any node) gets larger ids. $5 and $6 are the block sizes of messages and jobs.
 */
const DEDUPE_SQL = `
WITH m AS (
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::int[]) WITH ORDINALITY AS m(source_id, message_id, at, jobs, ord)
), d AS (
  INSERT INTO dedupe (source_id, message_id, at) SELECT source_id, message_id, at FROM m ORDER BY source_id, message_id
  ON CONFLICT DO NOTHING RETURNING source_id, message_id
), k AS (
  SELECT m.ord, m.jobs FROM m JOIN d USING (source_id, message_id)
), n AS (
  SELECT count(*)::int AS msgs, coalesce(sum(jobs), 0)::int AS jobs FROM k
)
SELECT ARRAY(SELECT ord FROM k) AS kept,
       ARRAY(SELECT nextval('messages_id_seq') FROM n, generate_series(1, (n.msgs + $5 - 1) / $5)) AS m,
       ARRAY(SELECT nextval('jobs_id_seq') FROM n, generate_series(1, (n.jobs + $6 - 1) / $6)) AS j`;

/**
 * DEDUPE_SQL for a commit none of whose keys is expected to be stored already: a plain INSERT, which fails
 * (unique_violation) if one is. ON CONFLICT costs a speculative insertion per row: a uniqueness check before
 * the heap insert and a confirmation after it, measured at twice the buffer accesses and 1.5 times the WAL
 * records of the plain INSERT for 300 keys (https://www.postgresql.org/docs/current/sql-insert.html#SQL-ON-CONFLICT).
 * Every message is kept; $4 and $5 are the numbers of message and job id blocks to take.
 */
const FRESH_SQL = `
WITH d AS (
  INSERT INTO dedupe (source_id, message_id, at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[]) AS m(source_id, message_id, at) ORDER BY source_id, message_id
)
SELECT ARRAY(SELECT nextval('messages_id_seq') FROM generate_series(1, $4::int)) AS m,
       ARRAY(SELECT nextval('jobs_id_seq') FROM generate_series(1, $5::int)) AS j`;

/** Ids per block of each sequence (its increment, read at open; 1 takes one nextval per id, as a plain sequence). */
export interface IdBlocks {
  messages: number;
  jobs: number;
}

/** `n` ids from the starts of blocks of `size` consecutive ids, in the order the blocks were taken. */
export function idsFromBlocks(starts: readonly number[], size: number, n: number): number[] {
  const sorted = [...starts].sort((a, b) => a - b);
  if (sorted.length * size < n) throw new Error(`id blocks: ${sorted.length} of ${size} for ${n} ids`);
  const ids = new Array<number>(n);
  for (let i = 0; i < n; i++) ids[i] = sorted[Math.floor(i / size)] + (i % size);
  return ids;
}

/** After a commit met a stored key, this many commits use DEDUPE_SQL before FRESH_SQL is tried again. */
const CAREFUL_COMMITS = 64;

/**
 * The kept messages and their jobs, by COPY (copy.ts): both tables in one query message. Against one
 * INSERT ... SELECT FROM unnest(...) of the same rows, HTTP ingest measured 8.4 WAL records, 1,645 WAL bytes
 * and 18.9 buffer accesses per event instead of 10.4, 1,738 and 21.2 (pg_stat_statements, 25,000 events).
 */
const COPY_SQL = [
  'COPY messages (id, source_id, message_id, received_at, payload, user_key, anon_key, routes) FROM STDIN (FORMAT binary)',
  'COPY jobs (id, msg_id, source_id, destination_id, user_key, received_at, lane) FROM STDIN (FORMAT binary)',
];

/**
 * The messages of one commit that are the first of their (source, messageId) in it, as columns: the message, its
 * source and where it is in its append (batch index, index in that append's msgs).
 */
interface Firsts {
  msgs: StoredMessage[];
  sources: string[];
  batch: number[];
  index: number[];
  /** Per append, the indexes of its messages seen earlier in this commit (ascending). */
  repeated: number[][];
}

/** First occurrence of a (source, messageId) in the commit wins; the primary key decides against other commits. */
function firstsOf(batch: readonly AppendBatch[]): Firsts {
  const f: Firsts = { msgs: [], sources: [], batch: [], index: [], repeated: [] };
  // Message ids per source (a commit mostly has one): no key string built per message.
  const seen = new Map<string, Set<string>>();
  for (let bi = 0; bi < batch.length; bi++) {
    const { sourceId, msgs } = batch[bi];
    let ids = seen.get(sourceId);
    if (!ids) seen.set(sourceId, (ids = new Set()));
    const repeated: number[] = [];
    for (let mi = 0; mi < msgs.length; mi++) {
      const before = ids.size;
      if (ids.add(msgs[mi].messageId).size === before) {
        repeated.push(mi);
        continue;
      }
      f.msgs.push(msgs[mi]);
      f.sources.push(sourceId);
      f.batch.push(bi);
      f.index.push(mi);
    }
    f.repeated.push(repeated);
  }
  return f;
}

/** What an append sends by COPY (its messages' and jobs' rows, COPY_SQL order) and what it answers. */
interface Encoded {
  data: Buffer[] | null;
  done: AppendDone;
}

/** No messages: what an append's batch holds once its rows are encoded (see Jobs.append). */
const NONE: StoredMessage[] = [];

/**
 * The routes column of a message (user-messages.ts routesOf), the last one remembered: consecutive messages
 * mostly go to the same destinations (ingest hands them one list) and none is filtered.
 */
function routesMemo(): (m: StoredMessage) => string {
  let dests: string[] | undefined;
  let routes = '';
  return (m) => {
    if (m.filtered) return routesOf(m);
    if (m.destinations !== dests) routes = routesOf(m);
    dests = m.destinations;
    return routes;
  };
}

/** The leases this node holds on a destination's lanes, as arrays for unnest() in the settle's SQL. */
interface Held {
  lanes: number[];
  tokens: number[];
}

export class Jobs {
  /** Commits left that use DEDUPE_SQL directly (a duplicate was met lately: FRESH_SQL would likely fail again). */
  private careful = 0;

  constructor(
    private readonly fence?: Fence,
    /** Set at open from the sequences (migration 9). */
    public blocks: IdBlocks = { messages: 1, jobs: 1 },
  ) {}

  /**
   * Opens the caller's transaction and stores every append of one group commit in it, except the source counters,
   * returned for the caller to write last (their row is hot: every commit of every node updates it, and a
   * row lock is held until the commit). Dedupe and ids run in `inOrder` step 0 (DEDUPE_SQL), so that ids
   * follow arrival order when several commits of this node are in flight; the messages and jobs (COPY_SQL)
   * are written beside the other commits' (the server uses both cores).
   */
  async append(c: pg.ClientBase, batch: AppendBatch[], deltas: CounterDeltas, inOrder: InOrder = (_step, fn) => fn()): Promise<AppendDone> {
    // Awaited in its own call: nothing of the messages stays reachable from here while the rows travel.
    const { data, done } = await this.prepare(c, batch, deltas, inOrder);
    if (data) await copyInEncoded(c, COPY_SQL, data);
    return done;
  }

  /** append() up to its COPY: the transaction, dedupe and ids (step 0), then the rows encoded. */
  private async prepare(c: pg.ClientBase, batch: AppendBatch[], deltas: CounterDeltas, inOrder: InOrder): Promise<Encoded> {
    const f = firstsOf(batch);
    const msgs = f.msgs;
    // Values travel as binary array parameters (arrays.ts). Both statements are planned at every call, knowing
    // their arrays: the generic plan of a named prepared statement (used from its sixth call) cost the server
    // up to six times the CPU in a measurement of 400-message commits.
    await c.query('BEGIN'); // needs no order: it travels while the commit before this one runs its step 0
    if (msgs.length === 0) return this.encode(batch, f, [], null, deltas);
    let jobCount = 0;
    for (const m of msgs) jobCount += m.destinations.length;
    const { messages: mb, jobs: jb } = this.blocks;
    const ids = await inOrder(0, async () => {
      const keys = [textArray(f.sources), textArray(msgs.map((m) => m.messageId)), int8Array(msgs.map((m) => m.receivedAt))];
      type Ids = { kept?: number[]; m: number[]; j: number[] };
      let r: Ids | undefined;
      if (this.careful > 0) this.careful--;
      else {
        try {
          r = (await c.query<Ids>(FRESH_SQL, [...keys, Math.ceil(msgs.length / mb), Math.ceil(jobCount / jb)])).rows[0];
        } catch (err) {
          if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
          // A key was stored before (by this node or another): nothing of this transaction is written yet, so
          // it starts again with the statement that keeps the new keys only. Still inside step 0: order holds.
          this.careful = CAREFUL_COMMITS;
          await c.query('ROLLBACK');
          await c.query('BEGIN');
        }
      }
      r ??= (await c.query<Ids>(DEDUPE_SQL, [...keys, int4Array(msgs.map((m) => m.destinations.length)), mb, jb])).rows[0];
      return r;
    });
    // Positions (into msgs) of the messages to store, ascending; all of them after FRESH_SQL.
    const kept = ids.kept ? ids.kept.map((ord) => ord - 1).sort((x, y) => x - y) : null;
    return this.encode(batch, f, kept, ids, deltas);
  }

  /**
   * The rows of the kept messages (all, when `kept` is null) and their jobs, framed for COPY, and the append's
   * results and counter deltas. Then each append lets its messages go: they are not needed any more, and the
   * commit can take a while yet (its COPY, the commits before it, the WAL flush), during which they (and the
   * request text the payloads are cut from) would be copied by every young-generation collection and promoted.
   */
  private encode(batch: AppendBatch[], f: Firsts, kept: number[] | null, ids: { m: number[]; j: number[] } | null, deltas: CounterDeltas): Encoded {
    const n = kept ? kept.length : f.msgs.length;
    // Messages found stored before: those of f not kept.
    const before: boolean[] = [];
    if (kept) {
      before.length = f.msgs.length;
      before.fill(true);
      for (const k of kept) before[k] = false;
    }
    let data: Buffer[] | null = null;
    if (n > 0 && ids) {
      const { messages: mb, jobs: jb } = this.blocks;
      const msgIds = idsFromBlocks(ids.m, mb, n);
      const spans = batch.map((b) => spansOf(b.msgs));
      const routes = routesMemo();
      const m = new CopyWriter();
      let jobCount = 0;
      for (let i = 0; i < n; i++) {
        const k = kept ? kept[i] : i;
        const msg = f.msgs[k];
        jobCount += msg.destinations.length;
        m.row(8);
        m.int8(msgIds[i]);
        m.text(f.sources[k]);
        m.text(msg.messageId);
        m.int8(msg.receivedAt);
        const s = spans[f.batch[k]];
        const at = f.index[k];
        // A payload stored as written is a slice of the request text and a stamp (message/payload-spans.ts).
        if (s && s.start[at] >= 0) m.text2(s.text.slice(s.start[at], s.end[at]), s.rest[at]);
        else m.text(msg.payload);
        m.text(msg.userKey);
        m.text(msg.anonymousId);
        m.text(routes(msg));
      }
      const messages = m.end();
      const jobIds = idsFromBlocks(ids.j, jb, jobCount);
      const j = new CopyWriter();
      let next = 0;
      for (let i = 0; i < n; i++) {
        const k = kept ? kept[i] : i;
        const msg = f.msgs[k];
        const lane = laneOf(msg.userKey);
        for (const d of msg.destinations) {
          j.row(7);
          j.int8(jobIds[next++]);
          j.int8(msgIds[i]);
          j.text(f.sources[k]);
          j.text(d);
          j.text(msg.userKey);
          j.int8(msg.receivedAt);
          j.int4(lane);
        }
      }
      data = [messages, j.end()];
    }
    const done = this.appended(batch, f, before, deltas);
    for (const b of batch) b.msgs = NONE;
    return { data, done };
  }

  /** Results, job count and counter deltas of an append, given which of its first occurrences were stored before. */
  private appended(batch: AppendBatch[], f: Firsts, before: readonly boolean[], deltas: CounterDeltas): AppendDone {
    const results: AppendResult[] = [];
    const sources = new Map<string, [number, number, number]>();
    let jobs = 0;
    let k = 0; // walks f, whose entries come in batch order
    for (let bi = 0; bi < batch.length; bi++) {
      const b = batch[bi];
      const repeated = f.repeated[bi];
      let duplicates = repeated;
      // Received jobs per destination, counted over runs of messages sharing one destination list (ingest hands
      // consecutive messages the same list): one counter update per run instead of per message.
      let dests: string[] | null = null;
      let run = 0;
      const flush = () => {
        if (dests && run) for (const d of dests) deltas.bump(b.sourceId, d, 'received', run);
      };
      for (; k < f.msgs.length && f.batch[k] === bi; k++) {
        if (before[k]) {
          if (duplicates === repeated) duplicates = [...repeated];
          duplicates.push(f.index[k]);
          continue;
        }
        const m = f.msgs[k];
        jobs += m.destinations.length;
        if (m.destinations !== dests) {
          flush();
          dests = m.destinations;
          run = 0;
        }
        run++;
        for (const x of m.filtered ?? []) {
          deltas.bump(b.sourceId, x.destination, 'received');
          deltas.filtered(b.sourceId, x.destination, x.reason);
        }
      }
      flush();
      if (duplicates !== repeated) duplicates.sort((x, y) => x - y);
      const n = b.msgs.length;
      results.push({ accepted: n - duplicates.length, duplicates });
      const s = sources.get(b.sourceId) ?? [0, 0, 0];
      s[0] += n - duplicates.length;
      s[1] += duplicates.length;
      s[2] += b.rejected;
      sources.set(b.sourceId, s);
    }
    return { results, jobs, sources: [...sources].map(([id, [acc, dup, rej]]): SourceDelta => [id, acc, dup, rej]) };
  }

  /** A new job for a message already stored (replay of a dead letter), inside the caller's transaction. */
  async requeue(c: pg.ClientBase, msgId: number, sourceId: string, destinationId: string, userKey: string, receivedAt: number): Promise<void> {
    await c.query('INSERT INTO jobs (msg_id, source_id, destination_id, user_key, received_at, lane) VALUES ($1, $2, $3, $4, $5, $6)', [
      msgId, sourceId, destinationId, userKey, receivedAt, laneOf(userKey),
    ]);
  }

  async claim(pool: pg.Pool, destinationId: string, lanes: readonly number[], max: number, now: number, maxBytes: number): Promise<Job[]> {
    if (this.fence) {
      const { rows } = await pool.query<{ lane: number }>(
        'SELECT lane FROM leases WHERE destination_id = $1 AND node_id = $2 AND expires_at > clock_timestamp() AND lane = ANY($3::int[])',
        [destinationId, this.fence.nodeId, lanes],
      );
      const held = new Set(rows.map((r) => r.lane));
      lanes = lanes.filter((l) => held.has(l));
    }
    if (lanes.length === 0 || max <= 0) return [];
    // Users whose earliest job waits for a retry hold back their later jobs (and only theirs).
    const { rows: waiting } = await pool.query<{ user_key: string }>(
      'SELECT DISTINCT user_key FROM jobs WHERE destination_id = $1 AND next_at > 0 AND next_at > $2',
      [destinationId, now],
    );
    const blocked = waiting.map((r) => r.user_key);
    let picked: JobRow[] = [];
    for (let i = 0; i < lanes.length && picked.length < max; i += LANES_PER_QUERY) {
      const chunk = lanes.slice(i, i + LANES_PER_QUERY);
      // Per lane the oldest jobs (job rows only, no payloads), then in the order of the lanes asked for.
      const { rows } = await pool.query<JobRow & { ord: number }>(
        `SELECT x.*, l.ord FROM unnest($2::int[]) WITH ORDINALITY AS l(lane, ord)
         CROSS JOIN LATERAL (
           SELECT j.id, j.msg_id, j.source_id, j.destination_id, j.user_key, j.attempts, j.received_at, j.lane FROM jobs j
           WHERE j.destination_id = $1 AND j.lane = l.lane AND NOT (j.user_key = ANY($3::text[]))
           ORDER BY j.id LIMIT $4) x`,
        [destinationId, chunk, blocked, max - picked.length],
      );
      rows.sort((a, b) => a.ord - b.ord || a.id - b.id);
      for (const r of rows) {
        if (picked.length >= max) break;
        picked.push(r);
      }
    }
    if (this.fence && picked.length) {
      // Each row takes the token of the lease it is claimed under; a row whose lease was lost meanwhile (or that
      // another node settled) is not taken. The rows come as (id, lane) pairs, each found by its primary key:
      // joined on `id = ANY(...)` instead, the planner scanned the whole id list once per lease row (64 index
      // searches per job, 4,300 buffer hits for a 60-job claim).
      const { rows } = await pool.query<{ id: number }>(
        `UPDATE jobs j SET claim_token = l.token FROM unnest($1::bigint[], $4::int[]) AS p(id, lane)
         JOIN leases l ON l.destination_id = $2 AND l.lane = p.lane
         WHERE j.id = p.id AND j.lane = p.lane AND l.node_id = $3 AND l.expires_at > clock_timestamp()
         RETURNING j.id`,
        [picked.map((r) => r.id), destinationId, this.fence.nodeId, picked.map((r) => r.lane)],
      );
      const stamped = new Set(rows.map((r) => r.id));
      picked = picked.filter((r) => stamped.has(r.id));
    }
    if (picked.length === 0) return [];
    const { rows: payloads } = await pool.query<{ id: number; payload: string }>('SELECT id, payload FROM messages WHERE id = ANY($1::bigint[])', [
      [...new Set(picked.map((r) => r.msg_id))],
    ]);
    const payloadOf = new Map(payloads.map((p) => [p.id, p.payload]));
    const jobs: Job[] = [];
    let bytes = 0;
    for (const r of picked) {
      const payload = payloadOf.get(r.msg_id);
      if (payload === undefined) continue;
      // The byte budget bounds memory in flight; a batch always takes at least one job.
      if (jobs.length > 0 && bytes + payload.length > maxBytes) break;
      bytes += payload.length;
      jobs.push({ id: r.id, sourceId: r.source_id, destinationId, userKey: r.user_key, attempts: r.attempts, receivedAt: r.received_at, message: JSON.parse(payload) });
    }
    return jobs;
  }

  /** Nothing to forget: what a claim needs at settle time is on the job row (claim_token). */
  forget(_jobId: number): void {}

  /**
   * Settles jobs inside the caller's transaction; returns how many left the jobs table and, when fenced, how
   * many settlements changed nothing (the lane's lease was lost, or the job was claimed again since).
   */
  async settle(c: pg.ClientBase, destinationId: string, settlements: Settlement[], now: number, deltas: CounterDeltas): Promise<{ finished: number; refused: number }> {
    const held = this.fence ? await this.held(c, destinationId) : undefined;
    if (held && held.lanes.length === 0) return { finished: 0, refused: settlements.length };
    let changed = 0;
    // Fenced: a row changes only if its lane's lease is held now with the token the row was claimed under.
    const fenced = (n: number, alias = '') =>
      held
        ? `${alias}id IN (SELECT f.id FROM jobs f JOIN unnest($${n}::int[], $${n + 1}::bigint[]) AS h(lane, token) ON f.lane = h.lane AND f.claim_token = h.token
           WHERE f.id = ANY($1::bigint[]))`
        : 'true';
    const fenceArgs = held ? [held.lanes, held.tokens] : [];
    const finish = settlements.filter((o): o is Finish => o.status === 'done' || o.status === 'filtered' || o.status === 'dead');
    let finished = 0;
    if (finish.length) {
      const { rows } = await c.query<JobRow>(
        `DELETE FROM jobs WHERE id = ANY($1::bigint[]) AND ${fenced(2)}
         RETURNING id, msg_id, source_id, destination_id, user_key, attempts, received_at, lane`,
        [finish.map((o) => o.jobId), ...fenceArgs],
      );
      // Counters move only for rows really deleted: a job is never counted twice.
      const byId = new Map(finish.map((o) => [o.jobId, o]));
      const dead: [JobRow, Extract<Settlement, { status: 'dead' }>][] = [];
      const filtered: { msgId: number; rule: string }[] = [];
      for (const r of rows) {
        const o = byId.get(r.id)!;
        if (o.status === 'filtered') {
          deltas.filtered(r.source_id, r.destination_id, o.rule ?? 'destination');
          filtered.push({ msgId: r.msg_id, rule: o.rule ?? 'destination' });
        } else {
          deltas.bump(r.source_id, r.destination_id, o.status === 'done' ? 'delivered' : 'dead');
          if (o.warnings?.length) deltas.warned(r.source_id, r.destination_id, o.warnings);
          if (o.status === 'dead') dead.push([r, o]);
        }
      }
      finished = rows.length;
      changed += rows.length;
      if (dead.length) await addDeadLetters(c, dead, now);
      await routeFiltered(c, destinationId, filtered);
    }
    const again = settlements.filter((o): o is Again => o.status === 'release' || o.status === 'retry_at');
    if (again.length) {
      // release keeps the job's last error unless it brings one; retry_at always sets it.
      const text = again.map((o) => (o.reason === undefined ? null : errorText(o.status === 'retry_at' ? (o.code ?? 'retry') : o.code, o.reason)));
      const { rows } = await c.query<{ id: number; source_id: string; destination_id: string }>(
        `UPDATE jobs j SET attempts = j.attempts + 1, next_at = coalesce(s.next_at, j.next_at), last_error = coalesce(s.err, j.last_error)
         FROM unnest($1::bigint[], $2::bigint[], $3::text[]) AS s(id, next_at, err)
         WHERE j.id = s.id AND ${fenced(4, 'j.')}
         RETURNING j.id, j.source_id, j.destination_id`,
        [again.map((o) => o.jobId), again.map((o) => (o.status === 'retry_at' ? o.nextAt : null)), text, ...fenceArgs],
      );
      changed += rows.length;
      const connection = new Map(rows.map((r) => [r.id, r]));
      // The last error of each connection in this settle (the last one given wins).
      const latest = new Map<string, [string, string, string | null, string]>();
      for (const o of again) {
        const r = connection.get(o.jobId);
        if (r && o.reason !== undefined) latest.set(`${r.source_id}\u0000${r.destination_id}`, [r.source_id, r.destination_id, o.code ?? null, o.reason]);
      }
      await recordLastErrors(c, [...latest.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)).map((e) => e[1]), now);
    }
    return { finished, refused: held ? settlements.length - changed : 0 };
  }

  /** The leases this node holds on the destination's lanes, locked FOR SHARE until the settle commits. */
  private async held(c: pg.ClientBase, destinationId: string): Promise<Held> {
    const { rows } = await c.query<{ lane: number; token: number }>(
      'SELECT lane, token FROM leases WHERE destination_id = $1 AND node_id = $2 AND expires_at > clock_timestamp() ORDER BY lane FOR SHARE',
      [destinationId, this.fence!.nodeId],
    );
    return { lanes: rows.map((r) => r.lane), tokens: rows.map((r) => r.token) };
  }
}
