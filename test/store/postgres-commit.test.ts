// The PostgreSQL group commit with several transactions in flight: batches take what is queued up to a
// weight, and each batch's ordered steps (ids, then counters and COMMIT) run in the order the batches
// started, whatever the speed of the work in between; a failed batch does not hold the next one back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsyncGroupCommit } from '../../src/store/postgres/commit.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('ordered steps follow the order of the batches, the work between them overlaps', async () => {
  const log: string[] = [];
  let running = 0;
  let maxRunning = 0;
  let n = 0;
  const gc = new AsyncGroupCommit<number, number>(
    async (items, inOrder) => {
      const b = n++;
      running++;
      maxRunning = Math.max(maxRunning, running);
      await inOrder(0, async () => {
        log.push(`ids ${b}`);
      });
      await sleep(b === 0 ? 60 : 5); // the first batch's inserts are the slowest
      await inOrder(1, async () => {
        log.push(`commit ${b}`);
      });
      running--;
      return items.map((x) => x * 2);
    },
    3,
    () => 1,
    2,
  );
  const results = await Promise.all([1, 2, 3, 4, 5, 6].map((x) => gc.submit(x)));
  await gc.close();
  assert.deepEqual(results, [2, 4, 6, 8, 10, 12]);
  assert.ok(maxRunning > 1, 'batches overlap');
  const commits = log.filter((l) => l.startsWith('commit')).map((l) => Number(l.split(' ')[1]));
  const ids = log.filter((l) => l.startsWith('ids')).map((l) => Number(l.split(' ')[1]));
  assert.deepEqual(commits, [...commits].sort((a, b) => a - b), 'commits in batch order although batch 0 was slowest');
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
  assert.equal(n, 3, 'six items of weight 1, at most 2 per batch');
});

test('a batch that fails releases its steps: the next ones commit', async () => {
  let n = 0;
  const gc = new AsyncGroupCommit<number, number>(
    async (items, inOrder) => {
      const b = n++;
      await inOrder(0, async () => {});
      if (b === 0) throw new Error('database gone');
      await inOrder(1, async () => {});
      return items;
    },
    2,
    () => 1,
    1,
  );
  const [first, second] = await Promise.allSettled([gc.submit(1), gc.submit(2)]);
  assert.equal(first.status, 'rejected');
  assert.deepEqual(second, { status: 'fulfilled', value: 2 });
  await gc.close();
});
