package io.grantry.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** GRANTRY_EMBEDDED_PG_SETTINGS: tuning the embedded PostgreSQL, never its durability. */
class EmbeddedSettingsTest {
  @Test
  void pairsArePassedOn() {
    assertThat(
            DatabaseSettings.embeddedSettings(
                "max_wal_size=4GB; wal_compression=lz4,shared_buffers = 256MB;"))
        .containsExactly(
            Map.entry("max_wal_size", "4GB"),
            Map.entry("wal_compression", "lz4"),
            Map.entry("shared_buffers", "256MB"));
    assertThat(DatabaseSettings.embeddedSettings("")).isEmpty();
    assertThat(DatabaseSettings.embeddedSettings(" ")).isEmpty();
  }

  @Test
  void durabilityCannotBeTurnedDown() {
    for (String s :
        new String[] {
          "fsync=off", "synchronous_commit=off", "FULL_PAGE_WRITES=off", "x=1;wal_level=minimal"
        }) {
      assertThatThrownBy(() -> DatabaseSettings.embeddedSettings(s))
          .as(s)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("cannot be changed");
    }
  }

  @Test
  void malformedPairsAreRefusedByName() {
    for (String s : new String[] {"max_wal_size", "=4GB", "a b=1", "shared_buffers="}) {
      assertThatThrownBy(() -> DatabaseSettings.embeddedSettings(s))
          .as(s)
          .isInstanceOf(ConfigException.class)
          .hasMessageContaining("GRANTRY_EMBEDDED_PG_SETTINGS");
    }
  }
}
