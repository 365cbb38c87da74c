// User suppression and deletion (RudderStack's regulation shape), shared by the admin API and the console.
import type { Config } from '../config/schema.js';
import { userDeletion } from '../destinations/registry.js';
import type { DestinationWorker } from '../router/worker.js';
import { laneOf } from '../store/lanes.js';
import type { Store } from '../store/types.js';
import type { Logger } from '../util/logger.js';

export interface RegulationDeps {
  config: Config;
  store: Store;
  workers: Map<string, DestinationWorker>;
  log: Logger;
}

/** {"regulationType":"suppress_with_delete","users":[{"userId":"..."}]} → an HTTP status and answer. Users are
 *  deleted in every destination whose type can delete users (its definition's deleteUsers). */
export async function applyRegulation(deps: RegulationDeps, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const b = (body ?? {}) as { regulationType?: string; destinationIds?: string[]; users?: { userId?: string }[] };
  if (b.regulationType !== 'suppress_with_delete' && b.regulationType !== 'suppress')
    return { status: 400, body: { error: 'regulationType must be "suppress_with_delete" or "suppress"' } };
  if (!Array.isArray(b.users) || b.users.length === 0) return { status: 400, body: { error: 'users must be a non-empty array' } };
  const userIds = b.users.map((u) => u?.userId).filter((u): u is string => typeof u === 'string' && u !== '');
  if (userIds.length === 0) return { status: 400, body: { error: 'every user needs a userId' } };
  await deps.store.suppress(userIds, Date.now());
  const deleted: Record<string, number> = {};
  if (b.regulationType === 'suppress_with_delete') {
    // Requests already in flight for these users could recreate a profile after the delete: wait for them.
    const lanes = new Set(userIds.map(laneOf));
    for (const w of deps.workers.values()) await w.drainLanes(lanes);
    for (const d of deps.config.destinations) {
      const deleteUsers = userDeletion(d);
      if (!deleteUsers || (b.destinationIds && !b.destinationIds.includes(d.id))) continue;
      try {
        deleted[d.id] = (await deleteUsers(userIds)).deleted;
      } catch (err) {
        deps.log.error({ destination: d.id, err }, 'user deletion failed');
        return { status: 502, body: { error: `deletion in ${d.id} failed: ${(err as Error).message}`, suppressed: userIds.length } };
      }
    }
  }
  return { status: 200, body: { status: 'successful', suppressed: userIds.length, deleted } };
}
