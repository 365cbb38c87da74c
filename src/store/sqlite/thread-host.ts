// The store thread (a worker_threads Worker, started by thread.ts): it owns the SQLite file through a SqliteStore
// and answers the Store calls the main thread posts, in the order they arrive. Appends that arrive while a
// commit or its fsync runs are gathered into the next group commit (commit.ts), as on one thread.
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore, type SqliteStoreOptions } from './index.js';
import { type AppendColumns, CALLS, type Call, type Reply, type ThreadEvent, errorToWire, fromColumns } from './thread-wire.js';

const port = parentPort!;
const { file, opts } = workerData as { file: string; opts: SqliteStoreOptions };
const post = (m: Reply | ThreadEvent) => port.postMessage(m);

let store: SqliteStore;
try {
  store = new SqliteStore(file, opts);
} catch (err) {
  post({ t: 'open-error', message: (err as Error).message });
  process.exit(1);
}

let healthy = store.healthy();
/** The store recovers by itself (its write probe): the main thread hears of it without calling. */
const healthWatch = setInterval(() => {
  if (store.healthy() !== healthy) post({ t: 'health', h: (healthy = store.healthy()) });
}, 200);
healthWatch.unref();

post({ t: 'ready', p: await store.pendingTotal(), h: healthy, sup: [...(await store.suppressed())] });

port.on('message', (c: Call) => {
  if (c.m === 'forget') return store.forget(c.a[0] as number);
  if (!CALLS.has(c.m)) return post({ i: c.i, e: { message: `unknown store call ${c.m}` }, p: 0, h: healthy });
  // append's messages cross as columns (thread-wire.ts).
  if (c.m === 'append') c.a[1] = fromColumns(c.a[1] as AppendColumns);
  const run = c.m === 'claim' ? Promise.resolve(store.claimRaw(...(c.a as Parameters<SqliteStore['claimRaw']>))) : (store[c.m] as (...a: unknown[]) => Promise<unknown>)(...c.a);
  run.then(
    async (r) => {
      healthy = store.healthy();
      post({ i: c.i, r: c.m === 'suppressed' ? [...(r as Set<string>)] : r, p: await store.pendingTotal(), h: healthy });
      if (c.m === 'close') {
        clearInterval(healthWatch);
        port.close();
      }
    },
    async (err) => {
      healthy = store.healthy();
      post({ i: c.i, e: errorToWire(err), p: await store.pendingTotal(), h: healthy });
    },
  );
});
