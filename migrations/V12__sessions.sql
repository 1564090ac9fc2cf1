-- Browser sessions, projected inline from the session_started / session_ended events of the
-- user:<id> streams (a session lives in its user's stream, so that a password change or a disable
-- ends every session in the same append). A session's cookie holds its id and a secret; only the
-- SHA-256 of the secret is stored. A row stays after the session ended: the account page and the
-- admin API list the live ones, an auditor reads the ledger.
CREATE TABLE sessions (
    session_id      text        COLLATE "C" PRIMARY KEY,
    user_id         text        NOT NULL,
    -- SHA-256 of the cookie's secret, base64url: the cookie must match it.
    secret_hash     text        NOT NULL,
    auth_time       timestamptz NOT NULL,
    method          text        NOT NULL,
    expires_at      timestamptz NOT NULL,
    address         text,
    user_agent      text,
    ended_at        timestamptz,
    end_reason      text
);

-- Every check of a cookie reads its user's live sessions (then kept in memory for
-- GRANTRY_USER_CACHE_MS).
CREATE INDEX sessions_live_by_user ON sessions (user_id) WHERE ended_at IS NULL;
