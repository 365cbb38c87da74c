// Console sessions: a signed cookie (HttpOnly, SameSite=Strict) derived from the admin token, so that every
// node sharing the token accepts it and changing the token ends every session. State-changing calls must come
// from the console's own origin (https://owasp.org/www-community/SameSite and
// https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html#using-standard-headers-to-verify-origin).
import { createHmac } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { safeEqual } from '../util/secrets.js';

export const COOKIE = 'taproute_console';
const TTL_MS = 12 * 3_600_000;

function sign(token: string, expires: number): string {
  return createHmac('sha256', token).update(`console-session:${expires}`).digest('base64url');
}

export function sessionCookie(token: string, secure: boolean, now = Date.now()): string {
  const expires = now + TTL_MS;
  const flags = `Path=/console; HttpOnly; SameSite=Strict; Max-Age=${TTL_MS / 1000}${secure ? '; Secure' : ''}`;
  return `${COOKIE}=${expires}.${sign(token, expires)}; ${flags}`;
}

export function clearedCookie(): string {
  return `${COOKIE}=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0`;
}

function cookieValue(req: FastifyRequest): string | undefined {
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === COOKIE) return part.slice(i + 1).trim();
  }
  return undefined;
}

export function validSession(req: FastifyRequest, token: string, now = Date.now()): boolean {
  const v = cookieValue(req);
  const dot = v?.indexOf('.') ?? -1;
  if (!v || dot < 1) return false;
  const expires = Number(v.slice(0, dot));
  if (!Number.isFinite(expires) || expires < now) return false;
  return safeEqual(v.slice(dot + 1), sign(token, expires));
}

/** True when a state-changing request comes from the page's own origin (browsers send Origin on POST). */
export function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  const host = req.headers['x-forwarded-host'] ?? req.headers.host;
  if (!origin || !host) return false;
  try {
    return new URL(origin).host === String(host).split(',')[0].trim();
  } catch {
    return false;
  }
}

export function isSecure(req: FastifyRequest): boolean {
  return req.protocol === 'https' || String(req.headers['x-forwarded-proto'] ?? '').startsWith('https');
}

export function denied(reply: FastifyReply, status: number, error: string) {
  return reply.code(status).send({ error });
}
