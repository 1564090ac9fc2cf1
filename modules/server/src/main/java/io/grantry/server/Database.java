package io.grantry.server;

import io.grantry.eventstore.pg.EmbeddedPostgres;
import io.grantry.eventstore.pg.PgSettings;
import io.grantry.server.config.DatabaseSettings;
import io.grantry.server.config.ServerSecrets;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the database is: the configured one, or an embedded PostgreSQL whose data lives in {@code
 * <GRANTRY_DATA_DIR>/postgres} so that a restart keeps it. Blocking: call from a worker.
 */
public final class Database implements AutoCloseable {
  private final PgSettings settings;
  private final EmbeddedPostgres embedded;

  private Database(PgSettings settings, EmbeddedPostgres embedded) {
    this.settings = settings;
    this.embedded = embedded;
  }

  public static Path embeddedDataDir(DatabaseSettings config) {
    return config.dataDir().resolve("postgres");
  }

  public static Database open(DatabaseSettings config) {
    Optional<PgSettings> configured = config.configured();
    if (configured.isPresent()) {
      return new Database(configured.get(), null);
    }
    // The superuser's password, kept with the other development secrets: the embedded server
    // requires it of every connection, so no other local account can use the database.
    EmbeddedPostgres.Builder builder =
        EmbeddedPostgres.builder()
            .password(ServerSecrets.embeddedDatabasePassword(config.dataDir()));
    config.embeddedSettings().forEach(builder::setting);
    EmbeddedPostgres pg = builder.build().start(embeddedDataDir(config), 0);
    return new Database(pg.settings("postgres"), pg);
  }

  public PgSettings settings() {
    return settings;
  }

  public boolean embedded() {
    return embedded != null;
  }

  public String describe() {
    return embedded != null
        ? "embedded PostgreSQL at "
            + settings.host()
            + ":"
            + settings.port()
            + ", data in "
            + embedded.dataDir()
        : "PostgreSQL at " + settings.host() + ":" + settings.port() + "/" + settings.database();
  }

  @Override
  public void close() {
    if (embedded != null) {
      embedded.stop();
    }
  }
}
