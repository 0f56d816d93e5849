import type { PassportContext } from '../internal/context.js';
import { generateSecret, hashSecret } from '../internal/secrets.js';
import type { ClientRecord, ClientUpdate, GrantType } from '../stores/records.js';
import { ClientValidationError, validateClientFields } from './validation.js';

/** Input of {@link ClientService.create}. */
export interface CreateClientInput {
  /** Display name shown on the approval page. */
  name: string;
  /**
   * Redirect URIs: absolute URLs without fragment; private-use schemes allowed for native apps.
   * Required (at least one) when the client may use `authorization_code` or `implicit`.
   * @default []
   */
  redirectUris?: string[];
  /** @default ['authorization_code', 'refresh_token'] */
  grantTypes?: GrantType[];
  /**
   * Confidential clients get a secret; public ones (SPAs, native apps) must use PKCE.
   * @default true
   */
  confidential?: boolean;
  /** The user that owns the client (listed by {@link ClientService.listByOwner}). @default null */
  ownerId?: string | null;
  /** User provider of the client's users; `null` is the default `users` provider. @default null */
  provider?: string | null;
  /** Scopes the client may request; `null` for any defined scope. @default null */
  scopes?: string[] | null;
  /** First-party clients skip the approval screen. @default false */
  firstParty?: boolean;
  /**
   * A resource server may introspect tokens issued to other clients (RFC 7662 section 2.1); set
   * it for your APIs' own clients only. Not settable through the user-facing JSON API.
   * @default false
   */
  resourceServer?: boolean;
}

/** Fields {@link ClientService.update} can change. */
export type UpdateClientInput = Partial<
  Pick<
    CreateClientInput,
    'name' | 'redirectUris' | 'grantTypes' | 'provider' | 'scopes' | 'firstParty' | 'resourceServer'
  >
>;

/** A client together with its plain secret, which is shown this once and never stored. */
export interface ClientWithSecret {
  client: ClientRecord;
  /** The plain secret; `null` for a public client. Only its SHA-256 is stored. */
  plainSecret: string | null;
}

const defaultGrantTypes: GrantType[] = ['authorization_code', 'refresh_token'];

/**
 * Creates, updates, deletes and lists OAuth clients. Secrets are stored hashed:
 * the plain secret is returned once, by {@link ClientService.create} and
 * {@link ClientService.regenerateSecret}.
 *
 * @example
 * ```ts
 * const { client, plainSecret } = await passport.clients.create({
 *   name: 'My app',
 *   redirectUris: ['https://app.example/callback'],
 * });
 * ```
 */
export class ClientService {
  readonly #ctx: PassportContext;

  constructor(ctx: PassportContext) {
    this.#ctx = ctx;
  }

  /**
   * Validates and stores a new client. Its id comes from the store (`nextClientId`, for stores
   * whose ids have a type of their own, such as integer identities) or is a new UUID. Throws
   * {@link ClientValidationError} with per-field messages when the input is invalid. Emits
   * `clientCreated`.
   */
  async create(input: CreateClientInput): Promise<ClientWithSecret> {
    const confidential = input.confidential ?? true;
    const grantTypes = input.grantTypes ?? defaultGrantTypes;
    const redirectUris = input.redirectUris ?? [];
    const fields = validateClientFields(
      {
        name: input.name,
        redirectUris,
        grantTypes,
        scopes: input.scopes ?? null,
        provider: input.provider ?? null,
        confidential,
      },
      { grantTypes, redirectUris },
      (scope) => this.#ctx.scopes.hasScope(scope),
    );
    if (Object.keys(fields).length > 0) throw new ClientValidationError(fields);

    const plainSecret = confidential ? generateSecret(this.#ctx.random) : null;
    const now = new Date(this.#ctx.now());
    const { store } = this.#ctx;
    const client: ClientRecord = {
      id: store.nextClientId === undefined ? this.#ctx.generateId() : await store.nextClientId(),
      ownerId: input.ownerId ?? null,
      name: input.name.trim(),
      secretHash: plainSecret === null ? null : hashSecret(plainSecret),
      provider: input.provider ?? null,
      redirectUris: [...new Set(redirectUris)],
      grantTypes: [...new Set(grantTypes)],
      scopes: input.scopes === undefined || input.scopes === null ? null : [...new Set(input.scopes)],
      confidential,
      firstParty: input.firstParty ?? false,
      resourceServer: input.resourceServer ?? false,
      revoked: false,
      createdAt: now,
      updatedAt: now,
    };
    await this.#ctx.store.createClient(client);
    this.#ctx.events.emit('clientCreated', { client });
    return { client, plainSecret };
  }

  /**
   * Changes a client's fields. Returns the updated client, or `null` when there is no such client.
   * Throws {@link ClientValidationError} when the result would be invalid.
   */
  async update(id: string, input: UpdateClientInput): Promise<ClientRecord | null> {
    const current = await this.#ctx.store.findClient(id);
    if (!current) return null;
    const grantTypes = input.grantTypes ?? current.grantTypes;
    const redirectUris = input.redirectUris ?? current.redirectUris;
    const fields = validateClientFields(
      {
        name: input.name,
        redirectUris: input.redirectUris,
        grantTypes: input.grantTypes,
        scopes: input.scopes,
        provider: input.provider,
        confidential: current.confidential,
      },
      { grantTypes, redirectUris },
      (scope) => this.#ctx.scopes.hasScope(scope),
    );
    if (Object.keys(fields).length > 0) throw new ClientValidationError(fields);

    const update: ClientUpdate = { updatedAt: new Date(this.#ctx.now()) };
    if (input.name !== undefined) update.name = input.name.trim();
    if (input.redirectUris !== undefined) update.redirectUris = [...new Set(input.redirectUris)];
    if (input.grantTypes !== undefined) update.grantTypes = [...new Set(input.grantTypes)];
    if (input.provider !== undefined) update.provider = input.provider;
    if (input.scopes !== undefined) update.scopes = input.scopes === null ? null : [...new Set(input.scopes)];
    if (input.firstParty !== undefined) update.firstParty = input.firstParty;
    if (input.resourceServer !== undefined) update.resourceServer = input.resourceServer;
    return this.#ctx.store.updateClient(id, update);
  }

  /**
   * Issues a new secret for a confidential client; the old one stops working at once. Returns
   * `null` when there is no such client. Throws {@link ClientValidationError} for a public client.
   */
  async regenerateSecret(id: string): Promise<ClientWithSecret | null> {
    const current = await this.#ctx.store.findClient(id);
    if (!current) return null;
    if (!current.confidential) {
      throw new ClientValidationError({ confidential: ['A public client has no secret to regenerate.'] });
    }
    const plainSecret = generateSecret(this.#ctx.random);
    const client = await this.#ctx.store.updateClient(id, {
      secretHash: hashSecret(plainSecret),
      updatedAt: new Date(this.#ctx.now()),
    });
    return client ? { client, plainSecret } : null;
  }

  /**
   * Deletes a client as Laravel Passport does: marks it `revoked` (it can no longer authenticate
   * and its tokens are refused) and revokes every token, code and device code of it; the row stays
   * for the audit trail until `purge` removes revoked clients past their retention
   * (`clientRetentionHours`). Returns `false` when there is no such client or it was already
   * revoked. Emits `clientDeleted`.
   *
   * @example
   * ```ts
   * await passport.clients.delete(client.id); // client.revoked is now true, its tokens are dead
   * ```
   */
  async delete(id: string): Promise<boolean> {
    const current = await this.#ctx.store.findClient(id);
    if (!current || current.revoked) return false;
    const revoked = await this.#ctx.store.updateClient(id, {
      revoked: true,
      updatedAt: new Date(this.#ctx.now()),
    });
    if (revoked === null) return false;
    await this.#ctx.store.revokeClientTokens(id);
    this.#ctx.events.emit('clientDeleted', { clientId: id });
    return true;
  }

  /** The client with this id (revoked or not), or `null`. */
  find(id: string): Promise<ClientRecord | null> {
    return this.#ctx.store.findClient(id);
  }

  /**
   * The client with this id when `ownerId` owns it and it is not revoked, else `null`: what the
   * JSON API uses so that a foreign or revoked id answers 404 exactly like an unknown one.
   */
  async findForOwner(id: string, ownerId: string): Promise<ClientRecord | null> {
    const client = await this.#ctx.store.findClient(id);
    return client !== null && client.ownerId === ownerId && !client.revoked ? client : null;
  }

  /** Clients owned by `ownerId`, oldest first. */
  listByOwner(ownerId: string): Promise<ClientRecord[]> {
    return this.#ctx.store.listClientsByOwner(ownerId);
  }

  /** Every client, oldest first. */
  list(): Promise<ClientRecord[]> {
    return this.#ctx.store.listClients();
  }
}
