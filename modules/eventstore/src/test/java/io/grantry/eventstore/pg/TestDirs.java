package io.grantry.eventstore.pg;

import java.nio.file.Path;

/**
 * Scratch directories for the pg tests: below target/ (surefire's grantry.test.dir) or
 * java.io.tmpdir.
 */
final class TestDirs {

  private TestDirs() {}

  static Path base() {
    String testDir = System.getProperty("grantry.test.dir");
    Path root = testDir != null ? Path.of(testDir) : Path.of(System.getProperty("java.io.tmpdir"));
    return root.toAbsolutePath().normalize().resolve("pg-tests");
  }
}
