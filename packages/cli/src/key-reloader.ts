import type { KeySet, Passport } from '@passport/core';
import { oneLine } from './errors.js';
import { type LoadKeysOptions, loadKeysFrom } from './keys.js';

/** Options of {@link startKeyReloader}. */
export interface KeyReloaderOptions extends LoadKeysOptions {
  /** The passport whose keys are replaced (`passport.setKeys`) when the directory changes. */
  passport: Pick<Passport, 'keys' | 'setKeys'>;
  /** The keys directory (what `passport keys` writes, and `loadKeysFrom` reads). */
  path: string;
  /**
   * Seconds between two reloads; `0` turns the timer off (reload on the signal only). Keep it
   * shorter than the rotation delay (`passport keys --rotate --delay`, default 3600 s) minus the
   * JWKS cache time (300 s).
   * @default 60
   */
  intervalSeconds?: number;
  /** The process signal that reloads at once; `null` for none. @default 'SIGHUP' */
  signal?: NodeJS.Signals | null;
  /**
   * Where the reloader reports, one line each: the keys changed; a reload failed (once per
   * distinct failure, while the keys in use stay); reloading works again.
   * @default console.error
   */
  log?: (message: string) => void;
}

/** A running reloader, from {@link startKeyReloader}. */
export interface KeyReloader {
  /**
   * Reads the directory now and, when its keys differ from the ones in use, hands the new set to
   * `passport.setKeys`. Resolves `true` when the keys changed. Never rejects: a failure is
   * logged and the keys in use stay.
   */
  reload(): Promise<boolean>;
  /** Stops the timer and removes the signal listener. */
  close(): void;
}

/** What identifies a key set's content: kids, private halves and activation times. */
function fingerprint(keys: KeySet): string {
  return keys.keys
    .map((key) => `${key.kid}:${key.privateKey === null ? 'v' : 's'}:${keys.activationOf(key.kid) ?? ''}`)
    .sort()
    .join(',');
}

/**
 * Keeps a running passport's keys in step with its key directory, without a restart (Node only):
 * reloads on a timer and on a signal, so a `passport keys --rotate` on the shared directory (a
 * volume, a mounted secret) reaches every instance within `intervalSeconds`. Since a rotated key
 * is published at once and signs only after the rotation delay, every instance publishes a new
 * key before any of them signs with it. A directory that cannot be read (a file half copied, a
 * key with loose permissions) leaves the keys in use as they are and is logged once.
 *
 * @example
 * ```ts
 * const passport = createPassport({ issuer, store, keys: (await loadKeysFrom('storage'))! });
 * const reloader = startKeyReloader({ passport, path: 'storage' }); // every 60 s and on SIGHUP
 * process.once('SIGTERM', () => reloader.close());
 * ```
 */
export function startKeyReloader(options: KeyReloaderOptions): KeyReloader {
  const { passport, path } = options;
  const intervalSeconds = options.intervalSeconds ?? 60;
  if (!Number.isFinite(intervalSeconds) || intervalSeconds < 0) {
    throw new TypeError(`startKeyReloader: intervalSeconds must be a number >= 0, not ${intervalSeconds}`);
  }
  const log = options.log ?? ((message: string) => console.error(message));
  const loadOptions: LoadKeysOptions = {};
  if (options.allowInsecurePermissions !== undefined) {
    loadOptions.allowInsecurePermissions = options.allowInsecurePermissions;
  }
  if (options.env !== undefined) loadOptions.env = options.env;

  let current = fingerprint(passport.keys);
  let failure: string | null = null;
  let running: Promise<boolean> | null = null;

  async function load(): Promise<boolean> {
    try {
      const keys = await loadKeysFrom(path, loadOptions);
      if (keys === null) throw new Error(`no key files in ${path}`);
      if (failure !== null) {
        failure = null;
        log(`passport: the keys in ${path} load again`);
      }
      const next = fingerprint(keys);
      if (next === current) return false;
      passport.setKeys(keys);
      current = next;
      log(
        `passport: keys reloaded from ${path}: ${keys.keys.length} published, ${keys.activeAt(Date.now()).kid} signs`,
      );
      return true;
    } catch (error) {
      const message = oneLine(error);
      if (message !== failure) {
        failure = message;
        log(`passport: cannot reload the keys from ${path} (the keys in use stay): ${message}`);
      }
      return false;
    }
  }

  const reload = (): Promise<boolean> => {
    running ??= load().finally(() => {
      running = null;
    });
    return running;
  };
  const onSignal = () => {
    void reload();
  };
  const timer = intervalSeconds > 0 ? setInterval(onSignal, intervalSeconds * 1000) : null;
  timer?.unref();
  const signal = options.signal === undefined ? 'SIGHUP' : options.signal;
  if (signal !== null) process.on(signal, onSignal);

  return {
    reload,
    close() {
      if (timer !== null) clearInterval(timer);
      if (signal !== null) process.off(signal, onSignal);
    },
  };
}
