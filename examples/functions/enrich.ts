// Enriches events from a lookup table loaded once, when the function starts (a TypeScript function: Taproute
// strips the types when it loads it). ctx.log writes to Taproute's log.
type Message = { type: string; properties?: Record<string, unknown>; [k: string]: unknown };
type Context = { sourceId: string; destinationId: string; connectionId: string; log: { info(...a: unknown[]): void } };

const PLANS: Record<string, { tier: string; seats: number }> = {
  pro: { tier: 'paid', seats: 5 },
  team: { tier: 'paid', seats: 25 },
  free: { tier: 'free', seats: 1 },
};

export async function transform(message: Message, ctx: Context): Promise<Message> {
  const plan = message.properties?.plan;
  if (typeof plan === 'string' && PLANS[plan]) message.properties = { ...message.properties, ...PLANS[plan] };
  else if (plan !== undefined) ctx.log.info(`unknown plan ${String(plan)} on ${ctx.connectionId}`);
  return message;
}
