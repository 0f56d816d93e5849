import type { ClientRecord, GrantType, Passport } from '@passport/core';
import { type Command, databaseHelp, databaseOptions, flagOption, stringOption } from '../command.js';
import { createCore } from '../core.js';
import { CliError, oneLine } from '../errors.js';
import type { Prompter } from '../io.js';

/** The kinds of client `passport client` creates, by flag. */
export type ClientKind = 'authorization_code' | 'client' | 'password' | 'personal' | 'implicit' | 'device';

interface KindSpec {
  label: string;
  grantTypes: GrantType[];
  /** Confidential unless `--public`. */
  confidential: boolean;
  /** Whether `--public` may make it a public client. */
  canBePublic: boolean;
  needsRedirect: boolean;
  defaultName: string | null;
}

const kinds: Record<ClientKind, KindSpec> = {
  authorization_code: {
    label: 'Authorization code (a web app with a redirect URI)',
    grantTypes: ['authorization_code', 'refresh_token'],
    confidential: true,
    canBePublic: true,
    needsRedirect: true,
    defaultName: null,
  },
  client: {
    label: 'Client credentials (machine to machine)',
    grantTypes: ['client_credentials'],
    confidential: true,
    canBePublic: false,
    needsRedirect: false,
    defaultName: null,
  },
  password: {
    label: 'Password grant',
    grantTypes: ['password', 'refresh_token'],
    confidential: true,
    canBePublic: true,
    needsRedirect: false,
    defaultName: 'Password Grant Client',
  },
  personal: {
    label: 'Personal access',
    grantTypes: ['personal_access'],
    confidential: true,
    canBePublic: false,
    needsRedirect: false,
    defaultName: 'Personal Access Client',
  },
  implicit: {
    label: 'Implicit grant (legacy browser apps)',
    grantTypes: ['implicit'],
    confidential: false,
    canBePublic: true,
    needsRedirect: true,
    defaultName: null,
  },
  device: {
    label: 'Device authorization (TVs, CLIs)',
    grantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    confidential: true,
    canBePublic: true,
    needsRedirect: false,
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

/** Input to {@link createClientOfKind}. */
export interface ClientRequest {
  kind: ClientKind;
  public: boolean;
  name: string;
  redirectUris: string[];
  provider: string | null;
  /** May introspect tokens of other clients (RFC 7662 section 2.1). @default false */
  resourceServer?: boolean;
}

/**
 * Creates a client of `kind` through core's client service and returns it with its plain secret.
 * Validation failures become {@link CliError} `ERR_CLI_VALIDATION` with core's per-field messages.
 */
export async function createClientOfKind(
  passport: Passport,
  request: ClientRequest,
): Promise<{ client: ClientRecord; plainSecret: string | null }> {
  const spec = kinds[request.kind];
  try {
    return await passport.clients.create({
      name: request.name,
      grantTypes: spec.grantTypes,
      redirectUris: request.redirectUris,
      confidential: spec.confidential && !request.public,
      provider: request.provider,
      resourceServer: request.resourceServer ?? false,
    });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_VALIDATION') {
      throw new CliError('ERR_CLI_VALIDATION', oneLine(error), { cause: error });
    }
    throw error;
  }
}

/** The client as `--json` prints it. */
export function clientJson(client: ClientRecord, plainSecret: string | null) {
  return {
    id: client.id,
    secret: plainSecret,
    name: client.name,
    confidential: client.confidential,
    grantTypes: client.grantTypes,
    redirectUris: client.redirectUris,
    provider: client.provider,
    resourceServer: client.resourceServer,
  };
}

/** The lines that show a new client's credentials. */
export function clientLines(client: ClientRecord, plainSecret: string | null): string {
  const lines = [`  Client ID ........ ${client.id}`];
  if (plainSecret === null) lines.push('  Client secret .... none (public client: use PKCE)');
  else lines.push(`  Client secret .... ${plainSecret}`);
  return `${lines.join('\n')}\n`;
}

async function askKind(prompter: Prompter): Promise<ClientKind> {
  const choices = (Object.keys(kinds) as ClientKind[]).map((value) => ({ value, label: kinds[value].label }));
  return prompter.choose('Which kind of client?', choices, {
    missing: 'choose the kind of client',
    fallback: 'authorization_code',
  });
}

/** `passport client`. */
export const clientCommand: Command = {
  name: 'client',
  summary: 'Create an OAuth client and print its id and secret (once)',
  usage:
    'passport client [--client | --password | --personal | --implicit | --device] [--public] [--name N]\n' +
    '                       [--redirect-uri A,B] [--provider P] [--resource-server] [--json]',
  usesDatabase: true,
  options: {
    client: { type: 'boolean' },
    password: { type: 'boolean' },
    personal: { type: 'boolean' },
    public: { type: 'boolean' },
    implicit: { type: 'boolean' },
    device: { type: 'boolean' },
    name: { type: 'string' },
    'redirect-uri': { type: 'string' },
    provider: { type: 'string' },
    'resource-server': { type: 'boolean' },
    json: { type: 'boolean' },
    ...databaseOptions,
  },
  help: `Creates a client and prints its id and secret. Only the secret's SHA-256 is stored: it is shown
this once. Without a kind flag it creates an authorization code client (confidential; with --public, a
PKCE client without secret). On a terminal, whatever is missing is asked; otherwise a missing --name
or --redirect-uri is an error (exit code 1), never a prompt.

Kind (at most one):
  --client             client credentials grant (machine to machine, confidential)
  --password           password grant (name defaults to "Password Grant Client")
  --personal           personal access tokens (name defaults to "Personal Access Client")
  --implicit           implicit grant (public, needs --redirect-uri)
  --device             device authorization grant (RFC 8628)
  --public             no secret: alone, an authorization code + PKCE client; also with
                       --password, --implicit or --device

Options:
  --name N             display name shown on the approval page
  --redirect-uri A,B   redirect URIs, comma-separated (encode a comma inside a URL as %2C);
                       required for authorization code and implicit clients
  --provider P         user provider of the client's users (default provider when omitted)
  --resource-server    a resource server: it may introspect the tokens of every client
                       (RFC 7662); only set it for your own APIs
  --json               print {"id","secret","name",...} as JSON, nothing else
${databaseHelp}`,
  async run(context) {
    const { io, values, prompter } = context;
    const chosen = kindFlags.filter((flag) => flagOption(values, flag));
    if (chosen.length > 1) {
      throw new CliError(
        'ERR_CLI_USAGE',
        `choose one kind of client, not ${chosen.map((k) => `--${k}`).join(' and ')}`,
      );
    }
    const isPublic = flagOption(values, 'public');
    let kind: ClientKind = chosen[0] ?? 'authorization_code';
    if (
      chosen.length === 0 &&
      !isPublic &&
      prompter.interactive &&
      stringOption(values, 'name') === undefined
    ) {
      kind = await askKind(prompter);
    }
    const spec = kinds[kind];
    if (isPublic && !spec.canBePublic)
      throw new CliError('ERR_CLI_USAGE', `--public cannot be combined with --${kind}`);

    let name = stringOption(values, 'name');
    if (name === undefined || name.trim() === '') {
      if (prompter.interactive || spec.defaultName === null) {
        name = await prompter.ask('What should we name the client?', {
          missing: 'missing --name',
          ...(spec.defaultName ? { fallback: spec.defaultName } : {}),
        });
      } else {
        name = spec.defaultName;
      }
    }

    let redirectText = stringOption(values, 'redirect-uri');
    if ((redirectText === undefined || redirectText.trim() === '') && spec.needsRedirect) {
      redirectText = await prompter.ask(
        'Where should we redirect the request after authorization? (comma-separated)',
        {
          missing: 'missing --redirect-uri',
        },
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
