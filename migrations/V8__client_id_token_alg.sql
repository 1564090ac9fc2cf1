-- OIDC Registration's id_token_signed_response_alg per client (RS256 unless the client's metadata
-- says otherwise); the clients projection fills it from the client events.
ALTER TABLE clients ADD COLUMN id_token_signed_response_alg text NOT NULL DEFAULT 'RS256';
