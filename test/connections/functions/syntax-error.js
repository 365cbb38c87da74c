export function transform(message) { return message
