import { type Command, databaseHelp, databaseOptions, flagOption, stringOption } from '../command.js';
import { CliError } from '../errors.js';

/** Reads `--hours`: a whole number of hours, 0 or more. */
export function parseHours(text: string | undefined): number {
  if (text === undefined) return 168;
  if (!/^\d+$/.test(text))
    throw new CliError('ERR_CLI_USAGE', `--hours must be a whole number of hours, not "${text}"`);
  return Number(text);
}

/** `passport purge`. */
export const purgeCommand: Command = {
  name: 'purge',
  summary: 'Delete revoked and expired tokens, codes and device codes',
  usage: 'passport purge [--revoked] [--expired] [--hours 168]',
  usesDatabase: true,
  options: {
    revoked: { type: 'boolean' },
    expired: { type: 'boolean' },
    hours: { type: 'string' },
    json: { type: 'boolean' },
    ...databaseOptions,
  },
  help: `Deletes revoked (and used) rows and rows that expired more than --hours ago, across access
tokens, refresh tokens, authorization codes and device codes. Without --revoked or --expired, both.
Never deletes what a live refresh token still needs (its access token, its family's history).

Options:
  --revoked            only revoked and used rows
  --expired            only rows expired more than --hours ago
  --hours N            keep expired rows for N hours                   default: 168 (7 days)
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
    const now = new Date();
    const expiredBefore = expired ? new Date(now.getTime() - hours * 3_600_000) : null;
    const { store } = await context.database();
    const result = await store.purge({ revoked, expiredBefore, now });
    if (flagOption(values, 'json')) {
      io.out(`${JSON.stringify(result)}\n`);
      return 0;
    }
    const what = [revoked ? 'revoked' : null, expired ? `expired more than ${hours} hours ago` : null]
      .filter(Boolean)
      .join(' or ');
    io.out(
      `Purged ${result.accessTokens} access tokens, ${result.refreshTokens} refresh tokens, ` +
        `${result.authCodes} authorization codes and ${result.deviceCodes} device codes (${what}).\n`,
    );
    return 0;
  },
};
