// Dotted paths into a message ("context.traits.id"), as the mode specs name places; split once per destination.
export type Path = readonly string[];

export function compilePath(p: string): Path {
  return p.split('.');
}

export function readPath(o: unknown, path: Path): unknown {
  let v = o;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** A plain object (not an array), else undefined. */
export function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** A value worth mapping: not undefined, null or ''. */
export function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}
