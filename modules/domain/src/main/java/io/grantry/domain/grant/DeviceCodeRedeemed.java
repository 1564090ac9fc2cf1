package io.grantry.domain.grant;

import java.util.Objects;

/**
 * The device polled after approval and got its tokens (RFC 8628 §3.5): the device code is spent.
 * What it got is a {@link CodeRedemption.Issued}, as for an authorization code, and the grant lives
 * on like a code grant: refreshes rotate, revocations end it. The access token is bound to the DPoP
 * key the poll proved, if it proved one (RFC 9449 §6).
 */
public record DeviceCodeRedeemed(CodeRedemption.Issued issued) implements CodeRedemption {
  public static final String TYPE = "grant.device_code_redeemed.v1";

  public DeviceCodeRedeemed {
    Objects.requireNonNull(issued, "issued");
  }

  @Override
  public DeviceCodeRedeemed withAccessTokenHash(String hash) {
    return new DeviceCodeRedeemed(issued.withAccessTokenHash(hash));
  }

  @Override
  public String type() {
    return TYPE;
  }
}
