-- Auditors' indexes: which streams concern a user or a client. A user's history and as-of state
-- are the user's own stream, the grant streams whose code was issued for the user, and the
-- user's consent streams; a client's are the client's stream, the grant streams issued to it
-- (codes and client_credentials tokens) and the consent streams given to it. The first event of
-- each such stream names the user and the client in its payload, so two partial expression
-- indexes over the ledger find them, without a table of their own that could drift from the
-- ledger or be pruned with the token-state rows. The type lists are repeated verbatim in the
-- queries (io.grantry.server.audit.AuditLedger) so that the planner can use these indexes.

CREATE INDEX events_audit_by_user ON events ((payload->>'user_id'))
    WHERE type IN ('grant.authorization_code_issued.v1', 'consent.granted.v1', 'consent.revoked.v1');

CREATE INDEX events_audit_by_client ON events ((payload->>'client_id'))
    WHERE type IN ('grant.authorization_code_issued.v1', 'grant.client_credentials_issued.v1',
                   'consent.granted.v1', 'consent.revoked.v1');
