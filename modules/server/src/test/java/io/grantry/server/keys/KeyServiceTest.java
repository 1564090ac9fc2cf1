package io.grantry.server.keys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.domain.key.SigningAlgorithm;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.testing.TestDatabase;
import io.grantry.server.app.Aggregate;
import io.grantry.server.crypto.InvalidJwsException;
import io.grantry.server.crypto.JwsSigner;
import io.grantry.server.crypto.KeyEncryption;
import io.grantry.server.testing.TestServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class KeyServiceTest {
  static Vertx vertx;
  static Pool pool;
  static byte[] kek = new byte[32];
  static final AtomicReference<Instant> now =
      new AtomicReference<>(Instant.parse("2026-01-01T00:00:00Z"));

  /** A clock the test moves by hand. */
  static final Clock clock =
      new Clock() {
        @Override
        public ZoneOffset getZone() {
          return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
          return this;
        }

        @Override
        public Instant instant() {
          return now.get();
        }
      };

  @BeforeAll
  static void start() {
    vertx = Vertx.vertx();
    pool =
        PgBuilder.pool().connectingTo(TestDatabase.fresh().connectOptions()).using(vertx).build();
    new SecureRandom().nextBytes(kek);
  }

  @AfterAll
  static void stop() throws Exception {
    TestServer.await(vertx.close());
  }

  KeyService service() {
    EventStore store =
        EventStore.create(vertx, pool, EventStoreOptions.defaults().withClock(clock));
    return new KeyService(vertx, store, new KeyEncryption(kek), clock);
  }

  @Test
  void firstStartCreatesOneActiveKeyPerAlgorithmEvenWhenTwoServersStartAtOnce() throws Exception {
    KeyService a = service();
    KeyService b = service();
    TestServer.await(Future.all(a.start(), b.start()));
    a.stop();
    b.stop();
    TestServer.await(a.refresh());
    List<JsonObject> keys =
        a.jwks().getJsonArray("keys").stream().map(o -> (JsonObject) o).toList();
    assertThat(keys)
        .extracting(k -> k.getString("alg"))
        .containsExactlyInAnyOrder("ES256", "RS256");
    assertThat(keys)
        .allSatisfy(
            k -> {
              assertThat(k.getString("kid")).isNotBlank();
              assertThat(k.getString("use")).isEqualTo("sig");
              assertThat(k.containsKey("d")).isFalse();
            });
    assertThat(a.signer(SigningAlgorithm.ES256).kid())
        .isEqualTo(b.signer(SigningAlgorithm.ES256).kid());
    // The ledger holds the private keys only encrypted.
    String ledger =
        TestServer.await(
                pool.query(
                        "SELECT string_agg(payload::text, ' ') FROM events WHERE stream_id = 'keys'")
                    .execute())
            .iterator()
            .next()
            .getString(0);
    assertThat(ledger).contains("\"encrypted_private_key\": \"v1.").doesNotContain("\"d\":");
  }

  @Test
  void aRotatedKeyStillVerifiesDuringTheOverlapAndDisappearsAfterIt() throws Exception {
    KeyService keys = service();
    TestServer.await(keys.start());
    keys.stop();
    JwsSigner old = keys.signer(SigningAlgorithm.ES256);
    String token = old.sign(new JsonObject().put("sub", "alice"), JwsSigner.TYP_ACCESS_TOKEN);

    TestServer.await(
        keys.rotate(
            SigningAlgorithm.ES256,
            Duration.ofHours(24),
            false,
            Aggregate.Metadata.system("test")));
    assertThat(keys.signer(SigningAlgorithm.ES256).kid()).isNotEqualTo(old.kid());
    assertThat(keys.verifier().verify(token).kid()).isEqualTo(old.kid());
    assertThat(keys.jwks().encode()).contains(old.kid());

    now.set(now.get().plus(Duration.ofHours(25)));
    TestServer.await(keys.refresh());
    assertThat(keys.jwks().encode()).doesNotContain(old.kid());
    assertThatThrownBy(() -> keys.verifier().verify(token)).isInstanceOf(InvalidJwsException.class);
    String fresh =
        keys.signer(SigningAlgorithm.ES256)
            .sign(new JsonObject().put("sub", "bob"), JwsSigner.TYP_ACCESS_TOKEN);
    assertThat(keys.verifier().verify(fresh).payload().getString("sub")).isEqualTo("bob");
  }
}
