package io.grantry.domain.grant;

import java.util.Objects;

/**
 * The code was exchanged for tokens (RFC 6749 §4.1.3). It cannot be exchanged again. What it was
 * exchanged for is a {@link CodeRedemption.Issued}, as for a device code.
 */
public record AuthorizationCodeRedeemed(CodeRedemption.Issued issued) implements CodeRedemption {
  public static final String TYPE = "grant.authorization_code_redeemed.v1";

  public AuthorizationCodeRedeemed {
    Objects.requireNonNull(issued, "issued");
  }

  @Override
  public AuthorizationCodeRedeemed withAccessTokenHash(String hash) {
    return new AuthorizationCodeRedeemed(issued.withAccessTokenHash(hash));
  }

  @Override
  public String type() {
    return TYPE;
  }
}
