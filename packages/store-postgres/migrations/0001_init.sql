-- @passport/store-postgres migration 0001: initial schema.
--
-- Placeholders (a name between double braces), substituted by migrate() and getMigrationSql():
-- schema (quoted schema name, default "public"), prefix (table name prefix, default oauth_),
-- client_id (clients.id column: uuid, bigint identity or text) and client_id_type (type of every
-- client_id column).
--
-- Secrets never appear in plain text: refresh tokens, authorization codes, device codes and client
-- secrets are stored as their SHA-256 (hex), and that hash is the row id.
-- Every query on the token endpoint and the bearer guard has an index (see the package README).

CREATE TABLE {{schema}}."{{prefix}}clients" (
  id {{client_id}},
  seq bigint GENERATED ALWAYS AS IDENTITY,
  owner_id text,
  name text NOT NULL,
  secret_hash text,
  provider text,
  redirect_uris text[] NOT NULL DEFAULT '{}',
  grant_types text[] NOT NULL DEFAULT '{}',
  scopes text[],
  confidential boolean NOT NULL,
  first_party boolean NOT NULL DEFAULT false,
  revoked boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);
CREATE INDEX "{{prefix}}clients_owner_idx" ON {{schema}}."{{prefix}}clients" (owner_id, created_at, seq);
CREATE INDEX "{{prefix}}clients_created_idx" ON {{schema}}."{{prefix}}clients" (created_at, seq);

CREATE TABLE {{schema}}."{{prefix}}access_tokens" (
  id text PRIMARY KEY,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  user_id text,
  client_id {{client_id_type}} NOT NULL,
  name text,
  scopes text[] NOT NULL DEFAULT '{}',
  family_id text,
  revoked boolean NOT NULL DEFAULT false,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX "{{prefix}}access_tokens_user_idx" ON {{schema}}."{{prefix}}access_tokens" (user_id, client_id);
CREATE INDEX "{{prefix}}access_tokens_client_idx" ON {{schema}}."{{prefix}}access_tokens" (client_id);
CREATE INDEX "{{prefix}}access_tokens_family_idx" ON {{schema}}."{{prefix}}access_tokens" (family_id)
  WHERE family_id IS NOT NULL;
CREATE INDEX "{{prefix}}access_tokens_expires_idx" ON {{schema}}."{{prefix}}access_tokens" (expires_at);
CREATE INDEX "{{prefix}}access_tokens_revoked_idx" ON {{schema}}."{{prefix}}access_tokens" (id) WHERE revoked;

CREATE TABLE {{schema}}."{{prefix}}refresh_tokens" (
  id text PRIMARY KEY,
  access_token_id text NOT NULL,
  user_id text,
  client_id {{client_id_type}} NOT NULL,
  scopes text[] NOT NULL DEFAULT '{}',
  family_id text NOT NULL,
  revoked boolean NOT NULL DEFAULT false,
  consumed_at timestamptz,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX "{{prefix}}refresh_tokens_access_token_idx" ON {{schema}}."{{prefix}}refresh_tokens" (access_token_id);
CREATE INDEX "{{prefix}}refresh_tokens_family_idx" ON {{schema}}."{{prefix}}refresh_tokens" (family_id);
CREATE INDEX "{{prefix}}refresh_tokens_client_idx" ON {{schema}}."{{prefix}}refresh_tokens" (client_id);
CREATE INDEX "{{prefix}}refresh_tokens_expires_idx" ON {{schema}}."{{prefix}}refresh_tokens" (expires_at);
CREATE INDEX "{{prefix}}refresh_tokens_spent_idx" ON {{schema}}."{{prefix}}refresh_tokens" (family_id)
  WHERE revoked OR consumed_at IS NOT NULL;

CREATE TABLE {{schema}}."{{prefix}}auth_codes" (
  id text PRIMARY KEY,
  client_id {{client_id_type}} NOT NULL,
  user_id text NOT NULL,
  scopes text[] NOT NULL DEFAULT '{}',
  redirect_uri text,
  code_challenge text,
  code_challenge_method text CHECK (code_challenge_method IN ('S256', 'plain')),
  revoked boolean NOT NULL DEFAULT false,
  consumed_at timestamptz,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX "{{prefix}}auth_codes_client_idx" ON {{schema}}."{{prefix}}auth_codes" (client_id);
CREATE INDEX "{{prefix}}auth_codes_expires_idx" ON {{schema}}."{{prefix}}auth_codes" (expires_at);
CREATE INDEX "{{prefix}}auth_codes_spent_idx" ON {{schema}}."{{prefix}}auth_codes" (id)
  WHERE revoked OR consumed_at IS NOT NULL;

CREATE TABLE {{schema}}."{{prefix}}device_codes" (
  id text PRIMARY KEY,
  user_code text NOT NULL,
  client_id {{client_id_type}} NOT NULL,
  scopes text[] NOT NULL DEFAULT '{}',
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'denied')),
  user_id text,
  poll_interval integer NOT NULL,
  last_polled_at timestamptz,
  revoked boolean NOT NULL DEFAULT false,
  consumed_at timestamptz,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
-- A user code is unique among live device codes (unconsumed and unexpired). Expiry cannot be part
-- of an index predicate, so saveDeviceCode enforces it under a per-user-code advisory lock; this
-- index serves the lookup.
CREATE INDEX "{{prefix}}device_codes_user_code_idx" ON {{schema}}."{{prefix}}device_codes" (user_code)
  WHERE consumed_at IS NULL;
CREATE INDEX "{{prefix}}device_codes_client_idx" ON {{schema}}."{{prefix}}device_codes" (client_id);
CREATE INDEX "{{prefix}}device_codes_expires_idx" ON {{schema}}."{{prefix}}device_codes" (expires_at);
CREATE INDEX "{{prefix}}device_codes_spent_idx" ON {{schema}}."{{prefix}}device_codes" (id)
  WHERE revoked OR consumed_at IS NOT NULL;

CREATE TABLE {{schema}}."{{prefix}}nonces" (
  id text PRIMARY KEY,
  expires_at timestamptz NOT NULL
);
CREATE INDEX "{{prefix}}nonces_expires_idx" ON {{schema}}."{{prefix}}nonces" (expires_at);
