package io.grantry.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.server.config.ConfigException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** GRANTRY_EMBEDDED_PG_SETTINGS: tuning the embedded PostgreSQL, never its durability. */
class EmbeddedSettingsTest {
  @Test
  void pairsArePassedOn() {
    assertThat(
            Database.embeddedSettings(
                "max_wal_size=4GB; wal_compression=lz4,shared_buffers = 256MB;"))
        .containsExactly(
            Map.entry("max_wal_size", "4GB"),
            Map.entry("wal_compression", "lz4"),
            Map.entry("shared_buffers", "256MB"));
    assertThat(Database.embeddedSettings(null)).isEmpty();
    assertThat(Database.embeddedSettings(" ")).isEmpty();
  }

  @Test
  void durabilityCannotBeTurnedDown() {
    for (String s :
        new String[] {
          "fsync=off", "synchronous_commit=off", "FULL_PAGE_WRITES=off", "x=1;wal_level=minimal"
        }) {
      assertThatThrownBy(() -> Database.embeddedSettings(s))
          .as(s)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("cannot be changed");
    }
  }

  @Test
  void malformedPairsAreRefusedByName() {
    for (String s : new String[] {"max_wal_size", "=4GB", "a b=1", "shared_buffers="}) {
      assertThatThrownBy(() -> Database.embeddedSettings(s))
          .as(s)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("GRANTRY_EMBEDDED_PG_SETTINGS");
    }
  }
}
