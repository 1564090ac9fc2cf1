package io.grantry.eventstore.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.eventstore.pg.EmbeddedPostgres.EmbeddedPostgresException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class EmbeddedPostgresTest {

  private final List<EmbeddedPostgres> started = new ArrayList<>();
  private final List<Path> dirs = new ArrayList<>();

  @AfterEach
  void cleanUp() throws IOException {
    started.forEach(EmbeddedPostgres::stop);
    for (Path dir : dirs) {
      EmbeddedPostgres.stopIfAbandoned(dir); // in case a test failed half-way with a server up
      Dirs.deleteRecursively(dir);
      Files.deleteIfExists(dir.resolveSibling(dir.getFileName() + ".lock"));
    }
  }

  /** One initdb for several checks: initdb takes most of the time here. */
  @Test
  void startsAnswersStopsAndRestartsKeepingData() throws Exception {
    Path dir = newDir("lifecycle");
    EmbeddedPostgres pg = track(EmbeddedPostgres.builder().testMode(true).build()).start(dir, 0);

    assertThat(pg.isRunning()).isTrue();
    assertThat(dir.resolve("PG_VERSION")).hasContent("17");
    int firstPort = pg.port();
    assertThat(pg.jdbcUrl("postgres"))
        .isEqualTo("jdbc:postgresql://127.0.0.1:" + firstPort + "/postgres");
    try (Connection c = connect(pg);
        Statement s = c.createStatement()) {
      assertThat(single(s, "select version()")).contains("PostgreSQL 17");
      assertThat(single(s, "show synchronous_commit")).isEqualTo("on");
      assertThat(single(s, "show fsync")).isEqualTo("on");
      assertThat(single(s, "show max_connections")).isEqualTo("200");
      assertThat(single(s, "show max_wal_size")).isEqualTo("8GB");
      s.execute("create table kept (id int primary key)");
      s.execute("insert into kept values (1), (2), (3)");
    }
    assertThat(dir.resolve(".s.PGSQL." + firstPort))
        .as("Unix socket in the data directory")
        .exists();
    if (isRoot()) {
      long postmaster =
          Long.parseLong(Files.readAllLines(dir.resolve("postmaster.pid")).get(0).trim());
      assertThat((Integer) Files.getAttribute(Path.of("/proc/" + postmaster), "unix:uid"))
          .as("postgres must not run as root")
          .isNotZero();
    }

    List<String> pidFile = Files.readAllLines(dir.resolve("postmaster.pid"));

    // While running, nobody else may use the data directory.
    EmbeddedPostgres second = track(EmbeddedPostgres.create());
    assertThatThrownBy(() -> second.start(dir, 0))
        .isInstanceOf(EmbeddedPostgresException.class)
        .hasMessageContaining("is in use");
    assertThat(EmbeddedPostgres.stopIfAbandoned(dir)).isFalse();

    pg.stop();
    assertThat(pg.isRunning()).isFalse();
    assertThat(dir.resolve("postmaster.pid")).doesNotExist();
    assertThatThrownBy(
            () ->
                DriverManager.getConnection(
                    "jdbc:postgresql://127.0.0.1:" + firstPort + "/postgres?connectTimeout=5",
                    "postgres",
                    null))
        .isInstanceOf(SQLException.class);

    // A server that cannot start reports why, and leaves the data directory usable.
    EmbeddedPostgres broken =
        track(EmbeddedPostgres.builder().setting("shared_buffers", "lots").build());
    assertThatThrownBy(() -> broken.start(dir, 0))
        .isInstanceOf(EmbeddedPostgresException.class)
        .hasMessageContaining("failed to start")
        .hasMessageContaining("postgres.log")
        .hasMessageContaining("invalid value for parameter \"shared_buffers\"");
    assertThat(broken.isRunning()).isFalse();

    // A stale postmaster.pid whose pid now belongs to an unrelated live process (here: this JVM).
    pidFile.set(0, Long.toString(ProcessHandle.current().pid()));
    Files.write(dir.resolve("postmaster.pid"), pidFile);

    pg.start(dir, 0);
    try (Connection c = connect(pg);
        Statement s = c.createStatement()) {
      assertThat(single(s, "select string_agg(id::text, ',' order by id) from kept"))
          .isEqualTo("1,2,3");
    }
  }

  /**
   * No local account gets in without the superuser's password, or with another one (over the Unix
   * socket: ServerBootTest, which has the native transport that reaches it).
   */
  @Test
  void everyConnectionNeedsThePassword() throws Exception {
    Path dir = newDir("scram");
    EmbeddedPostgres pg =
        track(EmbeddedPostgres.builder().testMode(true).password("the-password").build())
            .start(dir, 0);
    assertRefused(pg, null);
    assertRefused(pg, "");
    assertRefused(pg, "not-the-password");
    assertThat(EmbeddedPostgres.trusts(dir)).isFalse();
    try (Connection c = connect(pg);
        Statement s = c.createStatement()) {
      assertThat(
              single(
                  s,
                  "select rolpassword like 'SCRAM-SHA-256$%' from pg_authid where rolname = 'postgres'"))
          .isEqualTo("t");
    }
    pg.stop();
    // Another password does not start it either: the start says why.
    EmbeddedPostgres wrong =
        track(EmbeddedPostgres.builder().testMode(true).password("guessed").build());
    assertThatThrownBy(() -> wrong.start(dir, 0))
        .isInstanceOf(EmbeddedPostgresException.class)
        .hasMessageContaining("refused the superuser's password")
        .hasMessageNotContaining("guessed");
    assertThat(wrong.isRunning()).isFalse();
  }

  /**
   * A data directory initialised with trust, as they were before, is migrated on its next start:
   * its data kept, the password set, and from then on required.
   */
  @Test
  void aTrustingDataDirectoryIsMigratedOnStart() throws Exception {
    Path dir = newDir("trusting");
    EmbeddedPostgres first =
        track(EmbeddedPostgres.builder().testMode(true).password("first").build()).start(dir, 0);
    try (Connection c = connect(first);
        Statement s = c.createStatement()) {
      s.execute("create table kept (id int)");
      s.execute("insert into kept values (7)");
      s.execute("alter role postgres password null");
    }
    first.stop();
    // What initdb -A trust wrote.
    Files.writeString(
        dir.resolve("pg_hba.conf"),
        "local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n");
    assertThat(EmbeddedPostgres.trusts(dir)).isTrue();

    EmbeddedPostgres pg =
        track(EmbeddedPostgres.builder().testMode(true).password("migrated").build()).start(dir, 0);
    assertThat(EmbeddedPostgres.trusts(dir)).isFalse();
    assertRefused(pg, null);
    try (Connection c = connect(pg);
        Statement s = c.createStatement()) {
      assertThat(single(s, "select id from kept")).isEqualTo("7");
    }
    // The next start finds nothing to migrate.
    pg.stop();
    pg.start(dir, 0);
    assertRefused(pg, null);
  }

  private static void assertRefused(EmbeddedPostgres pg, String password) {
    assertThatThrownBy(
            () ->
                DriverManager.getConnection(
                    pg.jdbcUrl("postgres") + "?connectTimeout=10", pg.user(), password))
        .as("password " + password)
        .isInstanceOf(SQLException.class)
        .satisfies(
            e -> assertThat(((SQLException) e).getSQLState()).isIn("28P01", "28000", "08004"));
  }

  @Test
  void aServerLeftRunningByAKilledJvmIsStoppedAndTheDataDirReused() throws Exception {
    Path dir = newDir("killed");
    String java = ProcessHandle.current().info().command().orElse("java");
    Process child =
        new ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                "-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"),
                KilledJvmMain.class.getName(),
                dir.toString(),
                "killed-jvm-password")
            .redirectErrorStream(true)
            .start();
    CompletableFuture<String> ready = new CompletableFuture<>();
    StringBuilder childOutput = new StringBuilder();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader in =
                  new BufferedReader(
                      new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                  synchronized (childOutput) {
                    childOutput.append(line).append('\n');
                  }
                  if (line.startsWith(KilledJvmMain.READY)) {
                    ready.complete(line);
                  }
                }
              } catch (IOException e) {
                ready.completeExceptionally(e);
              }
              ready.completeExceptionally(
                  new IllegalStateException("child exited before it was ready"));
            },
            "child-output");
    reader.setDaemon(true);
    reader.start();
    String[] readyLine;
    try {
      readyLine = ready.get(120, TimeUnit.SECONDS).split(" ");
    } catch (Exception e) {
      child.destroyForcibly();
      synchronized (childOutput) {
        throw new AssertionError("child JVM did not start PostgreSQL:\n" + childOutput, e);
      }
    }
    long orphanPid = Long.parseLong(readyLine[2]);

    child.destroyForcibly(); // SIGKILL: no shutdown hooks run
    assertThat(child.onExit().get(30, TimeUnit.SECONDS).exitValue()).isNotZero();
    assertThat(ProcessHandle.of(orphanPid).map(ProcessHandle::isAlive))
        .as("the postmaster survives its JVM")
        .contains(true);

    EmbeddedPostgres pg =
        track(EmbeddedPostgres.builder().testMode(true).password("killed-jvm-password").build())
            .start(dir, 0);
    long newPid = Long.parseLong(Files.readAllLines(dir.resolve("postmaster.pid")).get(0).trim());
    assertThat(newPid).isNotEqualTo(orphanPid);
    try (Connection c = connect(pg);
        Statement s = c.createStatement()) {
      assertThat(single(s, "select count(*) from written_by_child")).isEqualTo("1");
    }
  }

  @Test
  void anExplicitPortInUseFailsWithAClearMessage() throws Exception {
    Path dir = newDir("port");
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int port = taken.getLocalPort();
      EmbeddedPostgres pg = track(EmbeddedPostgres.create());
      assertThatThrownBy(() -> pg.start(dir, port))
          .isInstanceOf(EmbeddedPostgresException.class)
          .hasMessageContaining("port " + port)
          .hasMessageContaining("already in use");
      assertThat(pg.isRunning()).isFalse();
    }
  }

  @Test
  void initdbFailureIncludesItsOutput() throws Exception {
    Path dir = newDir("notempty");
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("unrelated.txt"), "not a cluster");
    EmbeddedPostgres pg = track(EmbeddedPostgres.builder().testMode(true).build());
    assertThatThrownBy(() -> pg.start(dir, 0))
        .isInstanceOf(EmbeddedPostgresException.class)
        .hasMessageContaining("initdb failed")
        .hasMessageContaining("exists but is not empty");
    assertThat(dir.resolve("unrelated.txt")).exists();
  }

  @Test
  void settingValuesAreShellQuoted() {
    assertThat(EmbeddedPostgres.shellQuote("a=b")).isEqualTo("'a=b'");
    assertThat(EmbeddedPostgres.shellQuote("it's")).isEqualTo("'it'\\''s'");
  }

  private EmbeddedPostgres track(EmbeddedPostgres pg) {
    started.add(pg);
    return pg;
  }

  private Path newDir(String name) {
    Path dir = TestDirs.base().resolve(name + "-" + UUID.randomUUID().toString().substring(0, 8));
    dirs.add(dir);
    return dir;
  }

  private static Connection connect(EmbeddedPostgres pg) throws SQLException {
    return DriverManager.getConnection(pg.jdbcUrl("postgres"), pg.user(), pg.password());
  }

  private static String single(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      assertThat(rs.next()).isTrue();
      return rs.getString(1);
    }
  }

  private static boolean isRoot() throws IOException {
    return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
  }
}
