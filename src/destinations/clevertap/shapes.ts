// Key lists known to have a property, remembered across messages: messages of one kind carry the same keys in the
// same order, so checking a message's keys against a remembered list costs one comparison per key where asking
// memo.ts about each key costs a lookup per key. Bounded as memo.ts is: at most `max` lists, all forgotten at once.

export class KeyShapes {
  private readonly byFirstKey = new Map<string, readonly string[]>();
  constructor(
    private readonly max = 1000,
    private readonly maxKeys = 128,
  ) {}

  /** True when the object's keys (for-in order) are exactly a remembered list. */
  has(o: object): boolean {
    let list: readonly string[] | undefined;
    let i = 0;
    for (const k in o) {
      if (i === 0 && (list = this.byFirstKey.get(k)) === undefined) return false;
      if (i >= list!.length || list![i] !== k) return false;
      i++;
    }
    return list !== undefined && i === list.length;
  }

  /** Remembers the object's keys (for-in order), in place of a list with the same first key. */
  add(o: object): void {
    const keys: string[] = [];
    for (const k in o) if (keys.push(k) > this.maxKeys) return;
    if (keys.length === 0) return;
    if (this.byFirstKey.size >= this.max) this.byFirstKey.clear();
    this.byFirstKey.set(keys[0], keys);
  }

  /** How many lists are remembered (for tests). */
  size(): number {
    return this.byFirstKey.size;
  }
}
