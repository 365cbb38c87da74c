// A store owner in a process of its own, for the lock tests: `node --import tsx test/store/owner-process.ts FILE MODE`.
//   hold: opens FILE as owner, prints "ready", waits to be killed.
//   crash: appends one message, claims it, prints "ready" and kills itself (SIGKILL): no settle, no close.
//   open: opens FILE as owner and prints "opened", or the error as one line.
import { SqliteStore } from '../../src/store/sqlite/index.js';
import { LANES } from '../../src/store/lanes.js';

const [file, mode] = process.argv.slice(2);
try {
  const s = new SqliteStore(file, { owner: true });
  if (mode === 'open') {
    console.log('opened');
    await s.close();
  } else if (mode === 'crash') {
    const payload = JSON.stringify({ type: 'track', event: '1', userId: 'u1', messageId: '1' });
    await s.append('src', [{ messageId: '1', userKey: 'u1', receivedAt: 1, payload, destinations: ['d1'] }]);
    await s.claim('d1', Array.from({ length: LANES }, (_, i) => i), 10, 1);
    process.kill(process.pid, 'SIGKILL');
  } else {
    console.log('ready');
    setInterval(() => {}, 60_000);
  }
} catch (err) {
  console.log((err as Error).message);
}
