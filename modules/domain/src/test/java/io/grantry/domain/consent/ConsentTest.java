package io.grantry.domain.consent;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.Decision;
import io.grantry.domain.oauth.Scopes;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ConsentTest {
  static final Instant T = Instant.parse("2026-05-01T10:00:00Z");

  static Consent.State apply(Consent.State s, Decision<ConsentEvent> d) {
    for (ConsentEvent e : d.events()) {
      // Through the codec, as the store would.
      ConsentEvent back = Consent.CODEC.fromJson(Consent.CODEC.type(e), Consent.CODEC.toJson(e));
      assertThat(back).isEqualTo(e);
      s = Consent.evolve(s, back);
    }
    return s;
  }

  @Test
  void aGrantIsRememberedForTheSameOrFewerScopesOnly() {
    Consent.State s =
        apply(
            Consent.State.NONE,
            Consent.grant(Consent.State.NONE, "u1", "c1", Scopes.of("openid", "email"), T));
    assertThat(s.covers(Scopes.of("openid"))).isTrue();
    assertThat(s.covers(Scopes.of("openid", "email"))).isTrue();
    assertThat(s.covers(Scopes.of("openid", "profile"))).isFalse();
    assertThat(Consent.grant(s, "u1", "c1", Scopes.of("email"), T).events()).isEmpty();
    Consent.State wider = apply(s, Consent.grant(s, "u1", "c1", Scopes.of("profile"), T));
    assertThat(wider.covers(Scopes.of("openid", "email", "profile"))).isTrue();
  }

  @Test
  void aRevokedConsentCoversNothingAndRevokingTwiceChangesNothing() {
    Consent.State s =
        apply(
            Consent.State.NONE,
            Consent.grant(Consent.State.NONE, "u1", "c1", Scopes.of("openid"), T));
    Consent.State revoked = apply(s, Consent.revoke(s, "u1", "c1", "user", T));
    assertThat(revoked.covers(Scopes.of("openid"))).isFalse();
    assertThat(Consent.revoke(revoked, "u1", "c1", "user", T).events()).isEmpty();
    assertThat(Consent.State.NONE.covers(Scopes.empty())).isFalse();
  }
}
