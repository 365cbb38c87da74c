// Counter changes gathered during one transaction, written once per connection at its end (either backend).
type Field = 'received' | 'delivered' | 'dead' | 'filtered' | 'warnings';

/** Counter changes gathered during one transaction, written once per connection at its end. */
export class CounterDeltas {
  private readonly byConnection = new Map<string, Record<Field, number>>();
  /** Filtered counts by the rule that filtered them, keyed source \0 destination \0 rule. */
  readonly byRule = new Map<string, number>();

  /** Warnings by code, keyed source \0 destination \0 code. */
  readonly byWarning = new Map<string, number>();

  bump(sourceId: string, destinationId: string, field: Field, by = 1): void {
    const k = `${sourceId}\u0000${destinationId}`;
    let d = this.byConnection.get(k);
    if (!d) this.byConnection.set(k, (d = { received: 0, delivered: 0, dead: 0, filtered: 0, warnings: 0 }));
    d[field] += by;
  }

  /** A filtered job or message, with the rule that filtered it (bumps `filtered` too). */
  filtered(sourceId: string, destinationId: string, rule: string): void {
    this.bump(sourceId, destinationId, 'filtered');
    const k = `${sourceId}\u0000${destinationId}\u0000${rule}`;
    this.byRule.set(k, (this.byRule.get(k) ?? 0) + 1);
  }

  /** The mapping's warnings of a delivered or dead job (bumps `warnings` too). */
  warned(sourceId: string, destinationId: string, warnings: readonly { code: string }[]): void {
    this.bump(sourceId, destinationId, 'warnings', warnings.length);
    for (const w of warnings) {
      const k = `${sourceId}\u0000${destinationId}\u0000${w.code}`;
      this.byWarning.set(k, (this.byWarning.get(k) ?? 0) + 1);
    }
  }

  *entries(): Generator<[string, string, Record<Field, number>]> {
    for (const [k, d] of this.byConnection) {
      const [src, dst] = k.split('\u0000');
      yield [src, dst, d];
    }
  }
}
