// A node that starts while PostgreSQL is out of reach (the database restarting, failing over, the network
// down) waits for it instead of exiting: it tries again with capped exponential backoff, logs every attempt
// (the URL without its password), and opens the store (migrations under the advisory lock, as always) once
// the database answers. Meanwhile it does not listen: a load balancer's health check sees it as down, and
// nothing can be acknowledged that could not be stored. Other errors (a refused password, a failed
// migration) are not waited out: they stop the start with their message.
import { redactCredentials } from '../../http/redact.js';
import type { Logger } from '../../util/logger.js';
import { isConnectionError, PostgresStore, type PostgresStoreOptions } from './index.js';

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 15_000;

export async function openWhenReachable(url: string, opts: PostgresStoreOptions, log: Logger): Promise<PostgresStore> {
  for (let attempt = 1; ; attempt++) {
    try {
      const store = await PostgresStore.open(url, opts);
      if (attempt > 1) log.info({ database: redactCredentials(url), attempts: attempt }, 'PostgreSQL reached: starting');
      return store;
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      // Full jitter within the upper half, so nodes restarted together do not knock in step.
      const cap = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.min(attempt - 1, 10));
      const delay = Math.round(cap / 2 + (Math.random() * cap) / 2);
      log.warn({ database: redactCredentials(url), attempt, retryInMs: delay, err: (err as Error).message }, 'PostgreSQL out of reach at start: trying again');
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
