// Config that loads but probably does not do what was meant: said once at start, as a warning.
import type { Config } from './schema.js';

export function configWarnings(cfg: Config): string[] {
  const out: string[] = [];
  const connected = new Set(cfg.connections.flatMap((c) => [`s:${c.source}`, `d:${c.destination}`]));
  for (const s of cfg.sources)
    if (!connected.has(`s:${s.id}`)) out.push(`source "${s.id}" has no connection: its events are stored but go nowhere (add one under connections)`);
  for (const d of cfg.destinations)
    if (!connected.has(`d:${d.id}`)) out.push(`destination "${d.id}" has no connection: nothing will be sent to it (add one under connections)`);
  return out;
}
