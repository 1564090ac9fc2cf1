package io.grantry.domain.grant;

import java.util.Optional;

/** Why a grant was revoked; the wire name is what the ledger records. */
public enum RevocationReason {
  /** The code was presented a second time (RFC 6749 §4.1.2, §10.5; RFC 9700 §4.5.3.1). */
  CODE_REPLAYED("code_replayed"),
  /** A rotated refresh token was presented again (RFC 9700 §4.14.2). */
  REFRESH_REUSE("refresh_reuse"),
  /** A redeemed device code was presented again (RFC 8628 §3.5, RFC 6749 §10.5 as for codes). */
  DEVICE_CODE_REPLAYED("device_code_replayed"),
  /** The client revoked a token of the grant (RFC 7009). */
  REVOKED_BY_CLIENT("revoked_by_client"),
  /** The user withdrew their consent to the client. */
  CONSENT_REVOKED("consent_revoked"),
  ADMIN("admin"),
  USER_DISABLED("user_disabled"),
  CLIENT_DISABLED("client_disabled");

  private final String wire;

  RevocationReason(String wire) {
    this.wire = wire;
  }

  public String wire() {
    return wire;
  }

  public static Optional<RevocationReason> fromWire(String value) {
    for (RevocationReason r : values()) {
      if (r.wire.equals(value)) {
        return Optional.of(r);
      }
    }
    return Optional.empty();
  }
}
