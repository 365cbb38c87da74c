// The code of the thread a transformation function runs in (a worker_threads Worker started from this source
// text). It loads the user's module (TypeScript through tsx's tsImport API, https://tsx.is/dev-api/ts-import),
// then runs batches: for each message it publishes (batch id, index, start time) in shared memory so that the
// parent can stop a function that runs past its time limit without a message round trip per event.
export const FUNCTION_HOST_SOURCE = String.raw`
const { parentPort, workerData } = require('node:worker_threads');
const { pathToFileURL } = require('node:url');
const ids = new Int32Array(workerData.progress, 0, 2);
const started = new Float64Array(workerData.progress, 8, 1);
let transform;
let logs = [];
const levels = ['debug', 'info', 'warn', 'error'];
function logger(ctx) {
  const log = {};
  for (const level of levels) log[level] = (...args) => logs.push({ level, args: args.map((a) => (typeof a === 'string' ? a : safeJson(a))), messageId: ctx.messageId });
  return log;
}
function safeJson(v) {
  try { return JSON.stringify(v); } catch { return String(v); }
}
function errorOf(e) {
  if (e instanceof Error) return { error: e.message || e.name, stack: e.stack };
  return { error: typeof e === 'string' ? e : 'threw ' + safeJson(e) };
}
async function load() {
  const file = workerData.file;
  const url = pathToFileURL(file).href;
  let mod;
  if (/\.(c|m)?tsx?$/.test(file)) {
    if (!workerData.tsApi) throw new Error('loading a TypeScript function needs the tsx package');
    const { tsImport } = await import(workerData.tsApi);
    mod = await tsImport(url, url);
  } else mod = await import(url);
  const fn = typeof mod.transform === 'function' ? mod.transform : mod.default && typeof mod.default.transform === 'function' ? mod.default.transform : null;
  if (!fn) throw new Error('the module does not export a function named transform');
  transform = fn;
}
parentPort.on('message', async (msg) => {
  const results = [];
  for (let i = msg.from; i < msg.items.length; i++) {
    if (msg.fixed[i]) {
      results.push(msg.fixed[i]);
      continue;
    }
    const item = msg.items[i];
    ids[0] = msg.id;
    started[0] = Date.now();
    Atomics.store(ids, 1, i);
    try {
      const ctx = { ...item.ctx, log: logger(item.ctx) };
      const out = await transform(item.message, ctx);
      if (out === null || out === undefined) results.push({ k: 'drop' });
      else results.push({ k: 'messages', messages: Array.isArray(out) ? out : [out] });
    } catch (e) {
      results.push({ k: 'error', ...errorOf(e) });
    }
  }
  Atomics.store(ids, 1, -1);
  const sent = logs;
  logs = [];
  try {
    parentPort.postMessage({ t: 'done', id: msg.id, from: msg.from, results, logs: sent });
  } catch {
    // A value structured clone cannot copy (a function, a symbol): send what JSON keeps of it.
    const copied = results.map((r) => {
      try { return JSON.parse(JSON.stringify(r)); } catch (e) { return { k: 'error', error: 'the function returned a value that cannot be copied: ' + errorOf(e).error }; }
    });
    parentPort.postMessage({ t: 'done', id: msg.id, from: msg.from, results: copied, logs: [] });
  }
});
load().then(
  () => parentPort.postMessage({ t: 'ready' }),
  (e) => parentPort.postMessage({ t: 'load-error', ...errorOf(e) }),
);
`;
