// Every source type a config can declare: the keys of its entry (credentials), the ingest protocols that accept
// it, and the platform its messages come from. Protocol routes ask here whether a source speaks their protocol;
// ingest asks for its origin, which the loop guard compares with each destination's platform.
import { Type, type TProperties } from '@sinclair/typebox';
import { CLEVERTAP_PLATFORM } from '../clevertap/platform.js';
import { ConfigId } from '../config/id.js';
import type { InboundMessage } from '../message/schema.js';
import { normaliseCleverTapMessage } from './clevertap-export/normalise.js';

/** The ingest protocols, one folder each: segment/ (/v1/*), mparticle/ (/v2/*), clevertap-webhook/. */
export type Protocol = 'segment' | 'mparticle' | 'clevertap-webhook';

interface SourceFacts {
  readonly type: string;
  /** Protocols whose routes accept this source's credentials. */
  readonly protocols: readonly Protocol[];
  /** The platform its messages come from (arms the loop guard toward destinations of that platform). */
  readonly origin?: string;
  /** Applied to each message it sends over the Segment tracking API, before ingest validates it. */
  readonly normalise?: (message: InboundMessage) => InboundMessage;
  /** A rule across keys that the entry schema cannot say; returns the reason it is broken. */
  readonly check?: (entry: { readonly [key: string]: unknown }) => string | undefined;
}

interface SourceDefinition<T extends string, P extends TProperties> extends SourceFacts {
  readonly type: T;
  /** The entry's keys besides `id` and `type`. */
  readonly keys: P;
}

function defineSource<const T extends string, P extends TProperties>(def: SourceDefinition<T, P>) {
  return { ...def, entrySchema: Type.Object({ id: ConfigId, type: Type.Literal(def.type), ...def.keys }, { additionalProperties: false }) };
}

const Secret = Type.String({ minLength: 1 });
/** The web origins (scheme://host[:port], `*.` allowed before the host) whose pages may send; absent = any. */
const AllowedOrigins = Type.Optional(Type.Array(Type.String({ pattern: '^https?://(\\*\\.)?[A-Za-z0-9.-]+(:[0-9]{1,5})?$' })));

export const SOURCE_DEFINITIONS = [
  // Segment / RudderStack SDKs.
  defineSource({ type: 'segment', keys: { writeKey: Secret, allowedOrigins: AllowedOrigins }, protocols: ['segment'] }),
  // CleverTap's Segment export (writeKey) and its webhooks (secret).
  defineSource({
    type: 'clevertap',
    keys: { writeKey: Type.Optional(Secret), secret: Type.Optional(Secret), allowedOrigins: AllowedOrigins },
    protocols: ['segment', 'clevertap-webhook'],
    origin: CLEVERTAP_PLATFORM,
    normalise: normaliseCleverTapMessage,
    check: (s) => (s.writeKey === undefined && s.secret === undefined ? 'needs a writeKey and/or a webhook secret' : undefined),
  }),
  // CleverTap's mParticle export (HTTP Basic key:secret).
  defineSource({ type: 'mparticle', keys: { key: Secret, secret: Secret }, protocols: ['mparticle'], origin: CLEVERTAP_PLATFORM }),
];

const BY_TYPE = new Map<string, SourceFacts>(SOURCE_DEFINITIONS.map((d) => [d.type, d]));

function factsOf(source: { type: string }): SourceFacts | undefined {
  return BY_TYPE.get(source.type);
}

export function speaks(source: { type: string }, protocol: Protocol): boolean {
  return factsOf(source)?.protocols.includes(protocol) ?? false;
}

export function originOf(source: { type: string }): string | undefined {
  return factsOf(source)?.origin;
}

export function normaliserOf(source: { type: string }): SourceFacts['normalise'] {
  return factsOf(source)?.normalise;
}

/** The reason a checked entry still breaks its type's cross-key rule, if it does. */
export function sourceProblem(source: { type: string; readonly [key: string]: unknown }): string | undefined {
  return factsOf(source)?.check?.(source);
}
