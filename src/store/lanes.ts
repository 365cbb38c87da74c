// Per-user ordering by lanes: every user hashes to one of LANES lanes, and the router keeps at most one
// request in flight per lane, so a user's events are claimed and sent strictly in order without
// scanning past other users' jobs (the same idea as a partitioned log).
export const LANES = 64;

/** FNV-1a of the user key, modulo LANES. Stable across processes and versions: it is stored with each job. */
export function laneOf(userKey: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < userKey.length; i++) {
    h ^= userKey.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % LANES;
}
