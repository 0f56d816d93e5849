// @ts-check
/**
 * The host's own login session: a signed, httpOnly cookie holding the user id and an expiry.
 * Passport only asks "who is signed in?" through `authenticateUser`.
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { userProvider } from './users.mjs';

const COOKIE = 'demo_session';
const LIFETIME_SECONDS = 8 * 3600;

/**
 * @param {string} secret
 * @param {string} value
 */
function sign(secret, value) {
  return createHmac('sha256', secret).update(value).digest('base64url');
}

/**
 * Reads one cookie from a request.
 * @param {Request} request
 * @param {string} name
 * @returns {string | null}
 */
export function readCookie(request, name) {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return null;
}

/**
 * Session helpers bound to the demo's secret.
 * @param {string} secret at least 32 characters
 */
export function createSessions(secret) {
  return {
    /**
     * `Set-Cookie` value signing in `userId`.
     * @param {string} userId
     * @param {number} now ms
     */
    issue(userId, now = Date.now()) {
      const value = `${encodeURIComponent(userId)}.${Math.floor(now / 1000) + LIFETIME_SECONDS}`;
      return `${COOKIE}=${value}.${sign(secret, value)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${LIFETIME_SECONDS}`;
    },
    /** `Set-Cookie` value signing out. */
    clear() {
      return `${COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;
    },
    /**
     * The signed-in user, or `null`.
     * @param {Request} request
     * @returns {Promise<import('./users.mjs').DemoUser | null>}
     */
    async user(request) {
      const cookie = readCookie(request, COOKIE);
      if (!cookie) return null;
      const [id, expires, signature] = cookie.split('.');
      if (!id || !expires || !signature) return null;
      const expected = Buffer.from(sign(secret, `${id}.${expires}`));
      const given = Buffer.from(signature);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      if (Number(expires) * 1000 <= Date.now()) return null;
      return userProvider.findById(decodeURIComponent(id));
    },
  };
}
