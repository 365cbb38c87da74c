// The canonical message: Segment's spec (identify, track, page, screen, group, alias).
// One TypeBox schema validates input and gives the TypeScript types; every source converts into it.
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

export const MESSAGE_TYPES = ['identify', 'track', 'page', 'screen', 'group', 'alias'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

// An object with any keys. Written as an open object rather than Type.Record: the same JSON Schema meaning, but
// the compiled check of a Record runs a pattern over every key of every nested object, on every message.
const Obj = Type.Unsafe<Record<string, unknown>>(Type.Object({}, { additionalProperties: true }));
const Id = Type.Union([Type.String(), Type.Null()]);
const Time = Type.String({ maxLength: 64 });

/** A message as a client may send it: only `type` is required here (ingest fills the rest). */
export const InboundMessageSchema = Type.Object(
  {
    type: Type.Union(MESSAGE_TYPES.map((t) => Type.Literal(t))),
    messageId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    anonymousId: Type.Optional(Id),
    userId: Type.Optional(Id),
    timestamp: Type.Optional(Time),
    originalTimestamp: Type.Optional(Time),
    sentAt: Type.Optional(Time),
    receivedAt: Type.Optional(Time),
    context: Type.Optional(Obj),
    integrations: Type.Optional(Obj),
    traits: Type.Optional(Obj),
    properties: Type.Optional(Obj),
    event: Type.Optional(Type.String()),
    name: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    category: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    previousId: Type.Optional(Type.String()),
    groupId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
    version: Type.Optional(Type.Unknown()),
  },
  { additionalProperties: true },
);
export type InboundMessage = Static<typeof InboundMessageSchema>;

/** A message after ingest: id and times are always set (ISO 8601 strings). */
export const MessageSchema = Type.Composite([
  InboundMessageSchema,
  Type.Object({ messageId: Type.String({ minLength: 1 }), receivedAt: Time, timestamp: Time }),
]);
export type Message = Static<typeof MessageSchema>;

export const inboundMessageCheck = TypeCompiler.Compile(InboundMessageSchema);

/** Validates one inbound message; returns a readable reason or null when valid. */
export function validateInbound(m: unknown): string | null {
  if (inboundMessageCheck.Check(m)) {
    const msg = m as InboundMessage;
    if (!msg.userId && !msg.anonymousId) return 'userId or anonymousId is required';
    if (msg.type === 'track' && !msg.event) return 'track requires event';
    if (msg.type === 'alias' && !msg.previousId) return 'alias requires previousId';
    if (msg.type === 'alias' && !msg.userId) return 'alias requires userId';
    return null;
  }
  const first = inboundMessageCheck.Errors(m).First();
  if (!first) return 'invalid message';
  return `${first.path || '/'}: ${first.message}`;
}
