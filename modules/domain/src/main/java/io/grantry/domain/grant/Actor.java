package io.grantry.domain.grant;

import java.util.Objects;
import java.util.Optional;

/**
 * Who acts for a token's subject: the {@code act} claim of RFC 8693 §4.1. The current actor is the
 * outermost; {@code prior} is the actor of the token it was exchanged from, and so on, so a chain
 * of delegations reads from the latest actor back to the first.
 *
 * @param subject the actor's {@code sub}: the subject of the actor token (a user id, or a client id
 *     for a client acting for itself)
 * @param clientId the client the actor token was issued to (RFC 8693 §4.3 {@code client_id})
 * @param prior the actor before this one, if the subject token already named one
 */
public record Actor(String subject, String clientId, Optional<Actor> prior) {
  public Actor {
    Objects.requireNonNull(subject, "subject");
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(prior, "prior");
  }

  /** How many actors the chain names, this one included. */
  public int depth() {
    return 1 + prior.map(Actor::depth).orElse(0);
  }
}
