package io.grantry.domain.authorize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.oauth.OAuthError;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PushedRequestsTest {
  static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");
  static final String URI = PushedRequests.REQUEST_URI_PREFIX + "a".repeat(43);
  static final Parameters PARAMS =
      new Parameters(
          Map.of(
              "client_id", List.of("web"),
              "response_type", List.of("code"),
              "state", List.of("s1")));

  static PushedRequests.State pushed() {
    Decision<PushedRequestEvent> d =
        PushedRequests.push(
            PushedRequests.initial(), "web", URI, PARAMS, Duration.ofSeconds(60), T0);
    return PushedRequests.evolve(PushedRequests.initial(), d.events().get(0));
  }

  static OAuthError refusal(Decision<PushedRequestEvent> d) {
    assertThat(d).isInstanceOf(Decision.Rejected.class);
    return ((DomainError.OAuth) ((Decision.Rejected<PushedRequestEvent>) d).error()).error();
  }

  @Test
  void aPushRecordsTheHashOfTheRequestUriAndTheParametersNeverTheUriItself() {
    Decision<PushedRequestEvent> d =
        PushedRequests.push(
            PushedRequests.initial(), "web", URI, PARAMS, Duration.ofSeconds(60), T0);
    PushedRequestEvent.Pushed e = (PushedRequestEvent.Pushed) d.events().get(0);
    assertThat(e.requestUriHash()).isEqualTo(GrantTokens.hash(URI));
    assertThat(e.expiresAt()).isEqualTo(T0.plusSeconds(60));
    assertThat(PushedRequestEventCodec.INSTANCE.toJson(e).encode()).doesNotContain(URI);
    assertThat(PushedRequests.streamId(URI)).isEqualTo("par:" + GrantTokens.hash(URI));
    PushedRequestEvent back =
        PushedRequestEventCodec.INSTANCE.fromJson(
            e.type(), PushedRequestEventCodec.INSTANCE.toJson(e));
    assertThat(back).isEqualTo(e);
  }

  @Test
  void theClientsCredentialsAreNeverRecorded() {
    Parameters withSecret =
        new Parameters(Map.of("client_id", List.of("web"), "client_secret", List.of("s")));
    assertThatThrownBy(
            () ->
                PushedRequests.push(
                    PushedRequests.initial(), "web", URI, withSecret, Duration.ofSeconds(60), T0))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theRequestUriIsUsedOnceByItsClientBeforeItExpires() {
    PushedRequests.State state = pushed();
    Decision<PushedRequestEvent> use = PushedRequests.use(state, "web", T0.plusSeconds(59));
    assertThat(use.events()).hasSize(1);
    PushedRequests.State spent = PushedRequests.evolve(state, use.events().get(0));
    assertThat(PushedRequests.parameters(spent)).contains(PARAMS);

    assertThat(refusal(PushedRequests.use(spent, "web", T0.plusSeconds(1))).code())
        .isEqualTo(OAuthError.Code.INVALID_REQUEST_URI);
    assertThat(refusal(PushedRequests.use(state, "other", T0.plusSeconds(1))).description())
        .contains("another client");
    assertThat(refusal(PushedRequests.use(state, "web", T0.plusSeconds(60))).description())
        .contains("expired");
    assertThat(refusal(PushedRequests.use(PushedRequests.initial(), "web", T0)).redirectable())
        .isFalse();
  }

  @Test
  void aLifetimeOverTenMinutesIsRefused() {
    assertThat(
            PushedRequests.push(
                PushedRequests.initial(), "web", URI, PARAMS, Duration.ofSeconds(601), T0))
        .isInstanceOf(Decision.Rejected.class);
  }

  @Test
  void onlyOurOwnRequestUrisHaveTheirShape() {
    assertThat(PushedRequests.isRequestUri(URI)).isTrue();
    assertThat(PushedRequests.isRequestUri("https://evil.example/r")).isFalse();
    assertThat(PushedRequests.isRequestUri(PushedRequests.REQUEST_URI_PREFIX + "a")).isFalse();
    assertThat(PushedRequests.isRequestUri(PushedRequests.REQUEST_URI_PREFIX + "%".repeat(43)))
        .isFalse();
  }
}
