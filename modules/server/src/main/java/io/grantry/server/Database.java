package io.grantry.server;

import io.grantry.eventstore.pg.EmbeddedPostgres;
import io.grantry.eventstore.pg.PgSettings;
import io.grantry.server.config.ConfigException;
import io.grantry.server.config.DatabaseSettings;
import io.grantry.server.config.ServerSecrets;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

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
    if (config.url().isPresent()) {
      PgSettings s;
      try {
        s = PgSettings.parse(withUser(config.url().get(), config.user().orElse(null)));
      } catch (IllegalArgumentException e) {
        throw new ConfigException("GRANTRY_DB_URL: " + e.getMessage());
      }
      if (config.user().isPresent() || config.password().isPresent()) {
        s =
            new PgSettings(
                s.host(),
                s.port(),
                s.database(),
                config.user().orElse(s.user()),
                config.password().orElse(s.password()),
                s.parameters());
      }
      return new Database(s, null);
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

  /** A URL without user info takes GRANTRY_DB_USER as its user. */
  private static String withUser(String url, String user) {
    int scheme = url.indexOf("://");
    int slash = url.indexOf('/', scheme + 3);
    String authority = url.substring(scheme + 3, slash < 0 ? url.length() : slash);
    if (user == null || authority.contains("@")) {
      return url;
    }
    return url.substring(0, scheme + 3)
        + URLEncoder.encode(user, StandardCharsets.UTF_8)
        + "@"
        + url.substring(scheme + 3);
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
