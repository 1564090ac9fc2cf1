package io.grantry.domain.key;

import java.time.Instant;
import java.util.Objects;

/** A key became the one that signs new tokens of its algorithm. */
public record SigningKeyActivated(String kid, Instant activatedAt) implements KeyEvent {
  public static final String TYPE = "signing_key.activated.v1";

  public SigningKeyActivated {
    Objects.requireNonNull(kid, "kid");
    Objects.requireNonNull(activatedAt, "activatedAt");
  }

  @Override
  public String type() {
    return TYPE;
  }
}
