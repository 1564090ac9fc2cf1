package io.grantry.domain.grant;

import static io.grantry.domain.grant.GrantFixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.client.TokenExchangeMetadata;
import io.grantry.domain.grant.GrantCommand.DpopKey;
import io.grantry.domain.grant.GrantCommand.ExchangeToken;
import io.grantry.domain.grant.GrantCommand.RedeemDeviceCode;
import io.grantry.domain.oauth.OAuthError.Code;
import io.grantry.domain.oauth.Scopes;
import io.grantry.domain.oauth.TokenType;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * DPoP (RFC 9449) in the device grant's and token exchange's decisions: a device code bound to a
 * key answers only polls proving it, without effect otherwise (no poll record, no replay), and its
 * tokens carry the poll's key; a bound subject or actor token is exchanged only with a proof of its
 * key, and only for a bound token.
 */
class DpopBindingDecisionTest {
  static final String KEY = "A".repeat(43);
  static final String OTHER = "B".repeat(43);
  static final String GRANT = "dev-1";
  static final String DEVICE_HASH = GrantTokens.hash("device-secret");
  static final String USER_HASH = GrantTokens.hash("user-code");

  static DpopKey proof(String jkt) {
    return new DpopKey(Optional.of(jkt), true, true);
  }

  static GrantState requested(Optional<String> bound) {
    GrantCommand.RequestDeviceAuthorization c =
        new GrantCommand.RequestDeviceAuthorization(
            GRANT,
            "tv",
            Scopes.of("openid", "offline_access"),
            DEVICE_HASH,
            USER_HASH,
            Duration.ofSeconds(5),
            Duration.ofMinutes(10),
            bound);
    return fold(GrantState.initial(), GrantDecider.decide(GrantState.initial(), c, T0));
  }

  static GrantState approved(Optional<String> bound) {
    GrantState s = requested(bound);
    return fold(
        s,
        GrantDecider.decide(
            s,
            new GrantCommand.AnswerDeviceAuthorization(
                GRANT, USER_HASH, "alice", T0, Optional.empty(), true),
            T0.plusSeconds(10)));
  }

  static GrantState fold(GrantState s, Decision<GrantEvent> d) {
    assertThat(d.isAccepted()).as(String.valueOf(d)).isTrue();
    for (GrantEvent e : d.events()) {
      s = GrantDecider.evolve(s, e);
    }
    return s;
  }

  static RedeemDeviceCode poll(DpopKey key, boolean withRefresh) {
    return new RedeemDeviceCode(
        GRANT,
        "tv",
        DEVICE_HASH,
        GrantTokens.jti(GRANT, "a" + System.nanoTime()),
        withRefresh ? Optional.of(GrantTokens.hash("r" + System.nanoTime())) : Optional.empty(),
        TokenLifetimes.DEFAULT,
        false,
        key);
  }

  static Code refusal(Decision<GrantEvent> d) {
    assertThat(d.isAccepted()).as("refused").isFalse();
    return ((DomainError.OAuth) ((Decision.Rejected<GrantEvent>) d).error()).error().code();
  }

  @Test
  void aBoundDeviceCodeIsRecordedWithItsKeyAndAMalformedKeyIsRefused() {
    GrantState s = requested(Optional.of(KEY));
    assertThat(((GrantState.DeviceRequested) s).request().dpopJkt()).hasValue(KEY);
    Decision<GrantEvent> bad =
        GrantDecider.decide(
            GrantState.initial(),
            new GrantCommand.RequestDeviceAuthorization(
                GRANT,
                "tv",
                Scopes.of("openid"),
                DEVICE_HASH,
                USER_HASH,
                Duration.ofSeconds(5),
                Duration.ofMinutes(10),
                Optional.of("not-a-thumbprint")),
            T0);
    assertThat(refusal(bad)).isEqualTo(Code.INVALID_REQUEST);
  }

  @Test
  void aPollWithoutTheBoundKeyIsRefusedAndNotRecordedInEveryState() {
    Instant now = T0.plusSeconds(20);
    GrantState waiting = requested(Optional.of(KEY));
    for (DpopKey wrong : List.of(DpopKey.NONE, proof(OTHER))) {
      assertThat(GrantDecider.needsPollRecord(waiting, poll(wrong, false), now)).isFalse();
      assertThat(refusal(GrantDecider.decide(waiting, poll(wrong, false), now)))
          .isEqualTo(Code.INVALID_GRANT);
    }
    assertThat(GrantDecider.needsPollRecord(waiting, poll(proof(KEY), false), now)).isTrue();

    GrantState allowed = approved(Optional.of(KEY));
    assertThat(refusal(GrantDecider.decide(allowed, poll(proof(OTHER), true), now)))
        .isEqualTo(Code.INVALID_GRANT);
    GrantState active = fold(allowed, GrantDecider.decide(allowed, poll(proof(KEY), true), now));
    // After the tokens: the wrong key is still only refused; the right one is a replay.
    assertThat(refusal(GrantDecider.decide(active, poll(proof(OTHER), false), now)))
        .isEqualTo(Code.INVALID_GRANT);
    Decision<GrantEvent> replay = GrantDecider.decide(active, poll(proof(KEY), false), now);
    assertThat(replay.isAccepted()).isTrue();
    assertThat(replay.events()).hasAtLeastOneElementOfType(DeviceCodeReplayed.class);
  }

  @Test
  void theTokensAreBoundToThePollsKeyBoundCodeOrNot() {
    Instant now = T0.plusSeconds(20);
    for (Optional<String> bound : List.of(Optional.of(KEY), Optional.<String>empty())) {
      Decision<GrantEvent> d = GrantDecider.decide(approved(bound), poll(proof(KEY), true), now);
      DeviceCodeRedeemed r = (DeviceCodeRedeemed) d.events().get(0);
      assertThat(r.dpopJkt()).hasValue(KEY);
      assertThat(r.refreshTokenJkt()).hasValue(KEY);
      GrantState.Active a = (GrantState.Active) GrantDecider.evolve(approved(bound), r);
      assertThat(a.refreshToken().orElseThrow().jkt()).hasValue(KEY);
    }
    DeviceCodeRedeemed bearer =
        (DeviceCodeRedeemed)
            GrantDecider.decide(approved(Optional.empty()), poll(DpopKey.NONE, false), now)
                .events()
                .get(0);
    assertThat(bearer.dpopJkt()).isEmpty();
  }

  // ---------------------------------------------------------------- token exchange

  static PresentedToken token(String clientId, Optional<String> jkt) {
    return new PresentedToken(
        TokenType.ACCESS_TOKEN,
        "g-" + clientId,
        clientId,
        "alice",
        Optional.of("alice"),
        Scopes.of("orders.read"),
        List.of("svc"),
        Optional.empty(),
        List.of(),
        T0.plusSeconds(3600),
        jkt);
  }

  static ExchangeToken exchange(
      PresentedToken subject, Optional<PresentedToken> actor, TokenType type, DpopKey key) {
    return new ExchangeToken(
        "x-1",
        "svc",
        Scopes.of("orders.read"),
        new TokenExchangeMetadata(List.of(), true, false),
        subject,
        actor,
        Optional.empty(),
        List.of(),
        List.of(),
        type,
        GrantTokens.jti("x-1", "a1"),
        GrantTokens.hash("refresh-secret"),
        TokenLifetimes.DEFAULT,
        key);
  }

  static Decision<GrantEvent> decide(ExchangeToken c) {
    return GrantDecider.decide(GrantState.initial(), c, T0);
  }

  @Test
  void aBoundSubjectOrActorTokenNeedsAProofOfItsKey() {
    PresentedToken bound = token("web", Optional.of(KEY));
    PresentedToken actor = token("svc", Optional.empty());
    for (DpopKey wrong : List.of(DpopKey.NONE, proof(OTHER))) {
      assertThat(
              refusal(decide(exchange(bound, Optional.of(actor), TokenType.ACCESS_TOKEN, wrong))))
          .isEqualTo(Code.INVALID_GRANT);
      assertThat(
              refusal(
                  decide(
                      exchange(
                          actor,
                          Optional.of(token("web", Optional.of(KEY))),
                          TokenType.ACCESS_TOKEN,
                          wrong))))
          .isEqualTo(Code.INVALID_GRANT);
    }
    // Subject and actor bound to two keys: one proof cannot prove both.
    assertThat(
            refusal(
                decide(
                    exchange(
                        bound,
                        Optional.of(token("svc", Optional.of(OTHER))),
                        TokenType.ACCESS_TOKEN,
                        proof(KEY)))))
        .isEqualTo(Code.INVALID_GRANT);
    TokenExchanged e =
        (TokenExchanged)
            decide(exchange(bound, Optional.of(actor), TokenType.ACCESS_TOKEN, proof(KEY)))
                .events()
                .get(0);
    assertThat(e.dpopJkt()).hasValue(KEY);
  }

  @Test
  void aBoundTokenIsNeverExchangedForABearerAccessToken() {
    PresentedToken bound = token("web", Optional.of(KEY));
    // The proof is right, but the token asked for would be opaque, which carries no binding.
    DpopKey opaque = new DpopKey(Optional.of(KEY), false, false);
    assertThat(refusal(decide(exchange(bound, Optional.empty(), TokenType.ACCESS_TOKEN, opaque))))
        .isEqualTo(Code.INVALID_REQUEST);
    // Nor for a confidential client's refresh token (bound to its authentication, not the key).
    DpopKey confidential = new DpopKey(Optional.of(KEY), true, false);
    assertThat(
            refusal(
                decide(exchange(bound, Optional.empty(), TokenType.REFRESH_TOKEN, confidential))))
        .isEqualTo(Code.INVALID_REQUEST);
    // An unbound subject with a proof: the new token is bound to the proof's key.
    TokenExchanged fresh =
        (TokenExchanged)
            decide(
                    exchange(
                        token("web", Optional.empty()),
                        Optional.empty(),
                        TokenType.ACCESS_TOKEN,
                        proof(OTHER)))
                .events()
                .get(0);
    assertThat(fresh.dpopJkt()).hasValue(OTHER);
    assertThat(
            GrantEventCodec.INSTANCE
                .fromJson(TokenExchanged.TYPE, GrantEventCodec.INSTANCE.toJson(fresh))
                .equals(fresh))
        .isTrue();
  }
}
