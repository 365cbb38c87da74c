export function transform(message) {
  if (message.event === 'Boom') throw new TypeError('boom: cannot read this event');
  return message;
}
