// Which live node should own a (destination, lane): rendezvous (highest random weight) hashing
// (https://en.wikipedia.org/wiki/Rendezvous_hashing). Every node computes the same answer from the same list
// of live nodes, the lanes spread evenly, and when a node joins or leaves only the lanes it wins or held move.
import { createHash } from 'node:crypto';

function weight(nodeId: string, destinationId: string, lane: number): bigint {
  return createHash('sha256').update(`${nodeId}\u0000${destinationId}\u0000${lane}`).digest().readBigUInt64BE(0);
}

/** The live node that should own this lane (nodes: every live node's id, in any order). */
export function ownerOf(nodes: readonly string[], destinationId: string, lane: number): string | undefined {
  let best: string | undefined;
  let bestWeight = -1n;
  for (const n of nodes) {
    const w = weight(n, destinationId, lane);
    if (w > bestWeight || (w === bestWeight && best !== undefined && n < best)) [best, bestWeight] = [n, w];
  }
  return best;
}
