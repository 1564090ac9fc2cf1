-- The device authorization grant (RFC 8628). Its events live in the grant streams like the code
-- flow's: the token-state projection writes grants rows of kind
-- 'urn:ietf:params:oauth:grant-type:device_code' with status 'authorization_pending', then
-- 'approved' or 'denied', then 'active' once the device got its tokens. User codes are claimed in
-- streams of their own (device_user_code:<keyed hash>), which the verification page reads.
--
-- device_polls: when each waiting device last polled the token endpoint and the interval it must
-- keep, so that a device polling too fast gets slow_down (and 5 s more) whichever server instance
-- it reaches (RFC 8628 §3.5). A poll is a read, not a fact: one ledger event per poll (every few
-- seconds for up to half an hour per device) would let a device fill the ledger, so this is
-- operational state like a rate limit, updated in one statement per poll, not a projection (a
-- rebuild leaves it alone). Rows of expired device codes are deleted by the servers.

CREATE TABLE device_polls (
    grant_id          text        COLLATE "C" PRIMARY KEY,
    polled_at         timestamptz NOT NULL,
    interval_seconds  integer     NOT NULL CHECK (interval_seconds > 0),
    -- Whether the latest poll came sooner than the interval after the one before.
    too_fast          boolean     NOT NULL DEFAULT false,
    expires_at        timestamptz NOT NULL
);
CREATE INDEX device_polls_by_expiry ON device_polls (expires_at);

-- A user's history shows the devices they approved or denied, a client's the device
-- authorizations it asked for: the audit indexes of V7 and V14 learn the device events that first
-- name the user and the client (io.grantry.server.audit.AuditLedger repeats these lists).
DROP INDEX events_audit_by_user;
CREATE INDEX events_audit_by_user ON events ((payload->>'user_id'))
    WHERE type IN ('grant.authorization_code_issued.v1', 'consent.granted.v1', 'consent.revoked.v1',
                   'backchannel.logout_delivered.v1', 'backchannel.logout_attempt_failed.v1',
                   'backchannel.logout_abandoned.v1',
                   'grant.device_authorization_approved.v1', 'grant.device_authorization_denied.v1');

DROP INDEX events_audit_by_client;
CREATE INDEX events_audit_by_client ON events ((payload->>'client_id'))
    WHERE type IN ('grant.authorization_code_issued.v1', 'grant.client_credentials_issued.v1',
                   'consent.granted.v1', 'consent.revoked.v1',
                   'grant.device_authorization_requested.v1');

-- device_user_code_failures: wrong user codes entered on the verification page, per signed-in user
-- ('u:<user id>') and per client address ('a:<address>'), in fixed windows. Counted in the database
-- so that the bound on guesses holds whichever instance a guess reaches (see
-- io.grantry.server.throttle.UserCodeThrottle for the arithmetic). Operational state like
-- device_polls; rows whose window ended are deleted by the servers.
CREATE TABLE device_user_code_failures (
    key             text        COLLATE "C" PRIMARY KEY,
    window_ends_at  timestamptz NOT NULL,
    failures        integer     NOT NULL CHECK (failures >= 0)
);
CREATE INDEX device_user_code_failures_by_end ON device_user_code_failures (window_ends_at);
