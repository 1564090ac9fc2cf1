-- How each client takes part in signing out (OpenID Connect RP-Initiated Logout 1.0 §3.1 and
-- Back-Channel Logout 1.0 §2.2); the clients projection fills them from the client events.
ALTER TABLE clients
    ADD COLUMN post_logout_redirect_uris text[] NOT NULL DEFAULT '{}',
    ADD COLUMN backchannel_logout_uri text,
    ADD COLUMN backchannel_logout_session_required boolean NOT NULL DEFAULT false;
