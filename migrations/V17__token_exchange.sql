-- Token exchange (RFC 8693).
--
-- What each client may do with the grant (io.grantry.domain.client.TokenExchangeMetadata); the
-- clients projection fills these from the client events, old clients get the defaults.
ALTER TABLE clients
    ADD COLUMN token_exchange_audiences text[] NOT NULL DEFAULT '{}',
    ADD COLUMN token_exchange_allow_impersonation boolean NOT NULL DEFAULT false,
    ADD COLUMN token_exchange_allow_refresh_token boolean NOT NULL DEFAULT false;

-- A grant made by an exchange (event grant.token_exchanged.v1) names the grant of the subject
-- token and every grant before it. Whether one of those was revoked is read with the grant's own
-- status wherever token state is read (introspection, userinfo, refresh, a further exchange), so
-- revoking a grant revokes everything exchanged from it. The audience and the act claim are the
-- exchanged tokens' own (introspection answers them for opaque tokens too). Lists are kept as
-- space-separated text (grant ids and audiences hold no spaces), as the rebuild's COPY writes them.
ALTER TABLE grants
    ADD COLUMN subject_grant_id text,
    ADD COLUMN grant_chain text,
    ADD COLUMN audience text,
    ADD COLUMN act text;
-- The pruning job keeps a grant's row while a grant exchanged from it has one.
CREATE INDEX grants_by_subject_grant ON grants (subject_grant_id) WHERE subject_grant_id IS NOT NULL;

-- Auditors: the history of a grant shows the grants exchanged from it, found through the link of
-- each exchange, recursively (io.grantry.server.audit.AuditLedger); a user's and a client's
-- history show the exchanges for the user and by the client, as their other grants. Indexes of
-- their own, beside the lists of V7 (which other migrations redefine).
CREATE INDEX events_exchanged_from ON events ((payload->>'subject_grant_id'))
    WHERE type = 'grant.token_exchanged.v1';
CREATE INDEX events_exchanged_for_user ON events ((payload->>'user_id'))
    WHERE type = 'grant.token_exchanged.v1';
CREATE INDEX events_exchanged_by_client ON events ((payload->>'client_id'))
    WHERE type = 'grant.token_exchanged.v1';
