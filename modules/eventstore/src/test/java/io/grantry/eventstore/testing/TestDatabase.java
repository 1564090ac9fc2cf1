package io.grantry.eventstore.testing;

import io.grantry.eventstore.pg.EmbeddedPostgres;
import io.grantry.eventstore.pg.Migrations;
import io.grantry.eventstore.pg.PgSettings;
import io.vertx.pgclient.PgConnectOptions;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real PostgreSQL databases for tests (shipped in the eventstore test-jar).
 *
 * <p>One {@link EmbeddedPostgres} per JVM, started lazily on first use (initdb with {@code
 * --no-sync}) in a directory unique to this JVM below {@code target/grantry-test-pg/} of the
 * current module (system property {@code grantry.test.dir}, set by surefire), or below {@code
 * java.io.tmpdir}. A template database {@value #TEMPLATE} is migrated once by Flyway; {@link
 * #fresh()} then clones it with {@code CREATE DATABASE ... TEMPLATE}, which takes tens of
 * milliseconds, so each test class can have its own database. The server is stopped and its
 * directory deleted by a shutdown hook; servers left behind by killed JVMs are stopped and removed
 * on the next start.
 *
 * <p>Thread-safe. Blocking: call from the test thread, not from an event loop.
 *
 * <pre>{@code
 * static final TestDatabase DB = TestDatabase.fresh();
 * PgConnectOptions options = DB.connectOptions();
 * }</pre>
 */
public final class TestDatabase {

  /** The migrated template database every {@link #fresh()} database is cloned from. */
  public static final String TEMPLATE = "grantry_template";

  private static final AtomicInteger COUNTER = new AtomicInteger();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Object LOCK = new Object();
  private static EmbeddedPostgres server; // guarded by LOCK

  private final String name;
  private final PgSettings settings;

  private TestDatabase(String name, PgSettings settings) {
    this.name = name;
    this.settings = settings;
  }

  /** A new, uniquely named database with all migrations applied. */
  public static TestDatabase fresh() {
    return create("TEMPLATE " + TEMPLATE);
  }

  /**
   * A new, uniquely named, empty database (no migrations), e.g. for migration or readiness tests.
   */
  public static TestDatabase empty() {
    return create("TEMPLATE template0");
  }

  /** The shared server, started (and the template migrated) on first use. */
  public static EmbeddedPostgres server() {
    synchronized (LOCK) {
      if (server == null) {
        server = startServer();
      }
      return server;
    }
  }

  public String name() {
    return name;
  }

  public PgSettings settings() {
    return settings;
  }

  /**
   * {@code jdbc:postgresql://127.0.0.1:<port>/<name>}; user {@link #user()}, {@link #password()}.
   */
  public String jdbcUrl() {
    return settings.jdbcUrl();
  }

  /** A fresh copy each call, so callers may modify it. */
  public PgConnectOptions connectOptions() {
    return settings.connectOptions();
  }

  public String user() {
    return settings.user();
  }

  /**
   * The superuser's password: the shared server was initialised with a random one (it requires it
   * of every connection, as the development server does).
   */
  public String password() {
    return settings.password();
  }

  /** A new JDBC connection to this database (caller closes it). */
  public Connection connect() throws SQLException {
    return DriverManager.getConnection(jdbcUrl(), user(), password());
  }

  @Override
  public String toString() {
    return "TestDatabase[" + name + " on " + settings + "]";
  }

  // ---------------------------------------------------------------------------------------------------------

  private static TestDatabase create(String template) {
    EmbeddedPostgres pg = server();
    String name = "test_" + COUNTER.incrementAndGet() + "_" + randomHex();
    synchronized (
        LOCK) { // one CREATE DATABASE at a time keeps the template free of concurrent readers
      execute(pg, "postgres", "CREATE DATABASE " + name + " " + template);
    }
    return new TestDatabase(name, pg.settings(name));
  }

  private static EmbeddedPostgres startServer() {
    Path base = baseDirectory();
    removeAbandoned(base);
    Path dataDir = base.resolve("pg-" + ProcessHandle.current().pid() + "-" + randomHex());
    // fsync off: this cluster is thrown away when the JVM ends, so what fsync protects against (an
    // operating-system crash losing written pages) cannot matter to a test, while every commit's
    // WAL flush and CREATE DATABASE's sync cost milliseconds on a shared disk (2.8 ms per synced
    // 8 kB write measured here under load), and so does the checkpoint of its shutdown, which
    // runs in a shutdown hook while Surefire waits for the fork to end. A PostgreSQL process that
    // crashes still loses nothing committed (the pages are in the kernel's cache); tests that
    // kill PostgreSQL or check durability start clusters of their own with the defaults.
    EmbeddedPostgres pg =
        EmbeddedPostgres.builder().testMode(true).setting("fsync", "off").build().start(dataDir, 0);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  pg.stop(); // idempotent; EmbeddedPostgres' own hook may be doing the same
                  // concurrently
                  removeAfterExit(dataDir, dataDir.resolveSibling(dataDir.getFileName() + ".lock"));
                },
                "grantry-test-db-cleanup"));
    try {
      execute(pg, "postgres", "CREATE DATABASE " + TEMPLATE);
      Migrations.apply(pg.jdbcUrl(TEMPLATE), pg.user(), pg.password());
      // Nobody may connect to the template any more, so CREATE DATABASE ... TEMPLATE can never find
      // it busy.
      execute(
          pg,
          "postgres",
          "ALTER DATABASE " + TEMPLATE + " WITH IS_TEMPLATE true ALLOW_CONNECTIONS false");
    } catch (RuntimeException e) {
      pg.stop();
      throw e;
    }
    return pg;
  }

  /**
   * {@code target/grantry-test-pg} of the current module, or {@code
   * java.io.tmpdir/grantry-test-pg}. As root the server runs as 'nobody', which must be able to
   * traverse every ancestor; if it cannot, use java.io.tmpdir.
   */
  private static Path baseDirectory() {
    String testDir = System.getProperty("grantry.test.dir");
    Path tmp =
        Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath().resolve("grantry-test-pg");
    if (testDir == null || testDir.isBlank()) {
      return tmp;
    }
    Path target = Path.of(testDir).toAbsolutePath().normalize().resolve("grantry-test-pg");
    if (runningAsRoot() && !traversableByOthers(target)) {
      return tmp;
    }
    return target;
  }

  private static boolean runningAsRoot() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")
          == 0; // owned by our euid
    } catch (IOException | RuntimeException e) {
      return "root".equals(System.getProperty("user.name"));
    }
  }

  private static boolean traversableByOthers(Path path) {
    for (Path p = path.getParent(); p != null; p = p.getParent()) {
      try {
        if (Files.exists(p)
            && !Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
          return false;
        }
      } catch (IOException e) {
        return false;
      }
    }
    return true;
  }

  /** Stops and deletes servers of JVMs that died without running their shutdown hooks. */
  private static void removeAbandoned(Path base) {
    if (!Files.isDirectory(base)) {
      return;
    }
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(base, "pg-*")) {
      for (Path dir : dirs) {
        if (Files.isDirectory(dir) && EmbeddedPostgres.stopIfAbandoned(dir)) {
          deleteQuietly(dir);
          deleteQuietly(dir.resolveSibling(dir.getFileName() + ".lock"));
        }
      }
    } catch (IOException | RuntimeException e) {
      System.err.println("grantry: could not clean up old test databases in " + base + ": " + e);
    }
  }

  private static void execute(EmbeddedPostgres pg, String database, String sql) {
    try (Connection c =
            DriverManager.getConnection(pg.jdbcUrl(database), pg.user(), pg.password());
        Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new IllegalStateException("Failed on " + pg + ": " + sql + ": " + e.getMessage(), e);
    }
  }

  private static String randomHex() {
    byte[] bytes = new byte[4];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  /**
   * Removes {@code paths} with a process of their own that outlives this JVM ({@code rm -rf}), else
   * here. A module's cluster holds a database of about 8 MB per test class, thousands of files:
   * unlinked one by one in this shutdown hook they kept the fork from ending for more than the 30 s
   * Surefire waits after its last test ("Surefire is going to kill self fork JVM"; the thread dump
   * it writes showed this hook in {@code unlink}). The next start's {@link #removeAbandoned} takes
   * what such a process left.
   */
  private static void removeAfterExit(Path... paths) {
    List<String> command = new ArrayList<>(List.of("rm", "-rf", "--"));
    for (Path p : paths) {
      command.add(p.toString());
    }
    try {
      new ProcessBuilder(command)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD)
          .redirectError(ProcessBuilder.Redirect.DISCARD)
          .start();
    } catch (IOException | RuntimeException e) {
      for (Path p : paths) {
        deleteQuietly(p);
      }
    }
  }

  private static void deleteQuietly(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc)
                throws IOException {
              Files.deleteIfExists(dir);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (IOException | RuntimeException e) {
      System.err.println("grantry: could not delete " + root + ": " + e);
    }
  }
}
