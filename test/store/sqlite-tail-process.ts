// An owner that dies with messages not indexed yet, for sqlite-indexer.test.ts:
// `node --import tsx test/store/sqlite-tail-process.ts FILE N` appends N messages of users u0..u4 (ids m0..m(N-1),
// anonymous ids a0..a4 after identify) with the indexer held off, prints how many it stored and kills itself (SIGKILL).
import { SqliteStore } from '../../src/store/sqlite/index.js';

const [file, n] = process.argv.slice(2);
const s = new SqliteStore(file, { owner: true, indexIntervalMs: 3_600_000 });
const msgs = Array.from({ length: Number(n) }, (_, i) => {
  const [id, userId, anonymousId] = [`m${i}`, `u${i % 5}`, `a${i % 5}`];
  return { messageId: id, userKey: userId, anonymousId, receivedAt: 1000, payload: JSON.stringify({ type: 'track', event: id, userId, anonymousId, messageId: id }), destinations: ['d1'] };
});
const r = await s.append('src', msgs);
console.log(`stored ${r.accepted}`);
process.kill(process.pid, 'SIGKILL');
