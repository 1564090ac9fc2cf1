package io.grantry.eventstore.pg;

import java.util.Arrays;
import java.util.List;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationInfoService;
import org.flywaydb.core.api.output.MigrateOutput;
import org.flywaydb.core.api.output.MigrateResult;

/**
 * Applies the schema migrations in {@value #LOCATION} (the top-level {@code migrations/} directory,
 * copied there by the build) with Flyway.
 *
 * <p><b>Blocking:</b> these methods open JDBC connections and run DDL. Callers on Vert.x run them
 * with {@code vertx.executeBlocking(...)}, never on an event loop. Concurrent callers (two servers
 * starting together) are safe: Flyway serialises them with a PostgreSQL advisory lock.
 */
public final class Migrations {

  /** Where the migration scripts are found. */
  public static final String LOCATION = "classpath:db/migration";

  private Migrations() {}

  /**
   * The outcome of {@link #apply}.
   *
   * @param migrationsExecuted how many migrations ran now (0 when already up to date)
   * @param initialVersion schema version before, {@code null} for an empty schema
   * @param currentVersion schema version after
   * @param appliedVersions versions applied now, in order
   */
  public record MigrationResult(
      int migrationsExecuted,
      String initialVersion,
      String currentVersion,
      List<String> appliedVersions) {
    public MigrationResult {
      appliedVersions = List.copyOf(appliedVersions);
    }
  }

  /**
   * Migrates the database to the latest version. Blocking.
   *
   * @param password {@code null} for none (e.g. the embedded server's trust authentication)
   * @throws org.flywaydb.core.api.FlywayException if the database is unreachable or a migration
   *     fails
   */
  public static MigrationResult apply(String jdbcUrl, String user, String password) {
    MigrateResult result = flyway(jdbcUrl, user, password).migrate();
    List<String> applied =
        result.migrations == null
            ? List.of()
            : result.migrations.stream().map((MigrateOutput m) -> m.version).toList();
    return new MigrationResult(
        result.migrationsExecuted,
        result.initialSchemaVersion,
        result.targetSchemaVersion != null
            ? result.targetSchemaVersion
            : result.initialSchemaVersion,
        applied);
  }

  /** Same as {@link #apply(String, String, String)} for parsed settings. */
  public static MigrationResult apply(PgSettings settings) {
    return apply(settings.jdbcUrl(), settings.user(), settings.password());
  }

  /**
   * Whether every known migration is applied and none failed — for a readiness check. Blocking.
   *
   * @throws org.flywaydb.core.api.FlywayException if the database is unreachable (a readiness check
   *     treats that as "not ready" too)
   */
  public static boolean upToDate(String jdbcUrl, String user, String password) {
    MigrationInfoService info = flyway(jdbcUrl, user, password).info();
    boolean anyFailed = Arrays.stream(info.all()).anyMatch(m -> m.getState().isFailed());
    MigrationInfo[] pending = info.pending();
    return !anyFailed && pending.length == 0 && info.current() != null;
  }

  /** Same as {@link #upToDate(String, String, String)} for parsed settings. */
  public static boolean upToDate(PgSettings settings) {
    return upToDate(settings.jdbcUrl(), settings.user(), settings.password());
  }

  private static Flyway flyway(String jdbcUrl, String user, String password) {
    return Flyway.configure(Migrations.class.getClassLoader())
        .dataSource(jdbcUrl, user, password)
        .locations(LOCATION)
        .failOnMissingLocations(true)
        .validateMigrationNaming(true)
        .cleanDisabled(true)
        .load();
  }
}
