-- Client authentication with keys (RFC 7523, OIDC Core §9): the public keys of a private_key_jwt
-- client (a JWK Set, or where to fetch it) and the algorithm its assertions must use; the clients
-- projection fills them from the client events.
ALTER TABLE clients
    ADD COLUMN jwks text,
    ADD COLUMN jwks_uri text,
    ADD COLUMN token_endpoint_auth_signing_alg text;

-- Single use of the jti of client assertions (and of DPoP proofs) across every server instance:
-- a jti is claimed by inserting its row, and a second claim before the row expires finds it taken.
-- The id is a hash (kind, who and the jti), never the assertion; rows are pruned after expiry.
CREATE TABLE used_jtis (
    id          text        COLLATE "C" PRIMARY KEY,
    expires_at  timestamptz NOT NULL
);
CREATE INDEX used_jtis_by_expiry ON used_jtis (expires_at);
