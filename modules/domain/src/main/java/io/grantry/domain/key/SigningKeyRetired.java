package io.grantry.domain.key;

import java.time.Instant;
import java.util.Objects;

/**
 * A key stopped signing at {@code retiredAt}. Its public half stays in the JWKS until {@code
 * retireAfter} (exclusive) so that tokens it signed still verify; after that it is gone.
 */
public record SigningKeyRetired(String kid, Instant retiredAt, Instant retireAfter)
    implements KeyEvent {
  public static final String TYPE = "signing_key.retired.v1";

  public SigningKeyRetired {
    Objects.requireNonNull(kid, "kid");
    Objects.requireNonNull(retiredAt, "retiredAt");
    Objects.requireNonNull(retireAfter, "retireAfter");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
