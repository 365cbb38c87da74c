/** Parses 250, "250ms", "30s", "5m", "24h", "7d" to milliseconds. */
export function durationMs(v: number | string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number') return v;
  const m = /^([0-9]+)(ms|s|m|h|d)$/.exec(v);
  if (!m) throw new Error(`invalid duration: ${v}`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms'];
  return n * unit;
}
