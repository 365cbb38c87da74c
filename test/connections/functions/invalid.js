export function transform(message) {
  if (message.event === 'No Type') return { event: 'x', userId: 'u1' };
  if (message.event === 'No User') return { ...message, userId: undefined, anonymousId: undefined };
  if (message.event === 'Not Object') return [message, 42];
  return message;
}
