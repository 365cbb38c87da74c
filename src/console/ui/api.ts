// JSON calls to the console API. The session cookie goes along by itself (same origin); a 401 shows the login form.
export class Unauthorized extends Error {}

let onUnauthorized: () => void = () => {};
export function whenUnauthorized(fn: () => void): void {
  onUnauthorized = fn;
}

export async function api<T = any>(path: string, o: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(`/console/api${path}`, {
    method: o.method ?? (o.body === undefined ? 'GET' : 'POST'),
    headers: o.body === undefined ? {} : { 'content-type': 'application/json' },
    body: o.body === undefined ? undefined : JSON.stringify(o.body),
    credentials: 'same-origin',
  });
  const data = await res.json().catch(() => ({}));
  if (res.status === 401) {
    onUnauthorized();
    throw new Unauthorized(data.error ?? 'log in');
  }
  if (!res.ok) throw new Error(data.error ?? `HTTP ${res.status}`);
  return data as T;
}

export function time(ms: number | undefined): string {
  return ms === undefined ? '' : new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}
