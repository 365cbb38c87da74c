// Secrets that travel in a URL: Segment's SDKs put the write key in the path (settings, the served analytics.js),
// RudderStack's beacon and control-plane calls put it in the query string, a console login may carry a token.
// Every URL that reaches a log line goes through redactUrl first.

const SECRET_PATH = [/^(\/v1\/projects\/)[^/?#]+/, /^(\/analytics\.js\/v1\/)[^/?#]+/];
const SECRET_QUERY = new Set(['writekey', 'token', 'key', 'secret', 'passcode', 'password', 'access_token']);

export const REDACTED = '[redacted]';

/** The URL with every secret path segment and query value replaced by `[redacted]`. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  let path = q < 0 ? url : url.slice(0, q);
  for (const re of SECRET_PATH) path = path.replace(re, `$1${REDACTED}`);
  if (q < 0) return path;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name);
      } catch {
        // keep the raw name
      }
      return eq >= 0 && SECRET_QUERY.has(decoded.toLowerCase()) ? `${name}=${REDACTED}` : pair;
    })
    .join('&');
  return `${path}?${query}`;
}

/** A connection URL (`postgres://user:password@host/db?password=…`) with its password replaced by `[redacted]`. */
export function redactCredentials(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return REDACTED; // not a URL: it may be anything, a password included
  }
  const auth = u.username ? `${u.username}${u.password ? `:${REDACTED}` : ''}@` : '';
  return redactUrl(`${u.protocol}//${auth}${u.host}${u.pathname}${u.search}`);
}
