package io.grantry.eventstore.pg;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Set;

/** Small blocking file-system helpers. */
final class Dirs {

  static final Set<PosixFilePermission> MODE_0755 = PosixFilePermissions.fromString("rwxr-xr-x");
  static final Set<PosixFilePermission> MODE_0700 = PosixFilePermissions.fromString("rwx------");
  static final Set<PosixFilePermission> MODE_0600 = PosixFilePermissions.fromString("rw-------");

  private Dirs() {}

  /**
   * Creates {@code dir} and its missing ancestors, giving every directory created here mode 0755
   * regardless of the umask (so an unprivileged account can traverse them). Existing directories
   * are left alone.
   */
  static void createTraversable(Path dir) throws IOException {
    Deque<Path> missing = new ArrayDeque<>();
    for (Path p = dir.toAbsolutePath().normalize();
        p != null && !Files.isDirectory(p);
        p = p.getParent()) {
      missing.push(p);
    }
    for (Path p : missing) {
      try {
        Files.createDirectory(p);
        Files.setPosixFilePermissions(p, MODE_0755);
      } catch (FileAlreadyExistsException e) {
        if (!Files.isDirectory(p)) {
          throw e;
        }
      }
    }
  }

  /** Deletes a directory tree without following symlinks; a missing directory is fine. */
  static void deleteRecursively(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            delete(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
            if (exc != null) {
              throw exc;
            }
            delete(dir);
            return FileVisitResult.CONTINUE;
          }

          private void delete(Path p) throws IOException {
            try {
              Files.delete(p);
            } catch (NoSuchFileException ignored) {
              // already gone (e.g. a postgres temp file)
            }
          }
        });
  }

  /** Whether {@code dir} is empty or absent. */
  static boolean isEmptyOrMissing(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return true;
    }
    try (var entries = Files.list(dir)) {
      return entries.findAny().isEmpty();
    }
  }
}
