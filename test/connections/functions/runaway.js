export function transform(message) {
  if (message.event === 'Loop') for (;;) {}
  if (message.event === 'Hang') return new Promise(() => {});
  if (message.event === 'Hog') {
    const keep = [];
    for (;;) keep.push(new Array(1e6).fill(keep.length));
  }
  return message;
}
