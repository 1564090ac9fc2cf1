-- Token state: what introspection, revocation and userinfo read. Written by the inline
-- token-state projection in the same transaction as the grant events, so an acknowledged
-- revocation is visible at once; rebuildable from the ledger. Secrets appear only as hashes.

CREATE TABLE grants (
    grant_id        text        PRIMARY KEY,
    kind            text        NOT NULL,           -- authorization_code | client_credentials
    client_id       text        NOT NULL,
    user_id         text,
    scope           text        NOT NULL,
    status          text        NOT NULL,           -- code_issued | active | revoked
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    revoked_reason  text
);
CREATE INDEX grants_by_client ON grants (client_id, status);
CREATE INDEX grants_by_user ON grants (user_id, status);

CREATE TABLE access_tokens (
    jti         text        PRIMARY KEY,
    grant_id    text        NOT NULL,
    client_id   text        NOT NULL,
    subject     text        NOT NULL,
    scope       text        NOT NULL,
    issued_at   timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE INDEX access_tokens_by_grant ON access_tokens (grant_id);
CREATE INDEX access_tokens_by_expiry ON access_tokens (expires_at);

CREATE TABLE refresh_tokens (
    hash        text        PRIMARY KEY,            -- SHA-256 of the token's secret, base64url
    grant_id    text        NOT NULL,
    client_id   text        NOT NULL,
    subject     text        NOT NULL,
    scope       text        NOT NULL,
    issued_at   timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    status      text        NOT NULL                -- active | rotated | revoked
);
CREATE INDEX refresh_tokens_by_grant ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_by_expiry ON refresh_tokens (expires_at);
