// Keeps personal data out of one destination: removes email, phone and IP before it is mapped.
// Use it on a connection: `function: examples/functions/drop-pii.js`.
export function transform(message) {
  if (message.traits) {
    delete message.traits.email;
    delete message.traits.phone;
  }
  if (message.context) {
    delete message.context.ip;
    if (message.context.traits) delete message.context.traits.email;
  }
  return message;
}
