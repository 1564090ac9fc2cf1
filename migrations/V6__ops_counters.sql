-- Operational counters for GET /admin/stats, summed over every server instance: tokens issued per
-- grant type, refresh-token reuse detections and failed client authentications, per minute.
-- Each server counts in memory (the same counters /metrics shows) and adds what it counted since
-- its last flush every few seconds, off the request path. Failed client authentications are not
-- events on purpose: writing one to the ledger per wrong secret would let anyone fill the ledger.
-- Telemetry, not history: a server that dies loses its last few seconds of counts; the ledger
-- remains the record of what was issued. Rows older than 8 days are deleted by the servers.

CREATE TABLE ops_counters (
    minute  timestamptz NOT NULL,
    name    text        NOT NULL,   -- tokens_issued | refresh_token_reuse | client_auth_failures
    label   text        NOT NULL,   -- grant type, endpoint, or ''
    count   bigint      NOT NULL,
    PRIMARY KEY (minute, name, label)
);
