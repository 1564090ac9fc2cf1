package io.grantry.resource;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The kit's DPoP replay cache is shared by every client of the API: one client holding a valid
 * bound token and its key must not fill it with its own fresh proofs and so turn every other client
 * away (503) until they expire (found by the session-4 review). One key holds at most an eighth of
 * it.
 */
class DpopReplayShareTest {
  static DpopFixture fx;

  @BeforeAll
  static void start() throws Exception {
    // Small so that the test stays small; the default (100,000) only moves the number of requests
    // the flooding client needs within one proof lifetime.
    fx = DpopFixture.start(o -> o.setDpopReplayCacheSize(5));
  }

  @AfterAll
  static void stop() throws Exception {
    fx.close();
  }

  static HttpResponse<String> read(ECKey key, String token) throws Exception {
    return fx.call(
        "GET", "/read", "DPoP " + token, DpopFixture.proof(key, "GET", fx.url("/read"), token));
  }

  @Test
  void oneClientsOwnProofsFillItsShareNotEveryonesCache() throws Exception {
    ECKey flooder = new ECKeyGenerator(Curve.P_256).generate();
    ECKey victim = new ECKeyGenerator(Curve.P_256).generate();
    String flooderToken = fx.boundToken(flooder, "flooder");
    String victimToken = fx.boundToken(victim, "victim");
    // The flooding client sends valid, fresh proofs for its own token: the first is accepted, and
    // once its share (an eighth of 5: one proof) is full it is told to retry later...
    assertThat(read(flooder, flooderToken).statusCode()).isEqualTo(200);
    for (int i = 0; i < 5; i++) {
      HttpResponse<String> r = read(flooder, flooderToken);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
      assertThat(r.headers().firstValue("Retry-After")).isPresent();
    }
    // ...and an unrelated client, with its own key, token and fresh proof, goes on.
    HttpResponse<String> r = read(victim, victimToken);
    assertThat(r.statusCode())
        .as("another client's first request after one client filled its share: " + r.body())
        .isEqualTo(200);
  }
}
