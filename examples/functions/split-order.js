// Splits an Order Completed into one "Product Purchased" event per product, after the order itself, so that
// campaigns can target single products. The events keep their order; the job counts as delivered once all are.
export function transform(message) {
  if (message.type !== 'track' || message.event !== 'Order Completed') return message;
  const products = Array.isArray(message.properties?.products) ? message.properties.products : [];
  const perProduct = products.map((p, i) => ({
    ...message,
    messageId: `${message.messageId}-product-${i}`,
    event: 'Product Purchased',
    properties: { order_id: message.properties.order_id, ...p },
  }));
  return [message, ...perProduct];
}
