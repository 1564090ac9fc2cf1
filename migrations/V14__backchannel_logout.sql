-- Back-channel logout (OpenID Connect Back-Channel Logout 1.0), kept by an asynchronous projection
-- that follows the ledger (io.grantry.server.backchannel): which clients received an ID token in
-- each browser session, and, once a session ended, the logout token each of them is owed and how
-- its delivery stands. The deliveries' outcomes are events (streams backchannel:<sid>:<client>);
-- these rows are derived from them and from the sessions' and grants' events.

CREATE TABLE backchannel_session_clients (
    grant_id    text        COLLATE "C" PRIMARY KEY,
    session_id  text        NOT NULL,
    client_id   text        NOT NULL,
    user_id     text        NOT NULL,
    -- The code was redeemed: the client received its ID token.
    redeemed    boolean     NOT NULL DEFAULT false
);
CREATE INDEX backchannel_session_clients_by_session ON backchannel_session_clients (session_id);

CREATE TABLE backchannel_deliveries (
    session_id       text        NOT NULL,
    client_id        text        NOT NULL,
    user_id          text        NOT NULL,
    session_ended_at timestamptz NOT NULL,
    state            text        NOT NULL CHECK (state IN ('pending', 'delivered', 'abandoned')),
    attempts         integer     NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL,
    -- Not derived from events: the sender that took the delivery, so that of several servers one
    -- sends it; an expired claim (a sender that died) is taken again.
    claimed_until    timestamptz,
    PRIMARY KEY (session_id, client_id)
);
CREATE INDEX backchannel_deliveries_due ON backchannel_deliveries (next_attempt_at)
    WHERE state = 'pending';

-- A user's history shows the deliveries of their sessions' logouts: their streams are found like
-- the user's grant and consent streams (io.grantry.server.audit.AuditLedger repeats this list).
DROP INDEX events_audit_by_user;
CREATE INDEX events_audit_by_user ON events ((payload->>'user_id'))
    WHERE type IN ('grant.authorization_code_issued.v1', 'consent.granted.v1', 'consent.revoked.v1',
                   'backchannel.logout_delivered.v1', 'backchannel.logout_attempt_failed.v1',
                   'backchannel.logout_abandoned.v1');
