// Drops test traffic: returning null counts the event as filtered (rule "function").
export function transform(message) {
  if (message.context?.traits?.email?.endsWith('@test.example.com')) return null;
  return message;
}
