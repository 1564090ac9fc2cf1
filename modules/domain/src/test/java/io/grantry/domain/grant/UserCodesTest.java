package io.grantry.domain.grant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.domain.Decision;
import io.grantry.domain.DomainError;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** RFC 8628 §6.1: a short code people type, compared without case, dashes or spaces. */
class UserCodesTest {

  @Test
  void aNewCodeHasTheLengthAndOnlyConsonants() {
    SecureRandom random = new SecureRandom();
    for (int i = 0; i < 200; i++) {
      String code = UserCodes.generate(8, random);
      assertThat(code).matches("[BCDFGHJKLMNPQRSTVWXZ]{8}");
    }
    assertThat(UserCodes.generate(12, random)).hasSize(12);
    assertThatThrownBy(() -> UserCodes.generate(6, random))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void everyLetterIsDrawnAboutEquallyOften() {
    SplittableRandom random = new SplittableRandom(42);
    Map<Character, Integer> counts = new HashMap<>();
    int codes = 20_000;
    for (int i = 0; i < codes; i++) {
      for (char c : UserCodes.generate(8, random).toCharArray()) {
        counts.merge(c, 1, Integer::sum);
      }
    }
    assertThat(counts).hasSize(20);
    double expected = codes * 8 / 20.0;
    counts.values().forEach(n -> assertThat(Math.abs(n - expected) / expected).isLessThan(0.05));
  }

  @Test
  void typedCodesAreComparedWithoutCaseDashesOrSpaces() {
    assertThat(UserCodes.normalize("BCDF-GHJK")).contains("BCDFGHJK");
    assertThat(UserCodes.normalize("bcdf-ghjk")).contains("BCDFGHJK");
    assertThat(UserCodes.normalize(" bcdf ghjk ")).contains("BCDFGHJK");
    assertThat(UserCodes.normalize("BcDfGhJk")).contains("BCDFGHJK");
    assertThat(UserCodes.display("BCDFGHJK")).isEqualTo("BCDF-GHJK");
    assertThat(UserCodes.display("BCDFGHJKLM")).isEqualTo("BCDF-GHJK-LM");
  }

  @Test
  void anythingElseIsNotACode() {
    for (String bad :
        new String[] {
          null,
          "",
          "BCDF-GHJ",
          "BCDF-GHJA",
          "BCDF-GHJ0",
          "BCDF_GHJK",
          "BCDFGHJKLMNPQ",
          "ＢCDF-GHJK",
          "BCDF-GHJK\u0000",
          "B".repeat(65),
          "ßCDF-GHJK"
        }) {
      assertThat(UserCodes.normalize(bad)).as("%s", bad).isEmpty();
    }
  }

  @Test
  void aClaimIsRefusedWhileAnotherGrantsClaimIsLive() {
    String hash = GrantTokens.hash("BCDFGHJK");
    Instant t0 = Instant.parse("2025-03-01T10:00:00Z");
    UserCodeClaims.State none = UserCodeClaims.State.NONE;
    UserCodeClaimed first =
        UserCodeClaims.claim(none, hash, "g-1", t0.plusSeconds(600), t0).events().get(0);
    UserCodeClaims.State claimed = UserCodeClaims.evolve(none, first);
    assertThat(claimed.liveGrant(t0.plusSeconds(599))).contains("g-1");
    assertThat(claimed.liveGrant(t0.plusSeconds(600))).isEmpty();
    Decision<UserCodeClaimed> taken =
        UserCodeClaims.claim(claimed, hash, "g-2", t0.plusSeconds(900), t0.plusSeconds(300));
    assertThat(((Decision.Rejected<UserCodeClaimed>) taken).error())
        .isInstanceOf(DomainError.AlreadyExists.class);
    // Once the first claim expired, the code may name another grant.
    assertThat(
            UserCodeClaims.claim(claimed, hash, "g-2", t0.plusSeconds(1200), t0.plusSeconds(600))
                .events())
        .containsExactly(new UserCodeClaimed(hash, "g-2", t0.plusSeconds(1200)));
    // The code itself is never accepted where its hash belongs.
    assertThat(UserCodeClaims.claim(none, "BCDFGHJK", "g-1", t0.plusSeconds(600), t0))
        .isInstanceOf(Decision.Rejected.class);
    UserCodeClaimed back =
        UserCodeClaims.CODEC.fromJson(
            UserCodeClaimed.TYPE, UserCodeClaims.CODEC.toJson(first).copy());
    assertThat(back).isEqualTo(first);
  }
}
