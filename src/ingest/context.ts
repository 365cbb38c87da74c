// What every protocol handler (Segment, mParticle, webhooks) gets from the server.
// Handlers authenticate, parse their protocol into canonical messages, and call accept().
import type { FastifyInstance } from 'fastify';
import type { SourceConfig } from '../config/schema.js';
import type { InboundMessage } from '../message/schema.js';

export interface AcceptResult {
  /** Messages stored durably (the promise resolves only after the commit). */
  accepted: number;
  /** Messages dropped as duplicates of (source, messageId) within the dedupe window. */
  duplicates: number;
  /** Messages rejected by validation: index into the given array and a reason. */
  rejected: { index: number; messageId?: string; error: string }[];
}

export interface AcceptOptions {
  receivedAt?: number;
  /** Per message, the exact JSON text it was parsed from, when nothing but accept() changes it afterwards (no
   *  normaliser, no merged batch context): it is then stored as written, with ingest's stamp appended. */
  texts?: (string | undefined)[];
  /** The text the `texts` were cut from, and where each starts in it (texts[i] === text.slice(starts[i], …)):
   *  the payloads stored as written are then handed to the store as places in that one text. */
  within?: { text: string; starts: number[] };
}

export interface IngestContext {
  sources: readonly SourceConfig[];
  /** Constant-time lookups of a source by its credentials. */
  sourceByWriteKey(writeKey: string): SourceConfig | undefined;
  sourceByKeySecret(key: string, secret: string): SourceConfig | undefined;
  sourceById(id: string): SourceConfig | undefined;
  /**
   * Validates, stamps (messageId, receivedAt, clock correction), dedupes and stores messages. The source type's
   * origin (src/sources/registry.ts) arms the loop guard toward destinations of the same platform.
   */
  accept(source: SourceConfig, messages: unknown[], opts?: AcceptOptions): Promise<AcceptResult>;
  /** True when the pending backlog is past the configured bound: answer 429 with Retry-After. */
  overloaded(): Promise<boolean>;
  /** Request-level dedupe (mParticle source_request_id): true if the id was already stored for this source. */
  seenRequest(sourceId: string, requestId: string): Promise<boolean>;
  /** Call after accept() resolved: from then on the request ids count as seen. */
  rememberRequests(sourceId: string, requestIds: string[]): Promise<void>;
  limits: { maxEventBytes: number; maxRequestBytes: number; maxBatchEvents: number };
}

export type ProtocolRoutes = (app: FastifyInstance, ctx: IngestContext) => void;
export type { InboundMessage };
