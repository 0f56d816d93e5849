/**
 * The README's example: a passport over the SQLite store on a database file, which issues,
 * verifies and revokes a token, and finds it again after the file is reopened.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPassport, KeySet } from '@passport/core';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { SqliteStore } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'passport-sqlite-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

it('serves a passport: a client-credentials token is issued, verified, kept in the file and revoked', async () => {
  const file = join(dir, 'passport.db');
  const keys = await KeySet.generate('ES256');
  const options = { issuer: 'https://auth.example.com', keys, scopes: { 'orders:read': 'Read your orders' } };
  const store = new SqliteStore(new Database(file));
  const passport = createPassport({ ...options, store });
  const { client, plainSecret } = await passport.clients.create({
    name: 'Reporting job',
    grantTypes: ['client_credentials'],
  });
  const { access_token } = await passport.handleTokenRequest({
    params: new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read' }),
    authorization: `Basic ${btoa(`${client.id}:${plainSecret}`)}`,
  });
  expect((await passport.verifyAccessToken(access_token)).clientId).toBe(client.id);
  await store.close();

  // another process opening the same file sees the client and the token
  const reopened = new SqliteStore(new Database(file));
  const again = createPassport({ ...options, store: reopened, revocationCacheSeconds: 0 });
  const token = await again.verifyAccessToken(access_token);
  expect(token.scopes).toEqual(['orders:read']);
  expect(await reopened.revokeAccessToken(token.record.id)).toBe(true);
  await expect(again.verifyAccessToken(access_token)).rejects.toMatchObject({ code: 'ERR_TOKEN_REVOKED' });
  await reopened.close();
});
