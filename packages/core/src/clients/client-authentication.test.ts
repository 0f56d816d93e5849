import { describe, expect, it } from 'vitest';
import { basic, makeClient, rejection, setup } from '../../test/grants-harness.js';
import { OAuthError } from '../errors/oauth-error.js';
import { authenticateClient, parseBasicAuthorization } from './client-authentication.js';

async function oauthError(promise: Promise<unknown>): Promise<OAuthError> {
  const error = await rejection(promise);
  expect(error).toBeInstanceOf(OAuthError);
  return error as OAuthError;
}

const form = (values: Record<string, string> = {}) => new URLSearchParams(values);

describe('authenticateClient', () => {
  it('accepts HTTP Basic with any scheme case and form-urlencoded values (RFC 6749 2.3.1)', async () => {
    const h = await setup();
    const { client, secret } = await makeClient(h);
    const newSecret = 'a b+c%d:e/é';
    await h.store.updateClient(client.id, {
      secretHash: (await import('../internal/secrets.js')).hashSecret(newSecret),
      updatedAt: new Date(),
    });
    const header = basic(client.id, newSecret);
    expect(header).toContain('Basic ');
    for (const scheme of ['Basic', 'basic', 'BASIC']) {
      const result = await authenticateClient(h.ctx, {
        params: form(),
        authorization: header.replace('Basic', scheme),
      });
      expect(result).toMatchObject({ method: 'client_secret_basic', usedAuthorizationHeader: true });
      expect(result.client.id).toBe(client.id);
    }
    // not decoded as form data: a raw '+' stands for a space
    const raw = `Basic ${btoa(`${client.id}:a+b%2Bc%25d%3Ae%2F%C3%A9`)}`;
    expect((await authenticateClient(h.ctx, { params: form(), authorization: raw })).client.id).toBe(
      client.id,
    );
    expect(secret).not.toBe(newSecret);
    // raw (not percent-encoded) UTF-8 inside the base64 is decoded as UTF-8 too
    const utf8 = String.fromCharCode(...new TextEncoder().encode(`${client.id}:a b+c%d:e/é`));
    const rawUtf8 = `Basic ${btoa(utf8.replace('a b+c%d', 'a+b%2Bc%25d'))}`;
    expect((await authenticateClient(h.ctx, { params: form(), authorization: rawUtf8 })).client.id).toBe(
      client.id,
    );
  });

  it('rejects a Basic header whose decoded bytes are not UTF-8', async () => {
    const h = await setup();
    const { client } = await makeClient(h);
    const error = await oauthError(
      authenticateClient(h.ctx, {
        params: form(),
        authorization: `Basic ${btoa(`${client.id}:\xff\xfe`)}`,
      }),
    );
    expect(error).toMatchObject({ error: 'invalid_client', status: 401, usedAuthorizationHeader: true });
  });

  it('accepts client_secret_post', async () => {
    const h = await setup();
    const { client, secret } = await makeClient(h);
    const result = await authenticateClient(h.ctx, {
      params: form({ client_id: client.id, client_secret: secret ?? '' }),
      authorization: null,
    });
    expect(result).toMatchObject({ method: 'client_secret_post', usedAuthorizationHeader: false });
  });

  it('rejects credentials in both the header and the body with invalid_request', async () => {
    const h = await setup();
    const { client, secret } = await makeClient(h);
    const error = await oauthError(
      authenticateClient(h.ctx, {
        params: form({ client_id: client.id, client_secret: secret ?? '' }),
        authorization: basic(client.id, secret ?? ''),
      }),
    );
    expect(error.error).toBe('invalid_request');
    expect(error.status).toBe(400);
  });

  it('rejects a wrong or missing secret with invalid_client (401), flagging header use', async () => {
    const h = await setup();
    const { client } = await makeClient(h);
    const header = await oauthError(
      authenticateClient(h.ctx, { params: form(), authorization: basic(client.id, 'wrong') }),
    );
    expect(header).toMatchObject({ error: 'invalid_client', status: 401, usedAuthorizationHeader: true });

    const body = await oauthError(
      authenticateClient(h.ctx, {
        params: form({ client_id: client.id, client_secret: 'wrong' }),
        authorization: null,
      }),
    );
    expect(body).toMatchObject({ error: 'invalid_client', status: 401, usedAuthorizationHeader: false });

    const missing = await oauthError(
      authenticateClient(
        h.ctx,
        { params: form({ client_id: client.id }), authorization: null },
        { allowPublic: true },
      ),
    );
    expect(missing).toMatchObject({ error: 'invalid_client', status: 401 });
  });

  it('rejects unknown and revoked clients with invalid_client', async () => {
    const h = await setup();
    const { client, secret } = await makeClient(h);
    const unknown = await oauthError(
      authenticateClient(h.ctx, { params: form(), authorization: basic('nobody', 'x') }),
    );
    expect(unknown).toMatchObject({ error: 'invalid_client', usedAuthorizationHeader: true });
    await h.store.updateClient(client.id, { revoked: true, updatedAt: new Date() });
    const revoked = await oauthError(
      authenticateClient(h.ctx, {
        params: form(),
        authorization: basic(client.id, secret ?? ''),
      }),
    );
    expect(revoked.error).toBe('invalid_client');
    const none = await oauthError(authenticateClient(h.ctx, { params: form(), authorization: null }));
    expect(none.error).toBe('invalid_client');
  });

  it('accepts public clients only where allowed, and never with a secret', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { confidential: false });
    const input = { params: form({ client_id: client.id }), authorization: null };
    expect((await authenticateClient(h.ctx, input, { allowPublic: true })).method).toBe('none');
    expect((await oauthError(authenticateClient(h.ctx, input))).error).toBe('invalid_client');
    const withSecret = await oauthError(
      authenticateClient(
        h.ctx,
        { params: form({ client_id: client.id, client_secret: 'x' }), authorization: null },
        { allowPublic: true },
      ),
    );
    expect(withSecret.error).toBe('invalid_client');
  });

  it('rejects a malformed Basic header with invalid_client and ignores other schemes', async () => {
    const h = await setup();
    const { client } = await makeClient(h, { confidential: false });
    for (const header of ['Basic', 'Basic !!!', `Basic ${btoa('no-colon')}`, 'Basic %%%']) {
      const error = await oauthError(
        authenticateClient(h.ctx, { params: form(), authorization: header }, { allowPublic: true }),
      );
      expect(error, header).toMatchObject({ error: 'invalid_client', usedAuthorizationHeader: true });
    }
    const bearer = await authenticateClient(
      h.ctx,
      { params: form({ client_id: client.id }), authorization: 'Bearer abc' },
      { allowPublic: true },
    );
    expect(bearer.usedAuthorizationHeader).toBe(false);
    // a failed attempt with another scheme in the header still gets a challenge (RFC 6749 5.2)
    const failed = await oauthError(
      authenticateClient(h.ctx, {
        params: form({ client_id: 'unknown' }),
        authorization: 'Bearer abc',
      }),
    );
    expect(failed).toMatchObject({ error: 'invalid_client', status: 401, usedAuthorizationHeader: true });
  });

  it('refuses the hostile blank-run Basic headers as malformed, parsing them in one pass', () => {
    // The header of the security review: it fits Node's 16 KiB limit and made the former regular
    // expression backtrack quadratically. The regular-expression audit (packages/http/test) checks
    // that no pattern left can; here the parser's answers on such headers.
    const blanks = ' '.repeat(8100);
    const hostile = [
      `Basic${blanks}a${blanks}b`,
      `Basic${'\t'.repeat(16_000)}`,
      `Basic ${'a'.repeat(16_000)} b`,
      `basic${' \t'.repeat(8000)}x${' \t'.repeat(8000)}y`,
    ];
    for (const header of hostile) {
      expect(() => parseBasicAuthorization(header), header.slice(0, 20)).toThrow(
        expect.objectContaining({ error: 'invalid_client', usedAuthorizationHeader: true }),
      );
    }
    const id = 'c'.repeat(8);
    expect(parseBasicAuthorization(`Basic${blanks}${btoa(`${id}:s`)}${blanks}`)).toEqual({
      clientId: id,
      clientSecret: 's',
    });
    expect(parseBasicAuthorization(`Basicx${blanks}a`)).toBeNull();
    expect(parseBasicAuthorization(`Bearer${blanks}a${blanks}b`)).toBeNull();
  });

  it('refuses a Basic client id with a control character or over 255 characters', () => {
    for (const id of ['a\u0000b', 'a%00b', 'line\nbreak', 'a%7Fb', 'x'.repeat(256)]) {
      expect(() => parseBasicAuthorization(`Basic ${btoa(`${id}:secret`)}`), id.slice(0, 12)).toThrow(
        expect.objectContaining({ error: 'invalid_client' }),
      );
    }
    expect(parseBasicAuthorization(`Basic ${btoa(`${'x'.repeat(255)}:a%00b`)}`)).toEqual({
      clientId: 'x'.repeat(255),
      clientSecret: 'a\u0000b',
    });
  });

  it('rejects a body client_id that differs from the Basic one, and repeated parameters', async () => {
    const h = await setup();
    const { client, secret } = await makeClient(h);
    const mismatch = await oauthError(
      authenticateClient(h.ctx, {
        params: form({ client_id: 'other' }),
        authorization: basic(client.id, secret ?? ''),
      }),
    );
    expect(mismatch.error).toBe('invalid_request');
    const same = await authenticateClient(h.ctx, {
      params: form({ client_id: client.id }),
      authorization: basic(client.id, secret ?? ''),
    });
    expect(same.client.id).toBe(client.id);
    // Every endpoint that authenticates clients refuses a repeated client_id before reading it.
    const repeated = form({ client_id: client.id, token: 'x', grant_type: 'client_credentials' });
    repeated.append('client_id', client.id);
    const input = { params: repeated, authorization: null };
    for (const call of [
      h.passport.handleTokenRequest(input),
      h.passport.revoke(input),
      h.passport.introspect(input),
      h.passport.requestDeviceCode(input),
    ]) {
      expect((await oauthError(call)).errorDescription).toBe('The "client_id" parameter is repeated');
    }
  });
});
