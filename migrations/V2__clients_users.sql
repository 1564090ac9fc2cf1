-- Clients and users as the admin API, the authorization endpoints and the login page read them.
-- Both tables are projections of the client:<id> and user:<id> streams, written inline (in the
-- append's own transaction), so a read never misses an acknowledged change. They can be rebuilt
-- from the ledger at any time. Secrets appear only as hashes: client secrets as keyed
-- HMAC-SHA-256 ('hmac-sha256$...'), passwords as Argon2id PHC strings. Keys are compared in
-- byte order (COLLATE "C"): they are ASCII, and the admin API's keyset pagination then does not
-- depend on the server's locale.

CREATE TABLE clients (
    client_id                    text        COLLATE "C" PRIMARY KEY,
    client_name                  text        NOT NULL,
    client_type                  text        NOT NULL CHECK (client_type IN ('confidential', 'public')),
    token_endpoint_auth_method   text        NOT NULL,
    redirect_uris                text[]      NOT NULL,
    grant_types                  text[]      NOT NULL,
    -- The widest scope the client may ask for: scope tokens in sorted order, space-separated.
    scope                        text        NOT NULL,
    logo_uri                     text,
    client_uri                   text,
    skip_consent                 boolean     NOT NULL,
    access_token_format          text        NOT NULL,
    access_token_signing_alg     text        NOT NULL,
    introspect                   boolean     NOT NULL,
    secret_hash                  text,
    -- A rotated-out secret, accepted until previous_secret_valid_until (exclusive).
    previous_secret_hash         text,
    previous_secret_valid_until  timestamptz,
    disabled                     boolean     NOT NULL DEFAULT false,
    registered_at                timestamptz NOT NULL,
    updated_at                   timestamptz NOT NULL,
    -- The version of the client's stream these values reflect; an event at or below it is
    -- already applied, which makes the projection idempotent.
    stream_version               bigint      NOT NULL
);

CREATE TABLE users (
    user_id              text        PRIMARY KEY,
    username             text        NOT NULL,
    -- Lower case (Locale.ROOT): the key of sign-in and of case-insensitive uniqueness. The
    -- username:<normalized> claim stream decides uniqueness; this constraint only guards it.
    normalized_username  text        COLLATE "C" NOT NULL UNIQUE,
    password_hash        text        NOT NULL,
    email                text,
    name                 text,
    disabled             boolean     NOT NULL DEFAULT false,
    registered_at        timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL,
    stream_version       bigint      NOT NULL
);
