-- @passport/store-postgres migration 0003: updates on the hot paths stay on their page (HOT).
--
-- Placeholders as in 0001 (schema, prefix).
--
-- A rotation consumes a refresh token (consumed_at, replaced_by) and revokes an access token
-- (revoked); a code exchange consumes a code (consumed_at). PostgreSQL can make such an update
-- HOT (no new entry in any index) only when no indexed column changes, and a column named in a
-- partial index's predicate counts as indexed. The partial "spent" indexes below named those
-- columns, so every consume and revoke wrote a new entry into every index of the table. They
-- served only purge: codes are purged after their expiry, which the expires_at indexes find;
-- spent tokens are now found by a scan that stops at each batch's size (see the README, Purge).
--
-- fillfactor leaves room on each page for the new version of an updated row, so the update can
-- be HOT. It applies to pages written from now on; existing pages fill as before.
--
-- Every statement here is quick on a large table: dropping an index and setting a storage
-- parameter rewrite nothing.

DROP INDEX IF EXISTS {{schema}}."{{prefix}}access_tokens_revoked_idx";
DROP INDEX IF EXISTS {{schema}}."{{prefix}}refresh_tokens_spent_idx";
DROP INDEX IF EXISTS {{schema}}."{{prefix}}auth_codes_spent_idx";
DROP INDEX IF EXISTS {{schema}}."{{prefix}}device_codes_spent_idx";

ALTER TABLE {{schema}}."{{prefix}}access_tokens" SET (fillfactor = 85);
ALTER TABLE {{schema}}."{{prefix}}refresh_tokens" SET (fillfactor = 85);
ALTER TABLE {{schema}}."{{prefix}}auth_codes" SET (fillfactor = 85);
ALTER TABLE {{schema}}."{{prefix}}device_codes" SET (fillfactor = 85);
ALTER TABLE {{schema}}."{{prefix}}rate_limits" SET (fillfactor = 70);
