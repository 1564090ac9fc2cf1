package io.grantry.domain.grant;

import java.time.Instant;
import java.util.Objects;

/**
 * The code of an already redeemed grant was presented again. The request gets {@code
 * invalid_grant}, and this event is always followed by {@link GrantRevoked} with reason {@code
 * code_replayed}: the code has leaked, so everything issued from it goes (RFC 6749 §4.1.2 and
 * §10.5, RFC 9700 §4.5.3.1).
 *
 * @param clientId the client that presented the code
 */
public record AuthorizationCodeReplayed(String grantId, String clientId, Instant replayedAt)
    implements GrantEvent {
  public static final String TYPE = "grant.authorization_code_replayed.v1";

  public AuthorizationCodeReplayed {
    Objects.requireNonNull(grantId, "grantId");
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(replayedAt, "replayedAt");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
