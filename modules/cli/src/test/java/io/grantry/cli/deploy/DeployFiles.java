package io.grantry.cli.deploy;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the repository's files are, from a module's directory. */
final class DeployFiles {
  private DeployFiles() {}

  static Path repository() {
    Path p = Path.of("").toAbsolutePath();
    while (!Files.isDirectory(p.resolve("ops/deploy"))) {
      p = p.getParent();
      if (p == null) {
        throw new IllegalStateException("no ops/deploy above " + Path.of("").toAbsolutePath());
      }
    }
    return p;
  }
}
