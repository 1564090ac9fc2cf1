package io.grantry.eventstore.pg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grantry.eventstore.testing.TestDatabase;
import org.flywaydb.core.api.FlywayException;
import org.junit.jupiter.api.Test;

class MigrationsTest {

  @Test
  void appliesPendingMigrationsOnceAndReportsUpToDate() {
    TestDatabase db = TestDatabase.empty();
    assertThat(Migrations.upToDate(db.jdbcUrl(), db.user(), db.password())).isFalse();

    Migrations.MigrationResult first = Migrations.apply(db.jdbcUrl(), db.user(), db.password());
    assertThat(first.migrationsExecuted()).isPositive();
    assertThat(first.initialVersion()).isNull();
    assertThat(first.appliedVersions()).startsWith("1");
    assertThat(first.currentVersion())
        .isEqualTo(first.appliedVersions().get(first.appliedVersions().size() - 1));
    assertThat(Migrations.upToDate(db.settings())).isTrue();

    Migrations.MigrationResult second = Migrations.apply(db.settings());
    assertThat(second.migrationsExecuted()).isZero();
    assertThat(second.appliedVersions()).isEmpty();
    assertThat(second.currentVersion()).isEqualTo(first.currentVersion());
  }

  @Test
  void anUnreachableDatabaseIsAnError() {
    TestDatabase db = TestDatabase.empty();
    String missing = db.settings().withDatabase("no_such_database").jdbcUrl();
    assertThatThrownBy(() -> Migrations.upToDate(missing, db.user(), db.password()))
        .isInstanceOf(FlywayException.class);
  }
}
