package io.grantry.domain.grant;

import io.grantry.domain.oauth.Scopes;
import io.grantry.domain.oauth.TokenType;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A subject or actor token of a token exchange as the token endpoint found it: ours (signature and
 * issuer, or an opaque handle the token-state projection knows), live (not expired, not revoked,
 * its grant and the grants it descends from not revoked), and what it says. The endpoint checks all
 * that before a decision; the decision reads only these facts.
 *
 * @param type {@link TokenType#ACCESS_TOKEN} or {@link TokenType#ID_TOKEN}: what the token is,
 *     whatever type the request named
 * @param grantId the grant it was issued from
 * @param clientId the client it was issued to
 * @param subject its {@code sub}
 * @param userId the subject when it is a user (empty for a client acting for itself)
 * @param scopes what it carries: an access token's scopes, or for an ID token its grant's
 * @param audiences its {@code aud} values when they were asked for in an exchange; empty for the
 *     server's default audience (and for ID tokens, whose audience is {@code clientId})
 * @param actor its {@code act} claim, if it was itself delegated
 * @param grantChain the grants its own grant was exchanged from, root first (empty when its grant
 *     was not made by an exchange)
 * @param expiresAt its {@code exp}
 * @param jkt the DPoP key it is bound to (a JWT's {@code cnf.jkt}, RFC 9449 §6): presented only
 *     with a proof of that key, never as a bearer token
 */
public record PresentedToken(
    TokenType type,
    String grantId,
    String clientId,
    String subject,
    Optional<String> userId,
    Scopes scopes,
    List<String> audiences,
    Optional<Actor> actor,
    List<String> grantChain,
    Instant expiresAt,
    Optional<String> jkt) {
  /** A bearer token (not bound to a DPoP key). */
  public PresentedToken(
      TokenType type,
      String grantId,
      String clientId,
      String subject,
      Optional<String> userId,
      Scopes scopes,
      List<String> audiences,
      Optional<Actor> actor,
      List<String> grantChain,
      Instant expiresAt) {
    this(
        type,
        grantId,
        clientId,
        subject,
        userId,
        scopes,
        audiences,
        actor,
        grantChain,
        expiresAt,
        Optional.empty());
  }

  public PresentedToken {
    Objects.requireNonNull(jkt, "jkt");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(grantId, "grantId");
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(userId, "userId");
    Objects.requireNonNull(scopes, "scopes");
    audiences = List.copyOf(audiences);
    Objects.requireNonNull(actor, "actor");
    grantChain = List.copyOf(grantChain);
    Objects.requireNonNull(expiresAt, "expiresAt");
  }

  /**
   * True if the token was issued to {@code clientId} or names it as an audience: a client may only
   * exchange (or act with) tokens meant for it, not any token it got hold of.
   */
  public boolean isFor(String clientId) {
    return this.clientId.equals(clientId) || audiences.contains(clientId);
  }
}
