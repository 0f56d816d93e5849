// What the @passport/core README's snippets take as given after its quick start: your passport and
// its options, a signed-in user, your app's data and configuration, and the values of the request
// at hand (an authorization request, a code, a refresh token, a device user code, a token, a
// client to delete), and createPassport, which the quick start imports. The snippets refer to them
// by name, so they are globals of the child process that runs a snippet.
import {
  computeS256Challenge,
  createPassport,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  generateSigningKey,
  KeySet,
} from '@passport/core';
import { MemoryStore } from '@passport/store-memory';

const user = { id: 'user-1', email: 'ada@example.com' };
const db = {
  users: {
    find: async (id) => (id === user.id ? user : null),
    findByEmail: async (email) => (email === user.email ? user : null),
  },
};
const options = {
  issuer: 'https://auth.example.com',
  store: new MemoryStore(),
  keys: await KeySet.generate('ES256'),
  scopes: { 'orders:read': 'Read your orders' },
  userProviders: { users: { findById: (id) => db.users.find(id) } },
};
const passport = createPassport(options);

const redirect_uri = 'https://app.example.com/callback';
const code_verifier = 'readme-verifier-0123456789-abcdefghijklmnopqrstuvwxyz';
const { client: app } = await passport.clients.create({
  name: 'App',
  confidential: false,
  redirectUris: [redirect_uri],
  grantTypes: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
});
const url = new URL('https://auth.example.com/oauth/authorize');
for (const [name, value] of Object.entries({
  response_type: 'code',
  client_id: app.id,
  redirect_uri,
  scope: 'orders:read',
  state: 'af0ifjsldkj',
  code_challenge: computeS256Challenge(code_verifier),
  code_challenge_method: 'S256',
})) {
  url.searchParams.set(name, value);
}
const approved = await passport.approveAuthorizationRequest(
  await passport.validateAuthorizationRequest(url.searchParams),
  user,
);
const code = new URL(approved).searchParams.get('code');

// A confidential client with a refresh token of its own.
const { client: backend, plainSecret: secret } = await passport.clients.create({
  name: 'Backend',
  redirectUris: [redirect_uri],
});
const backendCode = new URL(
  await passport.approveAuthorizationRequest(
    await passport.validateAuthorizationRequest(
      new URLSearchParams({ response_type: 'code', client_id: backend.id, scope: 'orders:read' }),
    ),
    user,
  ),
).searchParams.get('code');
const authorization = `Basic ${btoa(`${backend.id}:${secret}`)}`;
const tokens = await passport.handleTokenRequest({
  params: new URLSearchParams({ grant_type: 'authorization_code', code: backendCode }),
  authorization,
});

const device = await passport.requestDeviceCode({
  params: new URLSearchParams({ client_id: app.id, scope: 'orders:read' }),
  authorization: null,
});
const jwt = (await passport.createPersonalAccessToken(user, 'README', ['orders:read'])).accessToken;
// A client the snippets may delete.
const { client: retired } = await passport.clients.create({ name: 'Retired', redirectUris: [redirect_uri] });

Object.assign(globalThis, {
  createPassport,
  options,
  passport,
  user,
  db,
  env: {
    PASSPORT_PRIVATE_KEY: await exportPrivateKeyPem(await generateSigningKey('RS256')),
    SIGNING_KEY: await exportPrivateKeyPem(await generateSigningKey('RS256')),
    OLD_PUBLIC_KEY: await exportPublicKeyPem(await generateSigningKey('ES256')),
    NEXT_KEY: await exportPrivateKeyPem(await generateSigningKey('EdDSA')),
  },
  verifyPassword: async () => true,
  audit: () => {},
  url,
  code,
  redirect_uri,
  code_verifier,
  client_id: app.id,
  clientId: retired.id,
  id: backend.id,
  secret,
  refresh_token: tokens.refresh_token,
  userCode: device.user_code,
  jwt,
  params: new URLSearchParams({ token: jwt }),
  authorization,
  tokenId: (await passport.verifyAccessToken(jwt)).record.id,
});
