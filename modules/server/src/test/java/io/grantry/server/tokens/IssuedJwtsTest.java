package io.grantry.server.tokens;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.server.crypto.CryptoProviders;
import io.grantry.server.crypto.JwsSigner;
import io.grantry.server.crypto.JwsVerifier;
import io.grantry.server.crypto.SigningKeys;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The one decision between the recorded hash and the signature ({@link IssuedJwts#issued}). Its
 * end-to-end side, with tokens tampered by Nimbus against a real server, is {@code
 * IntrospectionByHashTest}.
 */
class IssuedJwtsTest {
  private static SigningKeys.GeneratedKey ours;
  private static JwsVerifier verifier;

  /**
   * A verifier that knows our kid with ANOTHER public key: every signature of ours fails with it,
   * so a token it accepts was accepted without its signature being checked.
   */
  private static JwsVerifier impostor;

  private static String token;

  @BeforeAll
  static void keys() {
    CryptoProviders.install();
    ours = SigningKeys.generate(SigningAlgorithm.ES256);
    verifier = new JwsVerifier(List.of(ours.publicJwk()));
    SigningKeys.GeneratedKey other = SigningKeys.generate(SigningAlgorithm.ES256);
    impostor =
        new JwsVerifier(
            List.of(other.publicJwk().copy().put("kid", ours.publicJwk().getValue("kid"))));
    token =
        JwsSigner.of(ours)
            .sign(
                new JsonObject().put("jti", "g1.abc").put("sub", "svc").put("exp", 4102444800L),
                JwsSigner.TYP_ACCESS_TOKEN);
  }

  @Test
  void theTokenWhoseHashWasRecordedIsRecognisedWithoutItsSignature() {
    assertThat(IssuedJwts.issued(token, Optional.of(GrantTokens.hash(token)), impostor)).isTrue();
    // The same token without a recorded hash needs its signature, which this verifier refuses.
    assertThat(IssuedJwts.issued(token, Optional.empty(), impostor)).isFalse();
  }

  @Test
  void anyOtherStringFallsBackToTheSignature() {
    String recorded = GrantTokens.hash(token);
    // Another token of ours under the same jti (a refresh answered again in its grace period):
    // its hash differs, its signature verifies.
    String resigned =
        JwsSigner.of(ours)
            .sign(
                new JsonObject().put("jti", "g1.abc").put("sub", "svc").put("exp", 4102444800L),
                JwsSigner.TYP_ACCESS_TOKEN);
    assertThat(resigned).isNotEqualTo(token);
    assertThat(IssuedJwts.issued(resigned, Optional.of(recorded), verifier)).isTrue();
    assertThat(IssuedJwts.issued(resigned, Optional.of(recorded), impostor)).isFalse();
    // One character more, less or changed: not the recorded string, and no valid signature.
    int i = token.indexOf('.') + 5;
    String changed =
        token.substring(0, i) + (token.charAt(i) == 'A' ? 'B' : 'A') + token.substring(i + 1);
    for (String altered :
        List.of(token + "A", token.substring(0, token.length() - 1), changed, " " + token)) {
      assertThat(IssuedJwts.matches(altered, recorded)).as(altered).isFalse();
      assertThat(IssuedJwts.issued(altered, Optional.of(recorded), verifier)).as(altered).isFalse();
    }
  }

  @Test
  void aRecordedValueThatIsNotAHashMatchesNothing() {
    assertThat(IssuedJwts.matches(token, "not base64url!")).isFalse();
    assertThat(IssuedJwts.matches(token, "")).isFalse();
    assertThat(IssuedJwts.matches(token, GrantTokens.hash(token).substring(0, 20))).isFalse();
  }
}
