// @ts-check
/**
 * The demo's settings, read from its environment once at start. A bad value stops the demo with
 * one line naming the variable and what it accepts (see the table in the demo README).
 * @module
 */
import { resolve } from 'node:path';

/**
 * @typedef {object} DemoSettings
 * @property {number} port  PORT (default 8000; 0 picks a free port)
 * @property {string} host  HOST (default 127.0.0.1)
 * @property {string} dataDir  PASSPORT_DEMO_DATA, absolute (default ./.passport-demo)
 * @property {string} [databaseUrl]  DATABASE_URL: postgres://... instead of the embedded PGlite
 * @property {string} [redisUrl]  REDIS_URL: redis://... to use Redis (when DATABASE_URL is unset)
 * @property {string} [redisPrefix]  PASSPORT_DEMO_REDIS_PREFIX (default passport-demo:)
 * @property {string} [mongodbUrl]  MONGODB_URL: mongodb://... to use MongoDB or FerretDB (when
 *   DATABASE_URL and REDIS_URL are unset)
 * @property {string} [issuer]  PASSPORT_ISSUER: the public origin (default http://HOST:PORT)
 * @property {number} [accessTokenTtl]  PASSPORT_ACCESS_TOKEN_TTL in seconds
 * @property {number} [refreshTokenTtl]  PASSPORT_REFRESH_TOKEN_TTL in seconds
 * @property {string} [secret]  PASSPORT_SECRET (default: a random one kept in the data directory)
 * @property {number} [revocationCacheSeconds]  PASSPORT_REVOCATION_CACHE_SECONDS (default core's, 5)
 */

/** The longest lifetime accepted: ten years, well within what a JWT `exp` and a `Date` can hold. */
export const MAX_TTL_SECONDS = 10 * 365 * 24 * 3600;

/** Seconds per duration unit. */
const UNIT_SECONDS = /** @type {const} */ ({ s: 1, m: 60, h: 3600, d: 86_400 });

/** A setting the demo cannot start with: its message is the one line the demo prints. */
export class DemoSettingsError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = 'DemoSettingsError';
  }
}

/**
 * A token lifetime: a whole number of seconds (`900`), or of minutes, hours or days with the unit
 * after it (`15m`, `1h`, `30d`; `s` for seconds). At least 1 second, at most ten years.
 * @param {string} name  the variable, for the message
 * @param {string} value
 * @returns {number} seconds
 * @example parseDuration('PASSPORT_ACCESS_TOKEN_TTL', '15m') // 900
 */
export function parseDuration(name, value) {
  const text = value.trim();
  const last = text.at(-1) ?? '';
  const unit = last in UNIT_SECONDS ? /** @type {keyof typeof UNIT_SECONDS} */ (last) : null;
  const digits = unit === null ? text : text.slice(0, -1);
  const seconds = /^[0-9]{1,12}$/.test(digits) ? Number(digits) * UNIT_SECONDS[unit ?? 's'] : Number.NaN;
  if (!(seconds >= 1 && seconds <= MAX_TTL_SECONDS)) {
    throw new DemoSettingsError(
      `${name} must be a lifetime in seconds (900) or with a unit (15m, 1h, 30d), from 1 second to 10 years, not ${JSON.stringify(value)}`,
    );
  }
  return seconds;
}

/**
 * The public origin the demo is reached at: an absolute http or https URL without path, query or
 * fragment (`https://auth.example.com`). Returned without a trailing slash.
 * @param {string} value
 */
export function parseIssuer(value) {
  /** @type {URL | null} */
  let url = null;
  try {
    url = new URL(value);
  } catch {
    // reported below
  }
  if (
    url === null ||
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    url.pathname !== '/' ||
    url.search !== '' ||
    url.hash !== '' ||
    value.endsWith('?') ||
    value.endsWith('#') ||
    url.username !== '' ||
    url.password !== ''
  ) {
    throw new DemoSettingsError(
      `PASSPORT_ISSUER must be the origin users reach the demo at, such as https://auth.example.com (http or https, no path, query or credentials), not ${JSON.stringify(value)}`,
    );
  }
  return url.origin;
}

/**
 * Reads and checks the demo's environment.
 * @param {Record<string, string | undefined>} env
 * @param {string} cwd  what a relative PASSPORT_DEMO_DATA is relative to
 * @returns {DemoSettings}
 */
export function demoSettings(env, cwd) {
  const portText = env.PORT ?? '8000';
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 0 && port <= 65_535)) {
    throw new DemoSettingsError(
      `PORT must be a port number from 0 to 65535, not ${JSON.stringify(portText)}`,
    );
  }
  /** @type {DemoSettings} */
  const settings = {
    port,
    host: env.HOST || '127.0.0.1',
    dataDir: resolve(cwd, env.PASSPORT_DEMO_DATA || '.passport-demo'),
  };
  if (env.DATABASE_URL) settings.databaseUrl = env.DATABASE_URL;
  if (env.REDIS_URL && !env.DATABASE_URL) {
    settings.redisUrl = env.REDIS_URL;
    if (env.PASSPORT_DEMO_REDIS_PREFIX) settings.redisPrefix = env.PASSPORT_DEMO_REDIS_PREFIX;
  }
  if (env.MONGODB_URL && !env.DATABASE_URL && !env.REDIS_URL) {
    if (!env.MONGODB_URL.startsWith('mongodb://') && !env.MONGODB_URL.startsWith('mongodb+srv://')) {
      throw new DemoSettingsError(
        'MONGODB_URL must be a mongodb:// or mongodb+srv:// connection string, such as mongodb://127.0.0.1:27017/passport',
      );
    }
    settings.mongodbUrl = env.MONGODB_URL;
  }
  if (env.PASSPORT_ISSUER) settings.issuer = parseIssuer(env.PASSPORT_ISSUER);
  if (env.PASSPORT_ACCESS_TOKEN_TTL) {
    settings.accessTokenTtl = parseDuration('PASSPORT_ACCESS_TOKEN_TTL', env.PASSPORT_ACCESS_TOKEN_TTL);
  }
  if (env.PASSPORT_REFRESH_TOKEN_TTL) {
    settings.refreshTokenTtl = parseDuration('PASSPORT_REFRESH_TOKEN_TTL', env.PASSPORT_REFRESH_TOKEN_TTL);
  }
  if (env.PASSPORT_SECRET !== undefined && env.PASSPORT_SECRET !== '') {
    const secret = env.PASSPORT_SECRET;
    if (secret.length < 32 || secret.length > 1024 || /[^\x21-\x7e]/.test(secret)) {
      throw new DemoSettingsError(
        'PASSPORT_SECRET must be 32 to 1024 printable ASCII characters without blanks (e.g. the output of: openssl rand -base64 32)',
      );
    }
    settings.secret = secret;
  }
  if (env.PASSPORT_REVOCATION_CACHE_SECONDS) {
    const text = env.PASSPORT_REVOCATION_CACHE_SECONDS;
    const seconds = /^[0-9]{1,3}$/.test(text) ? Number(text) : Number.NaN;
    if (!(seconds >= 0 && seconds <= 300)) {
      throw new DemoSettingsError(
        `PASSPORT_REVOCATION_CACHE_SECONDS must be a whole number of seconds from 0 to 300, not ${JSON.stringify(text)}`,
      );
    }
    settings.revocationCacheSeconds = seconds;
  }
  return settings;
}
