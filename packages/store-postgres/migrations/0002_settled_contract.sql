-- @passport/store-postgres migration 0002: the settled store contract.
--
-- Placeholders as in 0001 (schema, prefix, client_id_type).
--
-- clients.resource_server: a client that may introspect tokens of other clients (RFC 7662 2.1).
-- refresh_tokens.replaced_by: the refresh token a rotation wrote (retry after a lost response).
-- rate_limits: fixed-window counters of core's rate limiter, one row per key.
-- The purge of revoked clients reads revoked clients by updated_at.

ALTER TABLE {{schema}}."{{prefix}}clients" ADD COLUMN resource_server boolean NOT NULL DEFAULT false;
CREATE INDEX "{{prefix}}clients_revoked_idx" ON {{schema}}."{{prefix}}clients" (updated_at) WHERE revoked;

ALTER TABLE {{schema}}."{{prefix}}refresh_tokens" ADD COLUMN replaced_by text;

CREATE TABLE {{schema}}."{{prefix}}rate_limits" (
  key text PRIMARY KEY,
  count integer NOT NULL,
  reset_at timestamptz NOT NULL
);
CREATE INDEX "{{prefix}}rate_limits_reset_idx" ON {{schema}}."{{prefix}}rate_limits" (reset_at);
