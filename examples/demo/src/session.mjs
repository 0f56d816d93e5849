// @ts-check
/**
 * The host's own login session: a random session id in an httpOnly cookie, the session itself
 * (user, expiry, CSRF token) kept on the server, in the table `demo_sessions` of the Passport
 * database, so signing out ends it for good and every instance on one database (PostgreSQL with
 * `DATABASE_URL`; keys on Redis, a collection on MongoDB) knows every session. Passport only asks "who is signed in?" through
 * `authenticateUser`.
 *
 * Forms that change the session are protected against cross-site requests: `/login` with a token
 * bound to a pre-login cookie and signed with the demo's secret (no one can sign a victim in to
 * the attacker's account), `/logout` with the session's own token; both also refuse a foreign
 * `Origin`.
 * @module
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
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
 * @typedef {object} SessionRecord
 * @property {string} userId
 * @property {string} csrf
 * @property {number} expires  milliseconds since the epoch
 */

/**
 * @typedef {object} SessionTable
 * @property {(key: string) => Promise<SessionRecord | null>} find
 * @property {(key: string, record: SessionRecord) => Promise<void>} save
 * @property {(key: string) => Promise<void>} remove
 * @property {(now: number) => Promise<void>} removeExpired
 */

/**
 * The sessions table in the Passport database, created when missing (under an advisory lock, so
 * instances starting together do not race). Rows are keyed by the SHA-256 of the session id: the
 * table never holds a cookie value.
 * @param {import('@passport/store-postgres').SqlDriver} driver  the store's driver (`store.driver`)
 * @returns {Promise<SessionTable>}
 */
export async function sessionTable(driver) {
  await driver.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock(hashtext('demo_sessions'))");
    await tx.query(
      'CREATE TABLE IF NOT EXISTS demo_sessions (id text PRIMARY KEY, user_id text NOT NULL, csrf text NOT NULL, expires_at timestamptz NOT NULL)',
    );
  });
  return {
    async find(key) {
      const { rows } = await driver.query(
        'SELECT user_id, csrf, expires_at FROM demo_sessions WHERE id = $1',
        [key],
      );
      const row = /** @type {{ user_id: string; csrf: string; expires_at: Date } | undefined} */ (rows[0]);
      return row
        ? { userId: row.user_id, csrf: row.csrf, expires: new Date(row.expires_at).getTime() }
        : null;
    },
    async save(key, record) {
      await driver.query(
        'INSERT INTO demo_sessions (id, user_id, csrf, expires_at) VALUES ($1, $2, $3, $4)',
        [key, record.userId, record.csrf, new Date(record.expires)],
      );
    },
    async remove(key) {
      await driver.query('DELETE FROM demo_sessions WHERE id = $1', [key]);
    },
    async removeExpired(now) {
      await driver.query('DELETE FROM demo_sessions WHERE expires_at <= $1', [new Date(now)]);
    },
  };
}

/**
 * The sessions on Redis, for the demo on the Redis store: one key per session under the store's
 * prefix, expiring with the session, so instances on one Redis share sessions as they do on one
 * PostgreSQL database.
 * @param {import('@passport/store-redis').RedisStore['client']} client  the store's connection
 * @param {string} prefix  the store's key prefix
 * @returns {SessionTable}
 */
export function redisSessionTable(client, prefix) {
  const keyOf = (/** @type {string} */ key) => `${prefix}demo-session:${key}`;
  return {
    async find(key) {
      const value = await client.get(keyOf(key));
      return value === null ? null : JSON.parse(value);
    },
    async save(key, record) {
      const ttl = Math.max(1, record.expires - Date.now());
      await client.set(keyOf(key), JSON.stringify(record), 'PX', ttl);
    },
    async remove(key) {
      await client.del(keyOf(key));
    },
    async removeExpired() {},
  };
}

/**
 * The sessions on MongoDB, for the demo on the Mongo store: one document per session in the
 * collection `<prefix>demo_sessions` beside the store's own (same database, same prefix), keyed by
 * `_id` (the SHA-256 of the session id), so instances on one database share sessions as they do on
 * one PostgreSQL database. Expired sessions are refused on read and deleted at the next login.
 * @param {import('@passport/store-mongo').MongoStore['db']} db  the store's database
 * @param {string} prefix  the store's collection prefix (`store.collectionPrefix`)
 * @returns {SessionTable}
 */
export function mongoSessionTable(db, prefix) {
  /** @type {import('mongodb').Collection<{ _id: string; userId: string; csrf: string; expiresAt: Date }>} */
  const sessions = db.collection(`${prefix}demo_sessions`);
  return {
    async find(key) {
      const doc = await sessions.findOne({ _id: key });
      return doc ? { userId: doc.userId, csrf: doc.csrf, expires: doc.expiresAt.getTime() } : null;
    },
    async save(key, record) {
      await sessions.insertOne({
        _id: key,
        userId: record.userId,
        csrf: record.csrf,
        expiresAt: new Date(record.expires),
      });
    },
    async remove(key) {
      await sessions.deleteOne({ _id: key });
    },
    async removeExpired(now) {
      await sessions.deleteMany({ expiresAt: { $lte: new Date(now) } });
    },
  };
}

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
 * Session helpers bound to the demo's secret and its sessions table.
 * @param {string} secret at least 32 characters (signs the login form's CSRF token)
 * @param {{ secure: boolean; origin: string; table: SessionTable; now?: () => number }} options
 *   `secure`: cookies get the `Secure` attribute (the public origin is https); `origin`: the public
 *   origin a same-site form posts from; `table`: where sessions live ({@link sessionTable})
 */
export function createSessions(secret, options) {
  const now = options.now ?? Date.now;
  const { table } = options;
  const attributes = `Path=/; HttpOnly; SameSite=Lax${options.secure ? '; Secure' : ''}`;

  /** @param {string} value */
  const loginToken = (value) => createHmac('sha256', secret).update(`login:${value}`).digest('base64url');
  /** @param {string} id  the cookie's session id */
  const keyOf = (id) => createHash('sha256').update(id).digest('hex');

  /** @param {Request} request */
  const record = async (request) => {
    const id = readCookie(request, SESSION_COOKIE);
    if (!id || !/^[\w-]{43}$/.test(id)) return null;
    const key = keyOf(id);
    const found = await table.find(key);
    if (!found) return null;
    if (found.expires <= now()) {
      await table.remove(key);
      return null;
    }
    return { key, ...found };
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
      const found = await record(request);
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
    async start(request, userId) {
      const previous = await record(request);
      if (previous) await table.remove(previous.key);
      await table.removeExpired(now());
      const id = token();
      await table.save(keyOf(id), { userId, csrf: token(), expires: now() + LIFETIME_SECONDS * 1000 });
      return `${SESSION_COOKIE}=${id}; ${attributes}; Max-Age=${LIFETIME_SECONDS}`;
    },

    /**
     * Ends the request's session on the server; returns the `Set-Cookie` value clearing it.
     * @param {Request} request
     */
    async end(request) {
      const found = await record(request);
      if (found) await table.remove(found.key);
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
    async checkSessionForm(request, form) {
      if (!sameOrigin(request, options.origin)) return false;
      const found = await record(request);
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
