package io.grantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.grantry.eventstore.pg.EmbeddedPostgres;
import io.grantry.server.testing.OAuthFixtures;
import io.grantry.server.testing.TestServer;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * TLS between Grantry and PostgreSQL, as ops/README.md tells operators to set it up, tried against
 * a PostgreSQL that requires it: {@code ssl=on} with a server certificate for {@code localhost}
 * from a CA made for this test, and a {@code pg_hba.conf} that lets TCP in only over TLS ({@code
 * hostssl}). With {@code sslmode=verify-full} and the CA in {@code sslrootcert}, Grantry migrates
 * (JDBC) and serves (the Vert.x pool) over TLS; with another CA, another host name or no TLS,
 * {@code grantry serve} stops with one line that says why, exit code 1.
 */
class DatabaseTlsTest {
  static final String DATABASE = "grantry_tls";

  /** One deployment: every server on the database has the KEK its signing keys are sealed with. */
  static final Map<String, String> SECRETS = TestServer.sharedSecrets();

  static Path dir;
  static Path rootCert;
  static Path otherRootCert;
  static EmbeddedPostgres pg;

  @BeforeAll
  static void start() throws Exception {
    dir = Files.createTempDirectory("grantry-tls");
    // PostgreSQL runs as an unprivileged account when the JVM is root: it must reach the files.
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    ThrowawayCa ca = new ThrowawayCa("Grantry test CA");
    rootCert = ca.writeCertificate(dir.resolve("root.crt"));
    otherRootCert = new ThrowawayCa("Another CA").writeCertificate(dir.resolve("other-root.crt"));
    Path[] server = ca.issueServer("localhost", dir);
    // PostgreSQL refuses a key others can read (0600, owned by the account it runs as).
    Files.setPosixFilePermissions(server[1], PosixFilePermissions.fromString("rw-------"));
    if ("root".equals(System.getProperty("user.name"))) {
      UserPrincipal account =
          dir.getFileSystem()
              .getUserPrincipalLookupService()
              .lookupPrincipalByName(EmbeddedPostgres.UNPRIVILEGED_ACCOUNT);
      Files.setOwner(server[0], account);
      Files.setOwner(server[1], account);
    }
    pg =
        EmbeddedPostgres.builder()
            .testMode(true)
            .setting("ssl", "on")
            .setting("ssl_cert_file", server[0].toString())
            .setting("ssl_key_file", server[1].toString())
            .build()
            .start(dir.resolve("data"), 0);
    // TCP only over TLS: no "host" line, so a plain connection finds no entry.
    Files.writeString(
        pg.dataDir().resolve("pg_hba.conf"),
        """
        local    all  all                scram-sha-256
        hostssl  all  all  127.0.0.1/32  scram-sha-256
        hostssl  all  all  ::1/128       scram-sha-256
        """);
    try (Connection c = superuser();
        Statement s = c.createStatement()) {
      s.execute("SELECT pg_reload_conf()");
      s.execute("CREATE DATABASE " + DATABASE);
    }
  }

  @AfterAll
  static void stop() {
    if (pg != null) {
      pg.stop();
    }
  }

  /** The superuser over TLS (pgJDBC's {@code require}: encrypted, the certificate not checked). */
  static Connection superuser() throws Exception {
    Properties p = new Properties();
    p.setProperty("user", pg.user());
    p.setProperty("password", pg.password());
    p.setProperty("sslmode", "require");
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + pg.port() + "/postgres", p);
  }

  static String url(String host, String query) {
    return "postgresql://postgres@" + host + ":" + pg.port() + "/" + DATABASE + "?" + query;
  }

  static String verifyFull(Path ca) {
    return "sslmode=verify-full&sslrootcert="
        + URLEncoder.encode(ca.toString(), StandardCharsets.UTF_8);
  }

  @Test
  void verifyFullWithTheRightCaMigratesAndServesOverTls() throws Exception {
    Map<String, String> settings = new HashMap<>(SECRETS);
    settings.put("GRANTRY_DB_PASSWORD", pg.password());
    try (TestServer server =
        TestServer.startOnUrl(url("localhost", verifyFull(rootCert)), settings)) {
      // The pool works: a client registered and a token issued go through the ledger.
      OAuthFixtures fx = new OAuthFixtures(server);
      String secret =
          fx.confidentialClient("tls-app", "https://app.example/cb", "api", "client_credentials");
      HttpResponse<String> token =
          fx.token("tls-app", secret, Map.of("grant_type", "client_credentials", "scope", "api"));
      assertThat(token.statusCode()).as(token.body()).isEqualTo(200);
      HttpResponse<String> ready =
          OAuthFixtures.HTTP.send(
              HttpRequest.newBuilder(URI.create(server.url("/health/ready"))).build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);
      // Every connection Grantry holds to its database is encrypted (hostssl lets no other in).
      try (Connection c = superuser();
          Statement s = c.createStatement();
          ResultSet r =
              s.executeQuery(
                  "SELECT count(*) FILTER (WHERE s.ssl), count(*) FILTER (WHERE NOT s.ssl)"
                      + " FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)"
                      + " WHERE a.datname = '"
                      + DATABASE
                      + "'")) {
        r.next();
        assertThat(r.getLong(1)).as("TLS connections").isPositive();
        assertThat(r.getLong(2)).as("plain connections").isZero();
      }
    }
  }

  @Test
  void verifyCaChecksTheCaButNotTheHostAndRequireChecksNeither() throws Exception {
    // verify-ca: the certificate names localhost, the URL says 127.0.0.1, the CA is right.
    String verifyCa =
        "sslmode=verify-ca&sslrootcert="
            + URLEncoder.encode(rootCert.toString(), StandardCharsets.UTF_8);
    // require, with no CA given: both drivers encrypt and take any certificate (libpq's meaning).
    for (String url :
        new String[] {url("127.0.0.1", verifyCa), url("127.0.0.1", "sslmode=require")}) {
      Map<String, String> settings = new HashMap<>(SECRETS);
      settings.put("GRANTRY_DB_PASSWORD", pg.password());
      try (TestServer server = TestServer.startOnUrl(url, settings)) {
        HttpResponse<String> ready =
            OAuthFixtures.HTTP.send(
                HttpRequest.newBuilder(URI.create(server.url("/health/ready"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(ready.statusCode()).as(url + ": " + ready.body()).isEqualTo(200);
      }
    }
    CliTest.Run wrongCa =
        serve(
            url(
                "127.0.0.1",
                "sslmode=verify-ca&sslrootcert="
                    + URLEncoder.encode(otherRootCert.toString(), StandardCharsets.UTF_8)));
    saysWhyInOneLine(wrongCa, "certificate");
  }

  /** {@code grantry serve} with the database at {@code dbUrl}: it must stop, saying why. */
  static CliTest.Run serve(String dbUrl) throws Exception {
    Map<String, String> saved = CliSupport.env;
    Map<String, String> env = new HashMap<>(SECRETS);
    env.put("GRANTRY_HTTP_HOST", "127.0.0.1");
    env.put("GRANTRY_HTTP_PORT", String.valueOf(TestServer.freePort()));
    env.put("GRANTRY_ADMIN_TOKEN", TestServer.ADMIN_TOKEN);
    env.put("GRANTRY_DB_URL", dbUrl);
    env.put("GRANTRY_DB_PASSWORD", pg.password());
    CliSupport.env = env;
    try {
      return CliTest.run("serve");
    } finally {
      CliSupport.env = saved;
    }
  }

  static void saysWhyInOneLine(CliTest.Run r, String... expected) {
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(1);
    // Grantry's own line is the last. (pgJDBC itself may log a line before it through
    // java.util.logging, e.g. SEVERE "Server name validation failed" for a host name.)
    String[] lines = r.err().strip().split("\n");
    String err = lines[lines.length - 1];
    assertThat(err).startsWith("grantry: cannot start: cannot use the database at ");
    for (String e : expected) {
      assertThat(err).containsIgnoringCase(e);
    }
    assertThat(r.out() + r.err()).as("no stack trace").doesNotContain("\tat ");
  }

  @Test
  void aCertificateFromAnotherCaStopsTheStartSayingSo() throws Exception {
    CliTest.Run r = serve(url("localhost", verifyFull(otherRootCert)));
    saysWhyInOneLine(r, "certificate");
  }

  @Test
  void aCertificateForAnotherHostNameStopsTheStartSayingSo() throws Exception {
    // The certificate names localhost; the URL says 127.0.0.1.
    CliTest.Run r = serve(url("127.0.0.1", verifyFull(rootCert)));
    saysWhyInOneLine(r, "127.0.0.1");
  }

  /**
   * A line of the launcher's log (logback.xml's text format: time with its zone, level, logger,
   * message) or the launcher's own last word ({@code grantry: ...}).
   */
  static final Pattern FORMATTED =
      Pattern.compile(
          "(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}(Z|[+-]\\d{2}:\\d{2})"
              + " (TRACE|DEBUG|INFO |WARN |ERROR) \\S+ - .*|grantry: .*)");

  @Test
  void theDriversOwnRefusalOfTheHostNameIsALineOfTheServersLog() throws Exception {
    // As an operator starts it: a JVM of its own with the launcher's logging (logback.xml, not the
    // tests'), the certificate naming localhost and the URL 127.0.0.1. The PostgreSQL JDBC driver
    // logs its refusal through java.util.logging, which printed it in the JDK's two-line format.
    String cp =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m",
            "-Dlogback.configurationFile=" + Grantry.class.getResource("/logback.xml"),
            "-cp",
            cp,
            Grantry.class.getName(),
            "serve");
    pb.environment().keySet().removeIf(k -> k.startsWith("GRANTRY_"));
    pb.environment().putAll(SECRETS);
    pb.environment().put("GRANTRY_HTTP_HOST", "127.0.0.1");
    pb.environment().put("GRANTRY_HTTP_PORT", String.valueOf(TestServer.freePort()));
    pb.environment().put("GRANTRY_ADMIN_TOKEN", TestServer.ADMIN_TOKEN);
    pb.environment().put("GRANTRY_DB_URL", url("127.0.0.1", verifyFull(rootCert)));
    pb.environment().put("GRANTRY_DB_PASSWORD", pg.password());
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isEqualTo(1);
    List<String> lines = output.lines().filter(l -> !l.isBlank()).toList();
    assertThat(lines.get(lines.size() - 1))
        .startsWith("grantry: cannot start: cannot use the database at ");
    assertThat(lines).as(output).allMatch(l -> FORMATTED.matcher(l).matches());
  }

  @Test
  void aPlainConnectionIsRefusedWhereTheServerRequiresTls() throws Exception {
    CliTest.Run r = serve(url("localhost", "sslmode=disable"));
    saysWhyInOneLine(r, "no pg_hba.conf entry", "no encryption");
  }
}
