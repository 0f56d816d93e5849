// @ts-check
/**
 * The host's own login session: a random session id in an httpOnly cookie, the session itself
 * (user, expiry, CSRF token) kept on the server, so signing out ends it for good. Passport only
 * asks "who is signed in?" through `authenticateUser`.
 *
 * Forms that change the session are protected against cross-site requests: `/login` with a token
 * bound to a pre-login cookie (no one can sign a victim in to the attacker's account), `/logout`
 * with the session's own token; both also refuse a foreign `Origin`.
 * @module
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { userProvider } from './users.mjs';

const SESSION_COOKIE = 'demo_session';
const LOGIN_COOKIE = 'demo_login';
const LIFETIME_SECONDS = 8 * 3600;

/**
 * @typedef {object} Session
 * @property {import('./users.mjs').DemoUser} user
 * @property {string} csrf  the token the session's forms carry (`csrf_token`)
 */

/**
 * Reads one cookie from a request.
 * @param {Request} request
 * @param {string} name
 * @returns {string | null}
 */
export function readCookie(request, name) {
  for (const part of (request.headers.get('cookie') ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq >= 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

/**
 * Constant-time string comparison.
 * @param {string} a
 * @param {string} b
 */
function same(a, b) {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

const token = () => randomBytes(32).toString('base64url');

/**
 * Session helpers bound to the demo's secret.
 * @param {string} secret at least 32 characters (signs the login form's CSRF token)
 * @param {{ secure: boolean; origin: string; now?: () => number }} options  `secure`: cookies get
 *   the `Secure` attribute (the public origin is https); `origin`: the public origin a same-site
 *   form posts from
 */
export function createSessions(secret, options) {
  const now = options.now ?? Date.now;
  const attributes = `Path=/; HttpOnly; SameSite=Lax${options.secure ? '; Secure' : ''}`;
  /** @type {Map<string, { userId: string; csrf: string; expires: number }>} */
  const sessions = new Map();

  /** @param {string} value */
  const loginToken = (value) => createHmac('sha256', secret).update(`login:${value}`).digest('base64url');

  /** @param {Request} request */
  const record = (request) => {
    const id = readCookie(request, SESSION_COOKIE);
    if (!id) return null;
    const found = sessions.get(id);
    if (!found) return null;
    if (found.expires <= now()) {
      sessions.delete(id);
      return null;
    }
    return { id, ...found };
  };

  return {
    /**
     * The signed-in user, or `null`.
     * @param {Request} request
     * @returns {Promise<import('./users.mjs').DemoUser | null>}
     */
    async user(request) {
      return (await this.session(request))?.user ?? null;
    },

    /**
     * The session of the request (its user and CSRF token), or `null`.
     * @param {Request} request
     * @returns {Promise<Session | null>}
     */
    async session(request) {
      const found = record(request);
      if (!found) return null;
      const user = await userProvider.findById(found.userId);
      return user ? { user, csrf: found.csrf } : null;
    },

    /**
     * A new session for `userId` (a fresh id, so a session id planted before login is worthless),
     * ending the request's previous one. Returns its `Set-Cookie` value.
     * @param {Request} request
     * @param {string} userId
     */
    start(request, userId) {
      const previous = record(request);
      if (previous) sessions.delete(previous.id);
      const id = token();
      sessions.set(id, { userId, csrf: token(), expires: now() + LIFETIME_SECONDS * 1000 });
      return `${SESSION_COOKIE}=${id}; ${attributes}; Max-Age=${LIFETIME_SECONDS}`;
    },

    /**
     * Ends the request's session on the server; returns the `Set-Cookie` value clearing it.
     * @param {Request} request
     */
    end(request) {
      const found = record(request);
      if (found) sessions.delete(found.id);
      return `${SESSION_COOKIE}=; ${attributes}; Max-Age=0`;
    },

    /**
     * The login form's CSRF token for this browser, and the `Set-Cookie` value to send when the
     * browser has no pre-login cookie yet.
     * @param {Request} request
     * @returns {{ csrf: string; cookie: string | null }}
     */
    loginForm(request) {
      const existing = readCookie(request, LOGIN_COOKIE);
      if (existing && /^[\w-]{43}$/.test(existing)) return { csrf: loginToken(existing), cookie: null };
      const value = token();
      return { csrf: loginToken(value), cookie: `${LOGIN_COOKIE}=${value}; ${attributes}; Max-Age=3600` };
    },

    /**
     * `true` when a login form post is same-site and carries the token of this browser's pre-login
     * cookie.
     * @param {Request} request
     * @param {URLSearchParams} form
     */
    checkLoginForm(request, form) {
      if (!sameOrigin(request, options.origin)) return false;
      const cookie = readCookie(request, LOGIN_COOKIE);
      const given = form.get('csrf_token');
      return Boolean(cookie && given && same(given, loginToken(cookie)));
    },

    /**
     * `true` when a form post of a signed-in user is same-site and carries the session's token.
     * @param {Request} request
     * @param {URLSearchParams} form
     */
    checkSessionForm(request, form) {
      if (!sameOrigin(request, options.origin)) return false;
      const found = record(request);
      const given = form.get('csrf_token');
      return Boolean(found && given && same(given, found.csrf));
    },
  };
}

/**
 * `false` when the request comes with an `Origin` other than the demo's public origin.
 * @param {Request} request
 * @param {string} origin
 */
function sameOrigin(request, origin) {
  const given = request.headers.get('origin');
  return given === null || given === origin;
}
