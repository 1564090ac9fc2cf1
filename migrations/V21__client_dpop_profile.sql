-- DPoP-bound access tokens required per client (dpop_bound_access_tokens, RFC 9449 §5.2) and the
-- FAPI 2.0 Security Profile per client (profile = 'fapi2'); the clients projection fills them from
-- the client events, old clients get neither.
ALTER TABLE clients
    ADD COLUMN dpop_bound_access_tokens boolean NOT NULL DEFAULT false,
    ADD COLUMN profile text;
