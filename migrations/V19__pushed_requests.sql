-- Pushed authorization requests (RFC 9126). A client may be registered to require them (§6); the
-- clients projection fills the flag from the client events.
ALTER TABLE clients
    ADD COLUMN require_pushed_authorization_requests boolean NOT NULL DEFAULT false;

-- A client's history shows the requests it pushed (authorization.request_pushed.v1 on the
-- par:<hash> streams names the client): an index of its own, beside the list of V7 that other
-- migrations redefine (io.grantry.server.audit.AuditLedger reads it in a query of its own).
CREATE INDEX events_pushed_by_client ON events ((payload->>'client_id'))
    WHERE type = 'authorization.request_pushed.v1';
