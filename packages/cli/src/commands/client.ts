import { type ClientRecord, type GrantType, type Passport, textProblem } from '@passport/core';
import {
  type Command,
  type CommandContext,
  databaseHelp,
  databaseOptions,
  flagOption,
  listOption,
  type OptionValues,
  stringOption,
} from '../command.js';
import { createCore } from '../core.js';
import { CliError, oneLine } from '../errors.js';
import type { Prompter } from '../io.js';

/** The kinds of client `passport client` creates, by flag: each presets a list of grants. */
export type ClientKind = 'authorization_code' | 'client' | 'password' | 'personal' | 'implicit' | 'device';

interface KindSpec {
  label: string;
  grantTypes: GrantType[];
  defaultName: string | null;
}

const DEVICE_CODE: GrantType = 'urn:ietf:params:oauth:grant-type:device_code';

const kinds: Record<ClientKind, KindSpec> = {
  authorization_code: {
    label: 'Authorization code (a web app with a redirect URI)',
    grantTypes: ['authorization_code', 'refresh_token'],
    defaultName: null,
  },
  client: {
    label: 'Client credentials (machine to machine)',
    grantTypes: ['client_credentials'],
    defaultName: null,
  },
  password: {
    label: 'Password grant',
    grantTypes: ['password', 'refresh_token'],
    defaultName: 'Password Grant Client',
  },
  personal: {
    label: 'Personal access',
    grantTypes: ['personal_access'],
    defaultName: 'Personal Access Client',
  },
  implicit: {
    label: 'Implicit grant (legacy browser apps)',
    grantTypes: ['implicit'],
    defaultName: null,
  },
  device: {
    label: 'Device authorization (TVs, CLIs)',
    grantTypes: [DEVICE_CODE, 'refresh_token'],
    defaultName: null,
  },
};

const kindFlags: readonly Exclude<ClientKind, 'authorization_code'>[] = [
  'client',
  'password',
  'personal',
  'implicit',
  'device',
];

/** The grants `kind` presets (`--client` is `client_credentials`, ...). */
export function kindGrants(kind: ClientKind): GrantType[] {
  return [...kinds[kind].grantTypes];
}

/** `--grant` values: every grant type, and `device_code` for the device grant's URN. */
const grantNames: Record<string, GrantType> = {
  authorization_code: 'authorization_code',
  refresh_token: 'refresh_token',
  client_credentials: 'client_credentials',
  password: 'password',
  implicit: 'implicit',
  personal_access: 'personal_access',
  device_code: DEVICE_CODE,
  [DEVICE_CODE]: DEVICE_CODE,
};

/** Grants that send the user back to a redirect URI, so need one registered. */
const redirectGrants: readonly GrantType[] = ['authorization_code', 'implicit'];
/** Grants that issue refresh tokens: `refresh_token` alone could never be used. */
const refreshIssuingGrants: readonly GrantType[] = ['authorization_code', 'password', DEVICE_CODE];
/** Grants only a confidential client may have. */
const confidentialGrants: readonly GrantType[] = ['client_credentials', 'personal_access'];

/** Longest `--owner` accepted: the JSON API's limit for ids. */
const MAX_OWNER_LENGTH = 255;

/**
 * Splits a list option on commas and blanks (`"a b,c"` is `a`, `b`, `c`), dropping empty items.
 */
function splitList(value: string): string[] {
  return value
    .split(',')
    .flatMap((item) => item.split(' '))
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

/**
 * Splits `--redirect-uri` on commas: a comma inside a URL must be percent-encoded
 * (`%2C`), and stays encoded.
 */
export function parseRedirectUris(value: string): string[] {
  return value
    .split(',')
    .map((uri) => uri.trim())
    .filter((uri) => uri !== '');
}

/**
 * Reads the `--grant` values (repeatable; each may also be a comma-separated list) as grant
 * types. Throws {@link CliError} `ERR_CLI_USAGE` for a name that is not a grant.
 *
 * @example
 * ```ts
 * parseGrants(['authorization_code', 'device_code']);
 * // ['authorization_code', 'urn:ietf:params:oauth:grant-type:device_code']
 * ```
 */
export function parseGrants(values: readonly string[]): GrantType[] {
  const grants: GrantType[] = [];
  for (const name of values.flatMap(splitList)) {
    const grant = Object.hasOwn(grantNames, name) ? grantNames[name] : undefined;
    if (grant === undefined) {
      throw new CliError(
        'ERR_CLI_USAGE',
        `--grant ${name} is not a grant (grants: ${Object.keys(grantNames).slice(0, -1).join(', ')})`,
      );
    }
    if (!grants.includes(grant)) grants.push(grant);
  }
  return grants;
}

/**
 * Reads `--scopes`: scope ids separated by blanks or commas (`"orders:read orders:write"`).
 * Throws {@link CliError} `ERR_CLI_USAGE` when the list is empty.
 */
export function parseScopes(value: string): string[] {
  const scopes = [...new Set(splitList(value))];
  if (scopes.length === 0) {
    throw new CliError('ERR_CLI_USAGE', '--scopes needs at least one scope id (see passport client --help)');
  }
  return scopes;
}

/** Input to {@link createClientOfKind}. */
export interface ClientRequest {
  /** The preset whose grants the client gets (with {@link ClientRequest.grantTypes} added). */
  kind: ClientKind | null;
  public: boolean;
  name: string;
  redirectUris: string[];
  provider: string | null;
  /** May introspect tokens of other clients (RFC 7662 section 2.1). @default false */
  resourceServer?: boolean;
  /** Grants besides the kind's preset (`--grant`, further kind flags). @default [] */
  grantTypes?: GrantType[];
  /** The user that owns the client. @default null */
  ownerId?: string | null;
  /** Skips the approval screen. @default false */
  firstParty?: boolean;
  /** Scopes the client may request; `null` for any defined scope. @default null */
  scopes?: string[] | null;
}

/**
 * The grants a request gives its client: the kind's preset, then the further grants, without
 * repeats.
 */
export function requestedGrants(request: Pick<ClientRequest, 'kind' | 'grantTypes'>): GrantType[] {
  const preset = request.kind === null ? [] : kinds[request.kind].grantTypes;
  return [...new Set([...preset, ...(request.grantTypes ?? [])])];
}

/**
 * Whether the client is confidential: unless `--public`, or when its only grant is `implicit`
 * (the implicit grant never presents a secret).
 */
function isConfidential(request: Pick<ClientRequest, 'public'>, grants: readonly GrantType[]): boolean {
  return !request.public && !(grants.length === 1 && grants[0] === 'implicit');
}

/**
 * Why the grants and confidentiality of a request cannot make a working client, in one line, or
 * `null` when they can. The redirect URI rule is core's (checked once the URIs are known).
 */
export function grantProblem(grants: readonly GrantType[], confidential: boolean): string | null {
  if (grants.length === 0) return 'the client needs at least one grant';
  if (!confidential) {
    const needsSecret = grants.filter((grant) => confidentialGrants.includes(grant));
    if (needsSecret.length > 0) {
      return `a public client cannot have the ${needsSecret.join(' or ')} grant (it has no secret); drop --public`;
    }
  }
  if (grants.includes('refresh_token') && !grants.some((grant) => refreshIssuingGrants.includes(grant))) {
    return 'refresh_token needs a grant that issues refresh tokens (authorization_code, password or device_code)';
  }
  return null;
}

/**
 * Creates a client through core's client service and returns it with its plain secret: the
 * grants of `request.kind` plus `request.grantTypes`, confidential unless `request.public` (or
 * when `implicit` is its only grant). Validation failures become {@link CliError}
 * `ERR_CLI_VALIDATION` (exit code 1) with core's per-field messages.
 */
export async function createClientOfKind(
  passport: Passport,
  request: ClientRequest,
): Promise<{ client: ClientRecord; plainSecret: string | null }> {
  const grantTypes = requestedGrants(request);
  const confidential = isConfidential(request, grantTypes);
  const problem = grantProblem(grantTypes, confidential);
  if (problem !== null) throw new CliError('ERR_CLI_VALIDATION', problem);
  try {
    return await passport.clients.create({
      name: request.name,
      grantTypes,
      redirectUris: request.redirectUris,
      confidential,
      provider: request.provider,
      resourceServer: request.resourceServer ?? false,
      ownerId: request.ownerId ?? null,
      firstParty: request.firstParty ?? false,
      scopes: request.scopes ?? null,
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_VALIDATION') {
      throw new CliError('ERR_CLI_VALIDATION', oneLine(error), { cause: error });
    }
    throw error;
  }
}

/**
 * The client as `--json` prints it: every field of the stored client (dates as ISO 8601
 * strings), with the plain `secret` (shown this once; `null` for a public client) in place of
 * the stored hash.
 */
export function clientJson(client: ClientRecord, plainSecret: string | null) {
  const { id, secretHash: _hash, ...fields } = client;
  return { id, secret: plainSecret, ...fields };
}

/** The lines that show a new client's credentials and what sets it apart. */
export function clientLines(client: ClientRecord, plainSecret: string | null): string {
  const lines = [`  Client ID ........ ${client.id}`];
  if (plainSecret === null) lines.push('  Client secret .... none (public client: use PKCE)');
  else lines.push(`  Client secret .... ${plainSecret}`);
  if (client.redirectUris.length > 0) lines.push(`  Redirect URIs .... ${client.redirectUris.join(', ')}`);
  if (client.ownerId !== null) lines.push(`  Owner ............ ${client.ownerId}`);
  if (client.firstParty) lines.push('  First party ...... yes (skips the approval screen)');
  if (client.scopes !== null) lines.push(`  Scopes ........... ${client.scopes.join(' ')}`);
  return `${lines.join('\n')}\n`;
}

async function askKind(prompter: Prompter): Promise<ClientKind> {
  const choices = (Object.keys(kinds) as ClientKind[]).map((value) => ({ value, label: kinds[value].label }));
  return prompter.choose('Which kind of client?', choices, {
    missing: 'choose the kind of client',
    fallback: 'authorization_code',
  });
}

/** `--owner`: a user id, checked as the JSON API checks ids (length, no control character). */
function ownerOption(values: OptionValues): string | null {
  const owner = stringOption(values, 'owner');
  if (owner === undefined) return null;
  if (owner.trim() === '') throw new CliError('ERR_CLI_USAGE', '--owner needs a user id');
  const problem = textProblem(owner, { maxLength: MAX_OWNER_LENGTH });
  if (problem === 'too-long') {
    throw new CliError('ERR_CLI_USAGE', `--owner must not be longer than ${MAX_OWNER_LENGTH} characters`);
  }
  if (problem !== null) throw new CliError('ERR_CLI_USAGE', '--owner must not contain control characters');
  return owner;
}

/**
 * Core's refusal of an undefined scope, with where scopes are defined when the config defines
 * none (the CLI knows only the scopes of `passport.config.*`); `null` for any other error.
 */
async function undefinedScopesHint(context: CommandContext, error: unknown): Promise<CliError | null> {
  const fields = (error as { cause?: { fields?: Record<string, unknown> } }).cause?.fields;
  if (!(error instanceof CliError) || fields?.scopes === undefined) return null;
  const { config, path } = await context.config();
  if (config.options?.scopes !== undefined) return null;
  const where = path === null ? 'no passport.config file was found' : `${path} defines no options.scopes`;
  return new CliError('ERR_CLI_VALIDATION', `${error.message} (${where}: scopes are defined there)`, {
    cause: error,
  });
}

/** `passport client`. */
export const clientCommand: Command = {
  name: 'client',
  summary: 'Create an OAuth client and print its id and secret (once)',
  usage:
    'passport client [--client] [--password] [--personal] [--implicit] [--device] [--grant G ...]\n' +
    '                       [--public] [--name N] [--redirect-uri A,B] [--provider P] [--owner ID]\n' +
    '                       [--first-party] [--resource-server] [--scopes "A B"] [--json]',
  usesDatabase: true,
  options: {
    client: { type: 'boolean' },
    password: { type: 'boolean' },
    personal: { type: 'boolean' },
    public: { type: 'boolean' },
    implicit: { type: 'boolean' },
    device: { type: 'boolean' },
    grant: { type: 'string', multiple: true },
    name: { type: 'string' },
    'redirect-uri': { type: 'string' },
    provider: { type: 'string' },
    'resource-server': { type: 'boolean' },
    owner: { type: 'string' },
    'first-party': { type: 'boolean' },
    scopes: { type: 'string' },
    json: { type: 'boolean' },
    ...databaseOptions,
  },
  help: `Creates a client and prints its id and secret. Only the secret's SHA-256 is stored: it is shown
this once. The kind flags preset the client's grants and combine with each other and with --grant;
with none of them it is an authorization code client (confidential; with --public, a PKCE client
without secret). On a terminal, whatever is missing is asked; otherwise a missing --name or
--redirect-uri is an error (exit code 1), never a prompt. A combination that cannot work (a public
client with client_credentials, authorization_code without a redirect URI, ...) is refused with
one line and exit code 1, and nothing is written.

Kinds (each presets grants):
  --client             client_credentials (machine to machine, confidential)
  --password           password, refresh_token (name defaults to "Password Grant Client")
  --personal           personal_access (name defaults to "Personal Access Client")
  --implicit           implicit (public unless combined with other grants; needs --redirect-uri)
  --device             urn:ietf:params:oauth:grant-type:device_code, refresh_token (RFC 8628)
  --grant G            add grant G; repeat it or separate with commas: authorization_code,
                       refresh_token, client_credentials, password, implicit, personal_access,
                       device_code (the device grant). Alone, the client has only these grants
  --public             no secret (PKCE): not with client_credentials or personal_access

Options:
  --name N             display name shown on the approval page
  --redirect-uri A,B   redirect URIs, comma-separated (encode a comma inside a URL as %2C);
                       required with authorization_code and implicit
  --provider P         user provider of the client's users (default provider when omitted)
  --owner ID           the user id that owns the client (its JSON API lists it for that user)
  --first-party        a first-party client: users are not asked to approve it
  --scopes "A B"       the only scopes the client may request, separated by blanks or commas
                       (each defined in the config's options.scopes, or *); default: any
                       defined scope
  --resource-server    a resource server: it may introspect the tokens of every client
                       (RFC 7662); only set it for your own APIs
  --json               print every field of the client as JSON ({"id","secret","name",
                       "grantTypes",...}), nothing else
${databaseHelp}`,
  async run(context) {
    const { io, values, prompter } = context;
    const chosen = kindFlags.filter((flag) => flagOption(values, flag));
    const extraGrants = parseGrants(listOption(values, 'grant'));
    const isPublic = flagOption(values, 'public');
    const ownerId = ownerOption(values);
    const scopesText = stringOption(values, 'scopes');
    const scopes = scopesText === undefined ? null : parseScopes(scopesText);

    let kind: ClientKind | null = chosen[0] ?? (extraGrants.length > 0 ? null : 'authorization_code');
    if (
      chosen.length === 0 &&
      extraGrants.length === 0 &&
      !isPublic &&
      prompter.interactive &&
      stringOption(values, 'name') === undefined
    ) {
      kind = await askKind(prompter);
    }
    const grantTypes = [...chosen.slice(1).flatMap(kindGrants), ...extraGrants];
    const grants = requestedGrants({ kind, grantTypes });
    const problem = grantProblem(grants, isConfidential({ public: isPublic }, grants));
    if (problem !== null) throw new CliError('ERR_CLI_VALIDATION', problem);

    const defaultName =
      kind !== null && chosen.length <= 1 && extraGrants.length === 0 ? kinds[kind].defaultName : null;
    let name = stringOption(values, 'name');
    if (name === undefined || name.trim() === '') {
      if (prompter.interactive || defaultName === null) {
        name = await prompter.ask('What should we name the client?', {
          missing: 'missing --name',
          ...(defaultName ? { fallback: defaultName } : {}),
        });
      } else {
        name = defaultName;
      }
    }

    let redirectText = stringOption(values, 'redirect-uri');
    const redirectGrant = grants.find((grant) => redirectGrants.includes(grant));
    if ((redirectText === undefined || redirectText.trim() === '') && redirectGrant !== undefined) {
      redirectText = await prompter.ask(
        'Where should we redirect the request after authorization? (comma-separated)',
        { missing: `missing --redirect-uri (the ${redirectGrant} grant needs one)` },
      );
    }
    const provider = stringOption(values, 'provider');
    const database = await context.database();
    const passport = await createCore(context, database.store);
    const { client, plainSecret } = await createClientOfKind(passport, {
      kind,
      public: isPublic,
      name,
      redirectUris: parseRedirectUris(redirectText ?? ''),
      provider: provider === undefined || provider === '' ? null : provider,
      resourceServer: flagOption(values, 'resource-server'),
      grantTypes,
      ownerId,
      firstParty: flagOption(values, 'first-party'),
      scopes,
    }).catch(async (error: unknown) => {
      throw (await undefinedScopesHint(context, error)) ?? error;
    });
    if (flagOption(values, 'json')) {
      io.out(`${JSON.stringify(clientJson(client, plainSecret), null, 2)}\n`);
      return 0;
    }
    io.out(
      `New client "${client.name}" created (${client.grantTypes.join(', ')}).\n${clientLines(client, plainSecret)}`,
    );
    if (plainSecret !== null)
      io.out('Store the secret now: only its hash is kept, it cannot be shown again.\n');
    return 0;
  },
};
