package io.grantry.domain.grant;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.client.ClientType;
import io.grantry.domain.grant.GrantCommand.IssueCode;
import io.grantry.domain.grant.GrantCommand.RedeemCode;
import io.grantry.domain.grant.GrantCommand.Refresh;
import io.grantry.domain.oauth.OAuthError;
import io.grantry.domain.oauth.Scopes;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** A grant's usual inputs, and helpers to drive the decider as a handler would. */
final class GrantFixtures {
  static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");
  static final String GRANT = "g-1";
  static final String CLIENT = "client-1";
  static final String OTHER_CLIENT = "client-2";
  static final String USER = "user-1";
  static final String REDIRECT = "https://app.example/cb";
  static final Scopes SCOPES = Scopes.of("openid", "profile", "email", "offline_access");
  static final String CODE_HASH = GrantTokens.hash("code-secret");

  /** RFC 7636 Appendix B. */
  static final String VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

  static final String CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

  private GrantFixtures() {}

  static String refreshHash(int n) {
    return GrantTokens.hash("refresh-secret-" + n);
  }

  static String jti(int n) {
    return GrantTokens.jti(GRANT, "at" + n);
  }

  static IssueCode issueCode() {
    return new IssueCode(
        GRANT,
        CLIENT,
        ClientType.PUBLIC,
        USER,
        REDIRECT,
        true,
        SCOPES,
        CODE_HASH,
        Optional.of(CHALLENGE),
        Optional.of("n-0S6_WzA2Mj"),
        T0.minusSeconds(30),
        Optional.empty(),
        GrantDecider.DEFAULT_CODE_LIFETIME,
        Optional.empty());
  }

  static RedeemCode redeem() {
    return new RedeemCode(
        GRANT,
        CLIENT,
        CODE_HASH,
        Optional.of(REDIRECT),
        Optional.of(VERIFIER),
        jti(0),
        Optional.of(refreshHash(0)),
        TokenLifetimes.DEFAULT);
  }

  /**
   * What the refresh handler does: decide; when that is refused only for want of knowing whether
   * the presented token is one the grant issued ({@link GrantDecider#needsIssuedLookup}), decide
   * again with what its lookup of the token-state projection found, here {@code issued}.
   */
  static Decision<GrantEvent> decideRefresh(
      GrantState state, Refresh c, Instant now, boolean issued) {
    Decision<GrantEvent> d = GrantDecider.decide(state, c, now);
    if (d instanceof Decision.Rejected<GrantEvent>
        && GrantDecider.needsIssuedLookup(state, c)
        && issued) {
      return GrantDecider.decide(state, c.issuedByGrant(), now);
    }
    return d;
  }

  static Refresh refresh(String presented, int next) {
    return new Refresh(
        GRANT,
        CLIENT,
        presented,
        Optional.empty(),
        refreshHash(next),
        jti(next),
        TokenLifetimes.DEFAULT,
        Duration.ZERO);
  }

  static GrantState codeIssued() {
    return apply(GrantState.initial(), issueCode(), T0);
  }

  /** Redeemed at T0 + 5 s with refresh token 0 and access token 0. */
  static GrantState active() {
    return apply(codeIssued(), redeem(), T0.plusSeconds(5));
  }

  static final String DEVICE_CODE_HASH = GrantTokens.hash("device-code-secret");

  /** A keyed user-code hash has the shape of a SHA-256 one. */
  static final String USER_CODE_HASH = GrantTokens.hash("BCDFGHJK");

  /** A device asks at T0: 600 s to answer, a poll every 5 s. */
  static GrantCommand.RequestDeviceAuthorization requestDevice() {
    return new GrantCommand.RequestDeviceAuthorization(
        GRANT,
        CLIENT,
        SCOPES,
        DEVICE_CODE_HASH,
        USER_CODE_HASH,
        Duration.ofSeconds(5),
        Duration.ofSeconds(600));
  }

  static GrantCommand.AnswerDeviceAuthorization answerDevice(boolean approve) {
    return new GrantCommand.AnswerDeviceAuthorization(
        GRANT, USER_CODE_HASH, USER, T0.minusSeconds(60), Optional.of("s-1"), approve);
  }

  /** A poll with the device code: access token 0, refresh token 0. */
  static GrantCommand.RedeemDeviceCode pollDevice() {
    return new GrantCommand.RedeemDeviceCode(
        GRANT,
        CLIENT,
        DEVICE_CODE_HASH,
        jti(0),
        Optional.of(refreshHash(0)),
        TokenLifetimes.DEFAULT,
        false);
  }

  static GrantState deviceRequested() {
    return apply(GrantState.initial(), requestDevice(), T0);
  }

  /** Approved at T0 + 20 s. */
  static GrantState deviceApproved() {
    return apply(deviceRequested(), answerDevice(true), T0.plusSeconds(20));
  }

  /** Approved, then redeemed at T0 + 25 s with refresh token 0 and access token 0. */
  static GrantState deviceActive() {
    return apply(deviceApproved(), pollDevice(), T0.plusSeconds(25));
  }

  /** Decides, requires acceptance, and evolves. */
  static GrantState apply(GrantState state, GrantCommand command, Instant now) {
    Decision<GrantEvent> d = GrantDecider.decide(state, command, now);
    assertThat(d.isAccepted()).as("decision %s", d).isTrue();
    GrantState out = state;
    for (GrantEvent e : d.events()) {
      out = GrantDecider.evolve(out, e);
    }
    return out;
  }

  static OAuthError oauthError(Decision<GrantEvent> d) {
    assertThat(d).isInstanceOf(Decision.Rejected.class);
    DomainError e = ((Decision.Rejected<GrantEvent>) d).error();
    assertThat(e).isInstanceOf(DomainError.OAuth.class);
    return ((DomainError.OAuth) e).error();
  }

  static DomainError error(Decision<GrantEvent> d) {
    assertThat(d).isInstanceOf(Decision.Rejected.class);
    return ((Decision.Rejected<GrantEvent>) d).error();
  }

  static List<GrantEvent> events(Decision<GrantEvent> d) {
    return d.events();
  }
}
