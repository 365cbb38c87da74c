// Renames events to the names the destination's campaigns use; events not listed pass unchanged.
const NAMES = { 'Product Added': 'Added To Cart', 'Checkout Started': 'Checkout' };

export function transform(message) {
  if (message.type === 'track' && NAMES[message.event]) message.event = NAMES[message.event];
  return message;
}
