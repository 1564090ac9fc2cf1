-- The SHA-256 (base64url) of each access token JWT as issued, from its issuing event's
-- access_token_hash: introspection recognises a token it finds here by comparing hashes instead of
-- verifying its signature. NULL for opaque tokens (their jti already is their secret's hash) and
-- for tokens issued before the hash was recorded, which are verified as before. Adding a nullable
-- column without a default rewrites nothing.
ALTER TABLE access_tokens ADD COLUMN token_hash text;
