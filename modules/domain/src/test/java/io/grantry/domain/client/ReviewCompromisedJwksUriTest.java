package io.grantry.domain.client;

import static io.grantry.domain.client.ClientFixtures.T0;
import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.domain.Decision;
import io.grantry.domain.client.ClientCommand.Enable;
import io.grantry.domain.client.ClientCommand.Register;
import io.grantry.domain.client.ClientCommand.Update;
import io.grantry.domain.client.ClientState.Registered;
import io.grantry.domain.oauth.JwsAlgorithm;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Review, session 4: a private_key_jwt client whose keys are at a jwks_uri, disabled as
 * compromised, must come back only with new keys; the rule compares the URI as a string, so the
 * same keys behind a cosmetically different URI (a query, the host's case, the default port, a
 * trailing dot or slash) count as "new keys". Fails on admin2.
 */
class ReviewCompromisedJwksUriTest {

  private static ClientMetadata atUri(String uri) {
    return ClientFixtures.service().toBuilder()
        .tokenEndpointAuthMethod(TokenEndpointAuthMethod.PRIVATE_KEY_JWT)
        .security(
            new ClientSecurity(
                false, Optional.empty(), Optional.of(uri), Optional.of(JwsAlgorithm.ES256)))
        .build();
  }

  @Test
  void theSameJwksUriSpelledDifferentlyIsNotNewKeys() {
    String uri = "https://keys.example.com/jwks.json";
    ClientState registered =
        ClientDecider.replay(
            ClientDecider.decide(
                    ClientState.initial(), new Register("svc", atUri(uri), Optional.empty()), T0)
                .events());
    Registered leaked =
        (Registered)
            ClientDecider.evolve(
                registered, new ClientDisabled("svc", T0, Optional.of(DisableReason.COMPROMISED)));
    assertThat(leaked.compromised()).isTrue();
    for (String same :
        List.of(
            "https://keys.example.com/jwks.json?v=2",
            "https://KEYS.example.com/jwks.json",
            "https://keys.example.com:443/jwks.json",
            "https://keys.example.com./jwks.json")) {
      Decision<ClientEvent> d =
          ClientDecider.enableAndUpdate(
              leaked, new Enable("svc"), new Update("svc", atUri(same)), T0);
      assertThat(d)
          .as("re-enabled with jwks_uri %s (the same keys as %s)", same, uri)
          .isInstanceOf(Decision.Rejected.class);
    }
  }
}
