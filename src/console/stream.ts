// The live debugger's stream: Server-Sent Events (https://html.spec.whatwg.org/multipage/server-sent-events.html).
// A client that reads slower than events arrive skips them (counted, and told) instead of growing a buffer here.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LiveTap, TapItem } from './tap.js';

/** Bytes a stream may have queued in its socket before further events are skipped. */
const MAX_QUEUED = 1 << 20;
const HEARTBEAT_MS = 15_000;

export function openStream(req: FastifyRequest, reply: FastifyReply, tap: LiveTap, open: Set<() => void>): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    connection: 'keep-alive',
  });
  let skipped = 0;
  const send = (name: string, data: unknown) => {
    res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const onItems = (items: TapItem[]) => {
    if (res.writableLength > MAX_QUEUED) {
      skipped += items.length;
      return;
    }
    if (skipped) {
      send('skipped', { count: skipped });
      skipped = 0;
    }
    send('items', items);
  };
  send('items', tap.backlog());
  const unsubscribe = tap.subscribe(onItems);
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
  heartbeat.unref();
  const end = () => {
    clearInterval(heartbeat);
    unsubscribe();
    open.delete(end);
    if (!res.writableEnded) res.end();
  };
  open.add(end);
  req.raw.on('close', end);
  res.on('error', end);
}
