package io.grantry.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.eventstore.merkle.NoteKey;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class GrantryConfigTest {
  @Test
  void defaultsAreThoseTheReadmeDocuments() {
    GrantryConfig c = GrantryConfig.from(new JsonObject());
    assertThat(c.http().port()).isEqualTo(8080);
    assertThat(c.issuer()).isEqualTo("http://localhost:8080");
    assertThat(c.embeddedDatabase()).isTrue();
    assertThat(c.database().dataDir().toString()).endsWith("data");
    assertThat(GrantryConfig.from(new JsonObject().put("GRANTRY_HTTP_PORT", "9000")).issuer())
        .isEqualTo("http://localhost:9000");
  }

  @Test
  void badValuesNameTheSetting() {
    assertThatThrownBy(
            () -> GrantryConfig.from(new JsonObject().put("GRANTRY_HTTP_PORT", "eighty")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("GRANTRY_HTTP_PORT");
    assertThatThrownBy(() -> GrantryConfig.from(new JsonObject().put("GRANTRY_HTTP_PORT", "70000")))
        .hasMessageContaining("between 0 and 65535");
    assertThatThrownBy(() -> GrantryConfig.from(new JsonObject().put("GRANTRY_ISSUER", "ftp://x")))
        .hasMessageContaining("GRANTRY_ISSUER");
    assertThatThrownBy(
            () -> GrantryConfig.from(new JsonObject().put("GRANTRY_DB_URL", "mysql://x/y")))
        .hasMessageContaining("GRANTRY_DB_URL");
  }

  @Test
  void sessionLifetimesAreCheckedAtStart() {
    assertThatThrownBy(
            () -> GrantryConfig.from(new JsonObject().put("GRANTRY_SESSION_IDLE_SECONDS", "5")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("GRANTRY_SESSION_IDLE_SECONDS");
    assertThatThrownBy(
            () ->
                GrantryConfig.from(
                    new JsonObject().put("GRANTRY_SESSION_MAX_SECONDS", "9223372036854775807")))
        .hasMessageContaining("GRANTRY_SESSION_MAX_SECONDS");
  }

  @Test
  void deviceGrantSettingsDefaultAndAreBounded() {
    DeviceSettings d = GrantryConfig.from(new JsonObject()).device();
    assertThat(d.lifetime()).isEqualTo(Duration.ofMinutes(10));
    assertThat(d.interval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(d.userCodeLength()).isEqualTo(8);
    assertThat(d.failuresPerUser()).isEqualTo(5);
    assertThat(d.failuresPerAddress()).isEqualTo(20);
    assertThat(d.failureWindow()).isEqualTo(Duration.ofMinutes(15));
    assertThat(d.requestsPerAddress()).isEqualTo(30);
    DeviceSettings set =
        GrantryConfig.from(
                new JsonObject()
                    .put("GRANTRY_DEVICE_CODE_TTL_SECONDS", "1800")
                    .put("GRANTRY_DEVICE_POLL_INTERVAL_SECONDS", "10")
                    .put("GRANTRY_DEVICE_USER_CODE_LENGTH", "12")
                    .put("GRANTRY_DEVICE_USER_CODE_FAILURES_PER_USER", "3")
                    .put("GRANTRY_DEVICE_USER_CODE_FAILURES_PER_ADDRESS", "50")
                    .put("GRANTRY_DEVICE_USER_CODE_WINDOW_SECONDS", "3600")
                    .put("GRANTRY_DEVICE_REQUESTS_PER_ADDRESS", "40"))
            .device();
    assertThat(set)
        .isEqualTo(
            new DeviceSettings(
                Duration.ofMinutes(30),
                Duration.ofSeconds(10),
                12,
                3,
                50,
                Duration.ofHours(1),
                40));
    // A code shorter than 8 letters is too easy to guess; beyond the domain's bounds a device code
    // would outlive what its decisions accept.
    for (String[] bad :
        new String[][] {
          {"GRANTRY_DEVICE_CODE_TTL_SECONDS", "1801"},
          {"GRANTRY_DEVICE_CODE_TTL_SECONDS", "0"},
          {"GRANTRY_DEVICE_POLL_INTERVAL_SECONDS", "0"},
          {"GRANTRY_DEVICE_POLL_INTERVAL_SECONDS", "61"},
          {"GRANTRY_DEVICE_USER_CODE_LENGTH", "6"},
          {"GRANTRY_DEVICE_USER_CODE_LENGTH", "13"},
          {"GRANTRY_DEVICE_USER_CODE_FAILURES_PER_USER", "0"},
          {"GRANTRY_DEVICE_USER_CODE_FAILURES_PER_ADDRESS", "many"},
          {"GRANTRY_DEVICE_USER_CODE_WINDOW_SECONDS", "10"},
          {"GRANTRY_DEVICE_REQUESTS_PER_ADDRESS", "0"}
        }) {
      assertThatThrownBy(() -> GrantryConfig.from(new JsonObject().put(bad[0], bad[1])))
          .as("%s=%s", bad[0], bad[1])
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(bad[0]);
    }
  }

  @Test
  void everySettingIsCheckedBeforeAnythingStarts() {
    // Each of these was once accepted, or refused only after PostgreSQL had started.
    for (String[] bad :
        new String[][] {
          {"GRANTRY_ACCESS_TOKEN_TTL_SECONDS", "-5"},
          {"GRANTRY_ACCESS_TOKEN_TTL_SECONDS", "172800"},
          {"GRANTRY_CODE_TTL_SECONDS", "601"},
          {"GRANTRY_GRANT_MAX_SECONDS", "forever"},
          {"GRANTRY_LOG_LEVEL", "LOUD"},
          {"GRANTRY_REFRESH_GRACE_SECONDS", "3600"},
          {"GRANTRY_CHECKPOINT_INTERVAL_MS", "-1"},
          {"GRANTRY_TRUSTED_PROXIES", "proxy.example.com"},
          {"GRANTRY_EMBEDDED_PG_SETTINGS", "fsync=off"},
          {"GRANTRY_KEK", "c2hvcnQ="},
          {"GRANTRY_ADMIN_TOKEN", "short"},
          {"GRANTRY_DB_URL", "postgresql://:5432/x"},
          {"GRANTRY_THROTTLE_MAX_DELAY_MS", "4000"},
          {"GRANTRY_PASSWORD_HASH_CONCURRENCY", "0"},
          {"GRANTRY_PASSWORD_HASH_CONCURRENCY", "257"},
          {"GRANTRY_PASSWORD_HASH_QUEUE", "-1"},
          {"GRANTRY_PASSWORD_HASH_QUEUE", "lots"},
        }) {
      assertThatThrownBy(() -> GrantryConfig.from(new JsonObject().put(bad[0], bad[1])))
          .as(bad[0] + "=" + bad[1])
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(bad[0]);
    }
  }

  @Test
  void typedSettingsCarryTheirValues() {
    GrantryConfig c =
        GrantryConfig.from(
            new JsonObject()
                .put("GRANTRY_ACCESS_TOKEN_TTL_SECONDS", "600")
                .put("GRANTRY_GRANT_MAX_SECONDS", "86400")
                .put("GRANTRY_LOG_LEVEL", "debug")
                .put("GRANTRY_TRUSTED_PROXIES", "10.0.0.0/8")
                .put("GRANTRY_SESSION_IDLE_SECONDS", "120"));
    assertThat(c.tokens().lifetimes().accessToken()).hasSeconds(600);
    assertThat(c.tokens().lifetimes().absolute()).contains(Duration.ofDays(1));
    assertThat(c.logLevel()).isEqualTo("DEBUG");
    assertThat(c.http().trustedProxies().trusts("10.1.2.3")).isTrue();
    assertThat(c.sessions().idle()).hasSeconds(120);
    assertThat(c.unknown()).isEmpty();
  }

  @Test
  void aSettingNoPartOfTheServerReadsIsNamed() {
    assertThat(
            GrantryConfig.from(
                    new JsonObject()
                        .put("GRANTRY_SESION_IDLE_SECONDS", "60")
                        .put("GRANTRY_ADMIN_URL", "http://x"))
                .unknown())
        .containsExactly("GRANTRY_SESION_IDLE_SECONDS");
  }

  @Test
  void aTrailingSlashIsDroppedFromTheIssuer() {
    assertThat(
            GrantryConfig.from(new JsonObject().put("GRANTRY_ISSUER", "https://id.example.com/"))
                .issuer())
        .isEqualTo("https://id.example.com");
  }

  @Test
  void metricsSettingsAreCheckedAtStart() {
    for (var bad :
        List.of(
            new JsonObject().put("GRANTRY_METRICS_PORT", "ninety"),
            new JsonObject().put("GRANTRY_METRICS_PORT", "0"),
            new JsonObject().put("GRANTRY_METRICS_PORT", "70000"),
            new JsonObject().put("GRANTRY_METRICS_PORT", "8080"),
            new JsonObject().put("GRANTRY_METRICS_HOST", "not a host!"),
            new JsonObject().put("GRANTRY_METRICS_TOKEN", "short"))) {
      String name = bad.fieldNames().iterator().next();
      assertThatThrownBy(() -> GrantryConfig.from(bad))
          .as(bad.encode())
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith(name)
          .hasMessageNotContaining("\n");
    }
    // The token is never echoed.
    assertThatThrownBy(
            () -> GrantryConfig.from(new JsonObject().put("GRANTRY_METRICS_TOKEN", "s3cr3t")))
        .hasMessageNotContaining("s3cr3t");
    GrantryConfig.from(
        new JsonObject()
            .put("GRANTRY_METRICS_PORT", "9464")
            .put("GRANTRY_METRICS_HOST", "0.0.0.0")
            .put("GRANTRY_METRICS_TOKEN", "a".repeat(24)));
  }

  @Test
  void passwordHashingIsBoundedByTheHeapAndTheCores() {
    long mb = 1 << 20;
    Duration deadline = Duration.ofSeconds(5);
    // By default a quarter of the heap's worth of 19 MiB computations, at most half the cores, at
    // least one; 16 waiting per slot; a wait of half the request deadline.
    PasswordHashingSettings small = hashing(new JsonObject(), 192 * mb, 2);
    assertThat(small.concurrency()).isEqualTo(1);
    assertThat(small.queue()).isEqualTo(16);
    assertThat(small.maxWait()).isEqualTo(Duration.ofMillis(2500));
    assertThat(hashing(new JsonObject(), 192 * mb, 16).concurrency()).isEqualTo(2);
    assertThat(hashing(new JsonObject(), 4096 * mb, 16).concurrency()).isEqualTo(8);
    assertThat(hashing(new JsonObject(), 4096 * mb, 16).queue()).isEqualTo(128);
    assertThat(hashing(new JsonObject(), 32 * mb, 16).concurrency()).isEqualTo(1);

    // Set by hand: taken as given, the queue following the concurrency unless set too.
    PasswordHashingSettings set =
        hashing(new JsonObject().put("GRANTRY_PASSWORD_HASH_CONCURRENCY", "4"), 1024 * mb, 2);
    assertThat(set.concurrency()).isEqualTo(4);
    assertThat(set.queue()).isEqualTo(64);
    assertThat(
            hashing(
                    new JsonObject()
                        .put("GRANTRY_PASSWORD_HASH_CONCURRENCY", "1")
                        .put("GRANTRY_PASSWORD_HASH_QUEUE", "0"),
                    1024 * mb,
                    2)
                .queue())
        .isZero();
    // ... but never more than half the heap in Argon2id blocks: 8 x 19 MiB do not fit in 256 MB.
    assertThatThrownBy(
            () ->
                hashing(
                    new JsonObject().put("GRANTRY_PASSWORD_HASH_CONCURRENCY", "8"), 256 * mb, 16))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("GRANTRY_PASSWORD_HASH_CONCURRENCY 8")
        .hasMessageContaining("half the heap");

    // Through the whole configuration, with this JVM's heap and cores; the wait follows the
    // request deadline (GRANTRY_DB_TIMEOUT_MS).
    GrantryConfig c =
        GrantryConfig.from(
            new JsonObject()
                .put("GRANTRY_PASSWORD_HASH_CONCURRENCY", "1")
                .put("GRANTRY_PASSWORD_HASH_QUEUE", "3")
                .put("GRANTRY_DB_TIMEOUT_MS", "8000"));
    assertThat(c.passwordHashing())
        .isEqualTo(new PasswordHashingSettings(1, 3, Duration.ofSeconds(4)));
    assertThat(c.unknown()).isEmpty();
  }

  private static PasswordHashingSettings hashing(JsonObject in, long maxHeap, int cores) {
    return PasswordHashingSettings.read(new Settings(in), Duration.ofSeconds(5), maxHeap, cores);
  }

  @Test
  void ledgerSettingsHaveTheirDefaultsAndAreCheckedAtStart() {
    LedgerSettings d =
        GrantryConfig.from(new JsonObject().put("GRANTRY_ISSUER", "https://id.example.com/t1/"))
            .ledger();
    assertThat(d.checkpointInterval()).isEqualTo(Duration.ofMinutes(1));
    assertThat(d.origin()).isEqualTo("id.example.com/t1/ledger");
    assertThat(d.publishDirectory()).isEmpty();
    assertThat(d.witness()).isEmpty();
    assertThat(GrantryConfig.from(new JsonObject()).ledger().origin())
        .isEqualTo("localhost:8080/ledger");

    NoteKey witness = NoteKey.generate("witness.example", NoteKey.COSIGNATURE);
    NoteKey logKey = NoteKey.generate("witness.example", NoteKey.ED25519);
    LedgerSettings s =
        GrantryConfig.from(
                new JsonObject()
                    .put("GRANTRY_CHECKPOINT_INTERVAL_MS", "0")
                    .put("GRANTRY_LEDGER_ORIGIN", "audit.example/grantry")
                    .put("GRANTRY_LEDGER_PUBLISH_DIR", "/var/lib/grantry/heads")
                    .put("GRANTRY_LEDGER_WITNESS_URL", "https://witness.example/w/")
                    .put("GRANTRY_LEDGER_WITNESS_KEY", witness.verifierKey()))
            .ledger();
    assertThat(s.checkpointInterval()).isZero();
    assertThat(s.origin()).isEqualTo("audit.example/grantry");
    assertThat(s.publishDirectory()).contains(Path.of("/var/lib/grantry/heads"));
    assertThat(s.witness().orElseThrow().url()).hasToString("https://witness.example/w");
    assertThat(s.witness().orElseThrow().key().verifierKey()).isEqualTo(witness.verifierKey());

    for (JsonObject bad :
        List.of(
            new JsonObject().put("GRANTRY_CHECKPOINT_INTERVAL_MS", "86400001"),
            new JsonObject().put("GRANTRY_LEDGER_ORIGIN", "two words"),
            new JsonObject().put("GRANTRY_LEDGER_ORIGIN", "a+b"),
            new JsonObject().put("GRANTRY_LEDGER_WITNESS_URL", "https://witness.example"),
            new JsonObject()
                .put("GRANTRY_LEDGER_WITNESS_URL", "ftp://witness.example")
                .put("GRANTRY_LEDGER_WITNESS_KEY", witness.verifierKey()),
            new JsonObject()
                .put("GRANTRY_LEDGER_WITNESS_URL", "https://witness.example")
                .put("GRANTRY_LEDGER_WITNESS_KEY", "not a key"),
            // A log's signing key is no witness's cosignature key.
            new JsonObject()
                .put("GRANTRY_LEDGER_WITNESS_URL", "https://witness.example")
                .put("GRANTRY_LEDGER_WITNESS_KEY", logKey.verifierKey()),
            new JsonObject().put("GRANTRY_LEDGER_WITNESS_KEY", witness.verifierKey()))) {
      assertThatThrownBy(() -> GrantryConfig.from(bad))
          .as(bad.encode())
          .isInstanceOf(ConfigException.class)
          .hasMessageStartingWith("GRANTRY_")
          .hasMessageNotContaining("\n");
    }
  }

  @Test
  void endpointProfilesAreOffByDefault() {
    EndpointSettings e = GrantryConfig.from(new JsonObject()).endpoints();
    assertThat(e.aliases()).isEmpty();
    assertThat(e.primary()).isEmpty();
  }

  @Test
  void endpointProfilesAreReadAsAListAndOneMayBePrimary() {
    EndpointSettings e =
        GrantryConfig.from(
                new JsonObject()
                    .put("GRANTRY_ENDPOINT_ALIASES", " Duende, okta ,")
                    .put("GRANTRY_ENDPOINT_PRIMARY", "OKTA"))
            .endpoints();
    assertThat(e.aliases()).containsExactlyInAnyOrder(EndpointProfile.DUENDE, EndpointProfile.OKTA);
    assertThat(e.primary()).contains(EndpointProfile.OKTA);
    EndpointSettings canonical =
        GrantryConfig.from(
                new JsonObject()
                    .put("GRANTRY_ENDPOINT_ALIASES", "duende")
                    .put("GRANTRY_ENDPOINT_PRIMARY", "grantry"))
            .endpoints();
    assertThat(canonical.aliases()).containsExactly(EndpointProfile.DUENDE);
    assertThat(canonical.primary()).isEmpty();
  }

  @Test
  void endpointProfilesAreCheckedAtStart() {
    assertThatThrownBy(
            () -> GrantryConfig.from(new JsonObject().put("GRANTRY_ENDPOINT_ALIASES", "auth0")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("GRANTRY_ENDPOINT_ALIASES")
        .hasMessageContaining("duende, okta")
        .hasMessageContaining("auth0");
    assertThatThrownBy(
            () -> GrantryConfig.from(new JsonObject().put("GRANTRY_ENDPOINT_PRIMARY", "keycloak")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("GRANTRY_ENDPOINT_PRIMARY");
    // A primary profile whose paths are not served would advertise 404s.
    assertThatThrownBy(
            () ->
                GrantryConfig.from(
                    new JsonObject()
                        .put("GRANTRY_ENDPOINT_ALIASES", "duende")
                        .put("GRANTRY_ENDPOINT_PRIMARY", "okta")))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("GRANTRY_ENDPOINT_PRIMARY")
        .hasMessageContaining("GRANTRY_ENDPOINT_ALIASES");
  }

  @Test
  void pushedAuthorizationRequestSettings() {
    GrantryConfig dflt = GrantryConfig.from(new JsonObject());
    assertThat(dflt.par().requestUriLifetime()).isEqualTo(Duration.ofSeconds(60));
    assertThat(dflt.par().required()).isFalse();
    GrantryConfig set =
        GrantryConfig.from(
            new JsonObject()
                .put("GRANTRY_PAR_REQUEST_URI_TTL_SECONDS", "90")
                .put("GRANTRY_PAR_REQUIRED", "TRUE"));
    assertThat(set.par().requestUriLifetime()).isEqualTo(Duration.ofSeconds(90));
    assertThat(set.par().required()).isTrue();
    assertThat(set.unknown()).isEmpty();
    // FAPI 2.0: a request_uri lives less than 600 s.
    assertThatThrownBy(
            () ->
                GrantryConfig.from(
                    new JsonObject().put("GRANTRY_PAR_REQUEST_URI_TTL_SECONDS", "601")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("GRANTRY_PAR_REQUEST_URI_TTL_SECONDS");
    assertThatThrownBy(
            () -> GrantryConfig.from(new JsonObject().put("GRANTRY_PAR_REQUIRED", "yes")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("GRANTRY_PAR_REQUIRED must be true or false");
  }

  @Test
  void clientAuthenticationWithKeysSettings() {
    ClientSettings dflt = GrantryConfig.from(new JsonObject()).clients();
    assertThat(dflt.clockSkew()).isEqualTo(Duration.ofSeconds(30));
    assertThat(dflt.assertionMaxLifetime()).isEqualTo(Duration.ofMinutes(5));
    assertThat(dflt.jwksUriTimeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(dflt.jwksUriCacheLifetime()).isEqualTo(Duration.ofMinutes(5));
    assertThat(dflt.jwksUriMinRefetch()).isEqualTo(Duration.ofSeconds(10));
    assertThat(dflt.jwksUriMaxBytes()).isEqualTo(65_536);
    GrantryConfig set =
        GrantryConfig.from(
            new JsonObject()
                .put("GRANTRY_CLOCK_SKEW_SECONDS", "5")
                .put("GRANTRY_CLIENT_ASSERTION_MAX_LIFETIME_SECONDS", "60")
                .put("GRANTRY_JWKS_URI_TIMEOUT_MILLIS", "750")
                .put("GRANTRY_JWKS_URI_CACHE_SECONDS", "0")
                .put("GRANTRY_JWKS_URI_MIN_REFETCH_SECONDS", "1")
                .put("GRANTRY_JWKS_URI_MAX_BYTES", "2048"));
    assertThat(set.unknown()).isEmpty();
    assertThat(set.clients().clockSkew()).isEqualTo(Duration.ofSeconds(5));
    assertThat(set.clients().assertionMaxLifetime()).isEqualTo(Duration.ofMinutes(1));
    assertThat(set.clients().jwksUriTimeout()).isEqualTo(Duration.ofMillis(750));
    assertThat(set.clients().jwksUriCacheLifetime()).isEqualTo(Duration.ZERO);
    assertThat(set.clients().jwksUriMinRefetch()).isEqualTo(Duration.ofSeconds(1));
    assertThat(set.clients().jwksUriMaxBytes()).isEqualTo(2048);
    for (String[] bad :
        new String[][] {
          {"GRANTRY_CLOCK_SKEW_SECONDS", "301"},
          {"GRANTRY_CLIENT_ASSERTION_MAX_LIFETIME_SECONDS", "3601"},
          {"GRANTRY_JWKS_URI_TIMEOUT_MILLIS", "99"},
          {"GRANTRY_JWKS_URI_MAX_BYTES", "1048577"},
          {"GRANTRY_JWKS_URI_MIN_REFETCH_SECONDS", "-1"}
        }) {
      assertThatThrownBy(() -> GrantryConfig.from(new JsonObject().put(bad[0], bad[1])))
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining(bad[0]);
    }
  }

  @Test
  void dpopSettings() {
    assertThat(GrantryConfig.from(new JsonObject()).dpop().proofWindow())
        .isEqualTo(Duration.ofSeconds(60));
    GrantryConfig set =
        GrantryConfig.from(new JsonObject().put("GRANTRY_DPOP_PROOF_WINDOW_SECONDS", "30"));
    assertThat(set.dpop().proofWindow()).isEqualTo(Duration.ofSeconds(30));
    assertThat(set.unknown()).isEmpty();
    assertThatThrownBy(
            () ->
                GrantryConfig.from(new JsonObject().put("GRANTRY_DPOP_PROOF_WINDOW_SECONDS", "4")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("GRANTRY_DPOP_PROOF_WINDOW_SECONDS");
  }
}
