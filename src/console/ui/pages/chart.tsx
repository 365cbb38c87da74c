// A small SVG line chart (no chart library needed for two lines).
const W = 720;
const H = 160;

export function RateChart({ points }: { points: { t: number; received: number; delivered: number; dead: number }[] }) {
  if (points.length < 2) return <p class="muted">Collecting samples (one every 10 s)…</p>;
  const t0 = points[0].t;
  const t1 = points[points.length - 1].t;
  const max = Math.max(1, ...points.map((p) => Math.max(p.received, p.delivered)));
  const line = (k: 'received' | 'delivered' | 'dead') =>
    points.map((p) => `${(((p.t - t0) / Math.max(1, t1 - t0)) * W).toFixed(1)},${(H - (p[k] / max) * H).toFixed(1)}`).join(' ');
  const last = points[points.length - 1];
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" height={H} role="img" aria-label="events per second">
        <polyline class="received" points={line('received')} />
        <polyline class="delivered" points={line('delivered')} />
        <polyline class="dead" points={line('dead')} />
      </svg>
      <figcaption>
        <span class="key received">received {last.received}/s</span> <span class="key delivered">delivered {last.delivered}/s</span>{' '}
        <span class="key dead">dead {last.dead}/s</span> <span class="muted">max {max}/s</span>
      </figcaption>
    </figure>
  );
}
