package io.grantry.domain.grant;

/**
 * What has happened to one grant: its code, the tokens issued from it, their rotations and
 * revocations. Past tense, immutable; secrets appear only as SHA-256 hashes.
 */
public sealed interface GrantEvent
    permits AuthorizationCodeIssued,
        AccessTokenIssuance,
        AuthorizationCodeReplayed,
        RefreshTokenReuseDetected,
        GrantRevoked,
        AccessTokenRevoked,
        DeviceAuthorizationRequested,
        DeviceAuthorizationApproved,
        DeviceAuthorizationDenied,
        DeviceCodeReplayed {

  String grantId();

  /** The versioned type string under which the event is stored. */
  String type();
}
