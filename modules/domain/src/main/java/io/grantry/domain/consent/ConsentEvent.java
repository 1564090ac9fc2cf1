package io.grantry.domain.consent;

import java.time.Instant;
import java.util.List;

/**
 * What a user allowed a client, remembered per user and client in the stream {@code
 * consent:<userId>:<clientId>}. Revoking a consent also revokes the grants it led to (done by the
 * handler, on the grants' own streams).
 */
public sealed interface ConsentEvent {
  String userId();

  String clientId();

  Instant at();

  /** The user allowed these scopes (the union with what was allowed before). */
  record ConsentGranted(String userId, String clientId, List<String> scopes, Instant at)
      implements ConsentEvent {
    public ConsentGranted {
      scopes = List.copyOf(scopes);
    }
  }

  /** The user, or an operator ({@code actor}), took the consent back. */
  record ConsentRevoked(String userId, String clientId, String actor, Instant at)
      implements ConsentEvent {}
}
