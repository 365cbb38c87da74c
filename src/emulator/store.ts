// Per-account state: stored events/tokens (capped), merged profiles, counters.
import { isIdValue, isPlainObject, isValidObjectId, SUBSCRIPTION_KEYS } from './validate.js';
import type { EmulatorProfile, EmulatorStats, StoredToken } from './types.js';

/** Append-only list keeping the newest `cap` items; amortised O(1) drop of the oldest. */
export class Ring<T> {
  private items: T[] = [];
  private head = 0;
  constructor(private readonly cap: number) {}

  push(x: T): void {
    if (this.cap <= 0) return;
    this.items.push(x);
    if (this.items.length - this.head > this.cap) {
      this.head++;
      if (this.head >= 1024 && this.head * 2 >= this.items.length) {
        this.items = this.items.slice(this.head);
        this.head = 0;
      }
    }
  }

  get size(): number {
    return this.items.length - this.head;
  }

  slice(offset = 0, limit = Infinity): T[] {
    const start = this.head + Math.max(0, offset);
    const end = limit === Infinity ? this.items.length : Math.min(this.items.length, start + Math.max(0, limit));
    return this.items.slice(start, end);
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

export function emptyStats(): EmulatorStats {
  return {
    requests: 0,
    uploads: 0,
    eventsAccepted: 0,
    profilesAccepted: 0,
    tokensAccepted: 0,
    rejected: 0,
    rejectedByCode: {},
    dryRunRequests: 0,
    status400: 0,
    status401: 0,
    status429: 0,
    faulted: 0,
    inFlight: 0,
    peakInFlight: 0,
    profilesDeleted: 0,
    demerges: 0,
    eventsStored: 0,
    profilesStored: 0,
    tokensStored: 0,
  };
}

const ID_IDENTITY = 0;
const ID_OBJECT = 1;
const ID_OTHER = 2; // FBID / GPID

type Rec = Record<string, unknown>;

export class AccountStore {
  stats: EmulatorStats = emptyStats();
  readonly events: Ring<Rec>;
  readonly tokens: Ring<Rec>;
  /** Insertion-ordered; the first entry is the oldest (evicted past `retain`). */
  readonly profiles = new Set<EmulatorProfile>();
  /** Every id (identity, objectId, FBID, GPID share one namespace) → its profile. */
  readonly index = new Map<string, EmulatorProfile>();
  // Scratch arrays reused per record to avoid allocations on the hot path.
  private ids: string[] = [];
  private kinds: number[] = [];

  constructor(readonly id: string, private readonly retain: number) {
    this.events = new Ring(retain);
    this.tokens = new Ring(retain);
  }

  reset(): void {
    const inFlight = this.stats.inFlight;
    this.stats = emptyStats();
    this.stats.inFlight = inFlight;
    this.events.clear();
    this.tokens.clear();
    this.profiles.clear();
    this.index.clear();
  }

  snapshot(): EmulatorStats {
    return {
      ...this.stats,
      rejectedByCode: { ...this.stats.rejectedByCode },
      eventsStored: this.events.size,
      profilesStored: this.profiles.size,
      tokensStored: this.tokens.size,
    };
  }

  // ---- uploads (records are already validated) ----

  addEvent(rec: Rec, now: number): void {
    normaliseIds(rec);
    if (rec.ts === undefined) rec.ts = Math.floor(now / 1000);
    rec.receivedAt = now;
    this.collectRootIds(rec);
    const p = this.resolve(now);
    p.events++;
    this.events.push(rec);
    this.stats.eventsAccepted++;
  }

  addProfile(rec: Rec, now: number): void {
    normaliseIds(rec);
    this.collectRootIds(rec);
    const pd = rec.profileData as Rec;
    // profileData.identity links the root id (e.g. an anonymous objectId) with the user's identity.
    for (const key of ['identity', 'Identity']) {
      const v = pd[key];
      if (isIdValue(v)) {
        this.ids.push(String(v));
        this.kinds.push(ID_IDENTITY);
      }
    }
    const p = this.resolve(now);
    applyProfileData(p.profileData, pd);
    this.stats.profilesAccepted++;
  }

  addToken(rec: Rec, now: number): void {
    rec.receivedAt = now;
    this.ids.length = 0;
    this.kinds.length = 0;
    this.ids.push(rec.objectId as string);
    this.kinds.push(ID_OBJECT);
    const p = this.resolve(now);
    const td = rec.tokenData as Rec;
    const token: StoredToken = { id: td.id as string, type: td.type as string };
    if (td.keys !== undefined) token.keys = td.keys;
    const i = p.tokens.findIndex((t) => t.id === token.id);
    if (i >= 0) p.tokens[i] = token;
    else p.tokens.push(token);
    this.tokens.push(rec);
    this.stats.tokensAccepted++;
  }

  private collectRootIds(rec: Rec): void {
    const ids = this.ids;
    const kinds = this.kinds;
    ids.length = 0;
    kinds.length = 0;
    if (isIdValue(rec.identity)) {
      ids.push(String(rec.identity));
      kinds.push(ID_IDENTITY);
    }
    if (isValidObjectId(rec.objectId)) {
      ids.push(rec.objectId);
      kinds.push(ID_OBJECT);
    }
    if (isIdValue(rec.FBID)) {
      ids.push(String(rec.FBID));
      kinds.push(ID_OTHER);
    }
    if (isIdValue(rec.GPID)) {
      ids.push(String(rec.GPID));
      kinds.push(ID_OTHER);
    }
  }

  /** Finds (merging if the ids span several profiles) or creates the profile for the collected ids. */
  private resolve(now: number): EmulatorProfile {
    const ids = this.ids;
    let p: EmulatorProfile | undefined;
    for (let i = 0; i < ids.length; i++) {
      const q = this.index.get(ids[i]);
      if (q === undefined || q === p) continue;
      if (p === undefined) p = q;
      else this.merge(p, q);
    }
    if (p === undefined) p = this.create(now);
    for (let i = 0; i < ids.length; i++) {
      if (this.index.get(ids[i]) !== p) this.link(p, ids[i], this.kinds[i]);
    }
    p.updatedAt = now;
    return p;
  }

  private create(now: number): EmulatorProfile {
    const p: EmulatorProfile = {
      identities: [],
      objectIds: [],
      profileData: {},
      tokens: [],
      events: 0,
      createdAt: now,
      updatedAt: now,
    };
    this.profiles.add(p);
    if (this.profiles.size > this.retain) {
      const oldest = this.profiles.values().next().value;
      if (oldest !== undefined && oldest !== p) this.removeProfile(oldest);
    }
    return p;
  }

  private link(p: EmulatorProfile, id: string, kind: number): void {
    this.index.set(id, p);
    p.identities.push(id);
    if (kind === ID_OBJECT) {
      p.objectIds.push(id);
      if (p.objectId === undefined) p.objectId = id;
    } else if (kind === ID_IDENTITY && p.identity === undefined) {
      p.identity = id;
    }
  }

  /** Folds `from` into `into`: ids, tokens and event counts move; `into` keeps its own values. */
  private merge(into: EmulatorProfile, from: EmulatorProfile): void {
    for (const id of from.identities) {
      if (this.index.get(id) === from) this.index.set(id, into);
      if (!into.identities.includes(id)) into.identities.push(id);
    }
    for (const id of from.objectIds) if (!into.objectIds.includes(id)) into.objectIds.push(id);
    if (into.identity === undefined) into.identity = from.identity;
    if (into.objectId === undefined) into.objectId = from.objectId;
    for (const k in from.profileData) if (!Object.hasOwn(into.profileData, k)) put(into.profileData, k, from.profileData[k]);
    for (const t of from.tokens) if (!into.tokens.some((x) => x.id === t.id)) into.tokens.push(t);
    into.events += from.events;
    into.createdAt = Math.min(into.createdAt, from.createdAt);
    this.profiles.delete(from);
  }

  // ---- other APIs ----

  find(id: string): EmulatorProfile | undefined {
    return this.index.get(id);
  }

  findByEmail(email: string): EmulatorProfile | undefined {
    const byId = this.index.get(email);
    if (byId) return byId;
    const want = email.toLowerCase();
    for (const p of this.profiles) {
      const e = p.profileData.Email;
      if (typeof e === 'string' && e.toLowerCase() === want) return p;
    }
    return undefined;
  }

  removeProfile(p: EmulatorProfile): void {
    for (const id of p.identities) if (this.index.get(id) === p) this.index.delete(id);
    this.profiles.delete(p);
  }

  /** Deletes the profile an id belongs to; true when one was found. */
  deleteById(id: string): boolean {
    const p = this.index.get(id);
    if (!p) return false;
    this.removeProfile(p);
    this.stats.profilesDeleted++;
    return true;
  }

  /** Splits `id` off its profile into a new, empty profile (the data stays with the rest). */
  demerge(id: string, now: number): boolean {
    const p = this.index.get(id);
    if (!p || p.identities.length <= 1) return false;
    const wasObject = p.objectIds.includes(id);
    this.unlink(p, id);
    const q = this.create(now);
    this.link(q, id, wasObject ? ID_OBJECT : ID_IDENTITY);
    this.stats.demerges++;
    return true;
  }

  /** Removes an id from its profile (a profile left without ids is dropped). */
  disassociate(id: string): boolean {
    const p = this.index.get(id);
    if (!p) return false;
    this.unlink(p, id);
    if (p.identities.length === 0) this.profiles.delete(p);
    return true;
  }

  private unlink(p: EmulatorProfile, id: string): void {
    this.index.delete(id);
    p.identities = p.identities.filter((x) => x !== id);
    p.objectIds = p.objectIds.filter((x) => x !== id);
    if (p.objectId === id) p.objectId = p.objectIds[0];
    if (p.identity === id) p.identity = p.identities.find((x) => !p.objectIds.includes(x));
  }
}

/** CleverTap stores ids as strings (a numeric identity comes back as "13"). */
function normaliseIds(rec: Rec): void {
  if (typeof rec.identity === 'number') rec.identity = String(rec.identity);
}

/**
 * Sets an own data property. A plain assignment of `__proto__` (a key JSON.parse happily produces) would
 * change the object's prototype instead of storing the value; defineProperty stores it as ordinary data.
 */
function put(target: Rec, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(target, k, { value: v, writable: true, enumerable: true, configurable: true });
  else target[k] = v;
}

/** Upsert with CleverTap's multi-value / counter operations. */
export function applyProfileData(target: Rec, pd: Rec): void {
  for (const k in pd) {
    const v = pd[k];
    if (SUBSCRIPTION_KEYS.has(k) && isPlainObject(v)) {
      // Subscription groups: the object replaces the stored one (copied, like arrays).
      const copy: Rec = {};
      for (const ch in v) put(copy, ch, Array.isArray(v[ch]) ? (v[ch] as unknown[]).slice() : v[ch]);
      put(target, k, copy);
      continue;
    }
    if (!isPlainObject(v)) {
      put(target, k, Array.isArray(v) ? v.slice() : v);
      continue;
    }
    // Own properties only: an inherited `__proto__` (Object.prototype) is no stored value.
    const cur = Object.hasOwn(target, k) ? target[k] : undefined;
    if ('$delete' in v) {
      delete target[k];
    } else if ('$incr' in v || '$decr' in v) {
      const base = typeof cur === 'number' ? cur : 0;
      put(target, k, '$incr' in v ? base + (v.$incr as number) : base - (v.$decr as number));
    } else {
      const list: unknown[] = Array.isArray(cur) ? cur.slice() : cur === undefined ? [] : [String(cur)];
      const arg = '$add' in v ? v.$add : v.$remove;
      const vals = Array.isArray(arg) ? arg : [arg];
      if ('$add' in v) {
        for (const x of vals) if (!list.includes(x)) list.push(x);
        put(target, k, list);
      } else {
        put(target, k, list.filter((x) => !vals.includes(x)));
      }
    }
  }
}
