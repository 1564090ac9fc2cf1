package io.grantry.eventstore.pg;

import com.sun.security.auth.module.UnixSystem;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Linux user/permission helpers for running PostgreSQL under an unprivileged account. Blocking. */
final class Unix {

  /** uid/gid of {@code nobody} on Debian/Ubuntu/RHEL when it cannot be looked up. */
  static final int FALLBACK_ID = 65534;

  private static final Logger LOG = LoggerFactory.getLogger(Unix.class);
  private static volatile Integer euid;

  private Unix() {}

  /** An account identity to drop privileges to. */
  record Account(String name, int uid, int gid) {
    /** The {@code setpriv} prefix that runs a command as this account. */
    List<String> setprivPrefix() {
      return List.of("setpriv", "--reuid=" + uid, "--regid=" + gid, "--clear-groups", "--");
    }
  }

  /** The effective uid of this JVM (from /proc/self/status, falling back to {@code UnixSystem}). */
  static int effectiveUid() {
    Integer cached = euid;
    if (cached == null) {
      cached = readEffectiveUid();
      euid = cached;
    }
    return cached;
  }

  static boolean isRoot() {
    return effectiveUid() == 0;
  }

  private static int readEffectiveUid() {
    try {
      for (String line :
          Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
        if (line.startsWith("Uid:")) {
          return Integer.parseInt(
              line.substring(4).trim().split("\\s+")[1]); // real, effective, ...
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("Cannot read /proc/self/status", e);
    }
    return (int) new UnixSystem().getUid();
  }

  /**
   * Looks up {@code name} with {@code id -u}/{@code id -g}; falls back to {@value #FALLBACK_ID}.
   */
  static Account lookup(String name) {
    return new Account(name, idOf("-u", name), idOf("-g", name));
  }

  private static int idOf(String flag, String name) {
    try {
      Proc.Result r = Proc.run(List.of("id", flag, name), Map.of(), Duration.ofSeconds(10));
      if (r.exitCode() == 0) {
        return Integer.parseInt(r.output().trim());
      }
      LOG.warn("'id {} {}' failed ({}); using {}", flag, name, r.output().trim(), FALLBACK_ID);
    } catch (RuntimeException e) {
      LOG.warn("'id {} {}' failed; using {}", flag, name, FALLBACK_ID, e);
    }
    return FALLBACK_ID;
  }

  /**
   * The state letter of a process from {@code /proc/<pid>/stat} ({@code 'R'}, {@code 'S'}, {@code
   * 'Z'} for a zombie, ...), or 0 if there is no such process.
   */
  static char processState(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.US_ASCII);
      int close = stat.lastIndexOf(')'); // the command name in parentheses may contain anything
      return close >= 0 && close + 2 < stat.length() ? stat.charAt(close + 2) : 0;
    } catch (IOException e) {
      return 0;
    }
  }

  /** Gives {@code path} itself (not following symlinks) to uid/gid. */
  static void chown(Path path, int uid, int gid) throws IOException {
    Files.setAttribute(path, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(path, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * Recursively gives {@code root} (not following symlinks) to uid/gid, touching only entries that
   * differ.
   */
  static void chownRecursive(Path root, int uid, int gid) {
    try {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
                throws IOException {
              chown(dir);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              chown(file);
              return FileVisitResult.CONTINUE;
            }

            private void chown(Path p) throws IOException {
              if ((Integer) Files.getAttribute(p, "unix:uid", LinkOption.NOFOLLOW_LINKS) != uid) {
                Files.setAttribute(p, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
              }
              if ((Integer) Files.getAttribute(p, "unix:gid", LinkOption.NOFOLLOW_LINKS) != gid) {
                Files.setAttribute(p, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
              }
            }
          });
    } catch (IOException e) {
      throw new UncheckedIOException("Could not chown " + root + " to " + uid + ":" + gid, e);
    }
  }

  /**
   * Throws unless every ancestor of {@code path} can be traversed by {@code account} through the
   * "others" permission bits (root's directories are never owned by the account, so owner/group
   * bits do not help it).
   */
  static void requireTraversable(Path path, Account account, String what) {
    for (Path p = path.toAbsolutePath().normalize().getParent(); p != null; p = p.getParent()) {
      try {
        int owner = (Integer) Files.getAttribute(p, "unix:uid");
        int group = (Integer) Files.getAttribute(p, "unix:gid");
        var perms = Files.getPosixFilePermissions(p);
        boolean ok =
            owner == account.uid()
                ? perms.contains(PosixFilePermission.OWNER_EXECUTE)
                : group == account.gid()
                    ? perms.contains(PosixFilePermission.GROUP_EXECUTE)
                    : perms.contains(PosixFilePermission.OTHERS_EXECUTE);
        if (!ok) {
          throw new EmbeddedPostgres.EmbeddedPostgresException(
              "The JVM runs as root, so PostgreSQL runs as '"
                  + account.name()
                  + "' (uid "
                  + account.uid()
                  + "), but it cannot enter "
                  + p
                  + " (mode "
                  + PosixFilePermissions.toString(perms)
                  + ") on the way to the "
                  + what
                  + " "
                  + path
                  + ". Choose a location below world-traversable directories or run 'chmod o+x "
                  + p
                  + "'.");
        }
      } catch (IOException e) {
        throw new UncheckedIOException("Cannot check permissions of " + p, e);
      }
    }
  }
}
