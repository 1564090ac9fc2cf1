-- Pushed authorization requests (RFC 9126). A client may be registered to require them (§6); the
-- clients projection fills the flag from the client events.
ALTER TABLE clients
    ADD COLUMN require_pushed_authorization_requests boolean NOT NULL DEFAULT false;

-- A client's history shows the requests it pushed (authorization.request_pushed.v1 on the
-- par:<hash> streams names the client): their streams are found like its grant and consent
-- streams (io.grantry.server.audit.AuditLedger repeats this list).
DROP INDEX events_audit_by_client;
CREATE INDEX events_audit_by_client ON events ((payload->>'client_id'))
    WHERE type IN ('grant.authorization_code_issued.v1', 'grant.client_credentials_issued.v1',
                   'consent.granted.v1', 'consent.revoked.v1', 'authorization.request_pushed.v1');
