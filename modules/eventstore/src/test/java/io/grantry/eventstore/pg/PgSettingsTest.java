package io.grantry.eventstore.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.pgclient.PgConnectOptions;
import io.vertx.pgclient.SslMode;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PgSettingsTest {

  @Test
  void parsesAFullUrl() {
    PgSettings s =
        PgSettings.parse(
            "postgresql://alice:s3cr%40t@db.example.com:6543/grantry?sslmode=require&application_name=grantry%20server");
    assertThat(s.host()).isEqualTo("db.example.com");
    assertThat(s.port()).isEqualTo(6543);
    assertThat(s.database()).isEqualTo("grantry");
    assertThat(s.user()).isEqualTo("alice");
    assertThat(s.password()).isEqualTo("s3cr@t");
    assertThat(s.parameters())
        .containsExactly(
            Map.entry("sslmode", "require"), Map.entry("application_name", "grantry server"));
  }

  @Test
  void acceptsJdbcUrlsWithCredentialsAsParameters() {
    PgSettings s =
        PgSettings.parse(
            "jdbc:postgresql://localhost/grantry?user=bob&password=pw&connectTimeout=5");
    assertThat(s.host()).isEqualTo("localhost");
    assertThat(s.port()).isEqualTo(5432);
    assertThat(s.database()).isEqualTo("grantry");
    assertThat(s.user()).isEqualTo("bob");
    assertThat(s.password()).isEqualTo("pw");
    assertThat(s.parameters()).containsExactly(Map.entry("connectTimeout", "5"));
  }

  @Test
  void defaultsLikeLibpq() {
    PgSettings s = PgSettings.parse("postgres://carol@db");
    assertThat(s.port()).isEqualTo(5432);
    assertThat(s.database()).isEqualTo("carol");
    assertThat(s.password()).isNull();
    assertThat(s.passwordIfAny()).isEmpty();
    assertThat(s.connectOptions().getPassword()).isEmpty();
  }

  @Test
  void acceptsIpv6AndUnencodedSpecialCharactersInThePassword() {
    PgSettings s = PgSettings.parse("postgresql://u:p@ss/w?rd:x@[::1]:5433/db");
    assertThat(s.host()).isEqualTo("::1");
    assertThat(s.port()).isEqualTo(5433);
    assertThat(s.user()).isEqualTo("u");
    assertThat(s.password()).isEqualTo("p@ss/w?rd:x");
    assertThat(s.jdbcUrl()).isEqualTo("jdbc:postgresql://[::1]:5433/db");
  }

  @Test
  void producesJdbcUrlWithoutCredentialsAndVertxOptions() {
    PgSettings s =
        PgSettings.parse(
            "postgresql://alice:secret@db:6543/my%20db?sslmode=verify-full&application_name=g");
    assertThat(s.jdbcUrl())
        .isEqualTo("jdbc:postgresql://db:6543/my%20db?sslmode=verify-full&application_name=g");
    PgConnectOptions o = s.connectOptions();
    assertThat(o.getHost()).isEqualTo("db");
    assertThat(o.getPort()).isEqualTo(6543);
    assertThat(o.getDatabase()).isEqualTo("my db");
    assertThat(o.getUser()).isEqualTo("alice");
    assertThat(o.getPassword()).isEqualTo("secret");
    assertThat(o.getSslMode()).isEqualTo(SslMode.VERIFY_FULL);
    assertThat(o.getProperties()).containsEntry("application_name", "g");
    assertThat(PgSettings.parse(s.jdbcUrl() + "&user=alice&password=secret")).isEqualTo(s);
  }

  @Test
  void theSslModesMeanForTheVertxPoolWhatTheyMeanForLibpqAndJdbc() {
    // verify-full: the CA of sslrootcert and the host name; Vert.x refuses the mode without them.
    var full =
        PgSettings.parse("postgresql://u@db/x?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.crt")
            .connectOptions()
            .getSslOptions();
    assertThat(full.getHostnameVerificationAlgorithm()).isEqualTo("HTTPS");
    assertThat(((io.vertx.core.net.PemTrustOptions) full.getTrustOptions()).getCertPaths())
        .containsExactly("/etc/ca.crt");
    assertThat(full.isTrustAll()).isFalse();
    // verify-ca: the CA (libpq's default file without sslrootcert), not the host name.
    var ca = PgSettings.parse("postgresql://u@db/x?sslmode=verify-ca").connectOptions();
    assertThat(ca.getSslOptions().getHostnameVerificationAlgorithm()).isEmpty();
    assertThat(
            ((io.vertx.core.net.PemTrustOptions) ca.getSslOptions().getTrustOptions())
                .getCertPaths())
        .containsExactly(System.getProperty("user.home") + "/.postgresql/root.crt");
    // require: encrypted, the certificate not checked (libpq's and pgJDBC's meaning).
    var require = PgSettings.parse("postgresql://u@db/x?sslmode=require").connectOptions();
    assertThat(require.getSslOptions().isTrustAll()).isTrue();
  }

  @Test
  void toStringMasksThePassword() {
    PgSettings s = PgSettings.parse("postgresql://alice:hunter2@db/grantry");
    assertThat(s.toString())
        .isEqualTo("postgresql://alice:****@db:5432/grantry")
        .doesNotContain("hunter2");
    assertThat(s.withDatabase("other").toString()).doesNotContain("hunter2").endsWith("/other");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "postgresql://u:hunter2@db:notaport/x",
        "postgresql://u:hunter2@db:99999/x",
        "postgresql://u:hunter2@/x",
        "postgresql://u:hunter2@db1,db2/x",
        "postgresql://u:hunter2@[::1/x",
        "postgresql://u:hunter2/x",
        "postgresql://u:hunter2@db/x?sslmode=sometimes",
        "postgresql://u:hun%zzter2@db/x",
        "postgresql://db/x?password=hunter2",
        "jdbc:postgresql://:hunter2@db/x",
        "mysql://u:hunter2@db/x",
        "hunter2",
      })
  void malformedUrlsGiveAClearMessageWithoutThePassword(String url) {
    assertThatThrownBy(() -> PgSettings.parse(url))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("URL")
        .satisfies(
            e -> assertThat(e.getMessage()).doesNotContain("hunter2").doesNotContain("hun%zz"))
        .satisfies(e -> assertThat(e.getCause()).isNull());
  }

  @Test
  void malformedMessagesSayWhatIsWrong() {
    assertThatThrownBy(() -> PgSettings.parse("postgresql://u:pw@db:x/db"))
        .hasMessageContaining("port is not a number")
        .hasMessageContaining("postgresql://u:****@db:x/db");
    assertThatThrownBy(() -> PgSettings.parse("postgresql://db/x"))
        .hasMessageContaining("missing user");
    // Without a user the port is a port, not a password to mask; a password-like one still is.
    assertThatThrownBy(() -> PgSettings.parse("postgresql://db.example:5432/grantry"))
        .hasMessageContaining("missing user")
        .hasMessageContaining("postgresql://db.example:5432/grantry")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("****"));
    assertThatThrownBy(() -> PgSettings.parse("postgresql://alice:hunter2/grantry"))
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2"));
    assertThatThrownBy(() -> PgSettings.parse(" ")).hasMessageContaining("empty");
  }
}
