package io.grantry.server.tokenstate;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What introspection says about an access token, wherever it was read: the token-state projection
 * ({@link TokenState.Token}) or its in-memory mirror ({@link AccessTokenMirror}).
 */
public interface AccessTokenFacts {
  String clientId();

  String subject();

  String scope();

  Instant issuedAt();

  Instant expiresAt();

  /** The {@code act} claim (JSON) of a token made by a delegation. */
  Optional<String> act();

  /** The {@code aud} asked for in the exchange that made the token; empty for the default. */
  List<String> audience();

  /**
   * SHA-256 (base64url) of the access token JWT as issued, recorded by its issuing event: empty for
   * opaque tokens and for JWTs issued before it was recorded (see {@code IssuedJwts}).
   */
  Optional<String> tokenHash();

  /** Not revoked, its grant (and every grant it was exchanged from) not revoked, not expired. */
  boolean activeAt(Instant now);
}
