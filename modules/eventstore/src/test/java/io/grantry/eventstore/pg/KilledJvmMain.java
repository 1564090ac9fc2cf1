package io.grantry.eventstore.pg;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

/**
 * Child JVM for {@link EmbeddedPostgresTest}: starts PostgreSQL, writes a row, reports, then waits
 * to be killed.
 */
public final class KilledJvmMain {

  static final String READY = "GRANTRY-PG-READY";

  private KilledJvmMain() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    EmbeddedPostgres pg =
        EmbeddedPostgres.builder().testMode(true).password(args[1]).build().start(dir, 0);
    try (Connection c =
            DriverManager.getConnection(pg.jdbcUrl("postgres"), pg.user(), pg.password());
        Statement s = c.createStatement()) {
      s.execute("create table written_by_child (id int)");
      s.execute("insert into written_by_child values (1)");
    }
    long pid = Long.parseLong(Files.readAllLines(dir.resolve("postmaster.pid")).get(0).trim());
    System.out.println(READY + " " + pg.port() + " " + pid);
    System.out.flush();
    Thread.currentThread().join(); // until SIGKILL
  }
}
