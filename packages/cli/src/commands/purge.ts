import { type Command, databaseHelp, databaseOptions, flagOption, stringOption } from '../command.js';
import { CliError } from '../errors.js';

/** Reads `--hours` (or another hours option): a whole number of hours, 0 or more. */
export function parseHours(text: string | undefined, fallback = 168, option = '--hours'): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text))
    throw new CliError('ERR_CLI_USAGE', `${option} must be a whole number of hours, not "${text}"`);
  return Number(text);
}

/** `passport purge`. */
export const purgeCommand: Command = {
  name: 'purge',
  summary: 'Delete revoked and expired tokens, codes and device codes, and long-revoked clients',
  usage: 'passport purge [--revoked] [--expired] [--hours 168] [--revoked-client-hours 720]',
  usesDatabase: true,
  options: {
    revoked: { type: 'boolean' },
    expired: { type: 'boolean' },
    hours: { type: 'string' },
    'revoked-client-hours': { type: 'string' },
    json: { type: 'boolean' },
    ...databaseOptions,
  },
  help: `Deletes revoked (and used) rows and rows that expired more than --hours ago, across access
tokens, refresh tokens, authorization codes and device codes; with the revoked rows, clients
deleted (revoked) more than --revoked-client-hours ago, with everything of theirs. Expired
single-use markers and rate-limit windows always go. Without --revoked or --expired, both.
Never deletes what detection still needs: a live refresh token's access token and its family's
history, or an authorization or device code before it expires (a replay must find it).

Options:
  --revoked            only revoked and used rows (and long-revoked clients)
  --expired            only rows expired more than --hours ago
  --hours N            keep expired rows for N hours                   default: 168 (7 days)
  --revoked-client-hours N
                       keep a deleted (revoked) client for N hours     default: 720 (30 days)
  --json               print the counts as JSON
${databaseHelp}`,
  async run(context) {
    const { io, values } = context;
    const onlyRevoked = flagOption(values, 'revoked');
    const onlyExpired = flagOption(values, 'expired');
    const both = !onlyRevoked && !onlyExpired;
    const revoked = both || onlyRevoked;
    const expired = both || onlyExpired;
    const hours = parseHours(stringOption(values, 'hours'));
    const clientHours = parseHours(
      stringOption(values, 'revoked-client-hours'),
      720,
      '--revoked-client-hours',
    );
    const now = new Date();
    const expiredBefore = expired ? new Date(now.getTime() - hours * 3_600_000) : null;
    const revokedClientsBefore = revoked ? new Date(now.getTime() - clientHours * 3_600_000) : null;
    const { store } = await context.database();
    const result = await store.purge({ revoked, expiredBefore, revokedClientsBefore, now });
    if (flagOption(values, 'json')) {
      io.out(`${JSON.stringify(result)}\n`);
      return 0;
    }
    const what = [revoked ? 'revoked' : null, expired ? `expired more than ${hours} hours ago` : null]
      .filter(Boolean)
      .join(' or ');
    io.out(
      `Purged ${result.accessTokens} access tokens, ${result.refreshTokens} refresh tokens, ` +
        `${result.authCodes} authorization codes and ${result.deviceCodes} device codes (${what}), ` +
        `${result.clients} revoked clients, ${result.nonces} expired markers and ` +
        `${result.rateLimits} rate-limit windows.\n`,
    );
    return 0;
  },
};
