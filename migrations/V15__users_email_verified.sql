-- The email_verified claim (OpenID Connect Core §5.1) of each user, from user.registered.v1's
-- email_verified and user.email_verification_set.v1 (io.grantry.server.users.UsersProjection).
-- Users registered before it existed have no verified address.
ALTER TABLE users ADD COLUMN email_verified boolean NOT NULL DEFAULT false;
