-- Remembered consents as the "Apps with access" page and the admin API read them: one row per
-- user and client, from the consent:<userId>:<clientId> streams, written inline (in the append's
-- own transaction) and rebuildable from the ledger. A revoked consent keeps its row with
-- revoked_at set until the user grants again.

CREATE TABLE consents (
    user_id         text        COLLATE "C" NOT NULL,
    client_id       text        COLLATE "C" NOT NULL,
    -- The scopes allowed: scope tokens in sorted order, space-separated.
    scopes          text        NOT NULL,
    -- When the user last allowed (a grant that widens the consent moves it).
    granted_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    -- The version of the consent stream these values reflect (idempotent application).
    stream_version  bigint      NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
CREATE INDEX consents_by_client ON consents (client_id);
