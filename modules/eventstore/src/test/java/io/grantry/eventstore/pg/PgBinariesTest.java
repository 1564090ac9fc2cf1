package io.grantry.eventstore.pg;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PgBinariesTest {

  private final Path cache =
      TestDirs.base().resolve("cache-" + UUID.randomUUID().toString().substring(0, 8));

  @AfterEach
  void cleanUp() throws Exception {
    Dirs.deleteRecursively(cache);
  }

  @Test
  void concurrentExtractorsUnpackOnceKeepingModesAndSymlinks() throws Exception {
    Files.createDirectories(cache);
    URL resource = PgBinaries.locate();
    Path target = cache.resolve("grantry-pg-test");
    int threads = 3;
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    List<Future<Boolean>> results = new ArrayList<>();
    try {
      // Same JVM, so the file lock is contended via OverlappingFileLockException, like another
      // process.
      Callable<Boolean> extract =
          () -> {
            go.await();
            return PgBinaries.extractUnderLock(resource, target);
          };
      for (int i = 0; i < threads; i++) {
        results.add(pool.submit(extract));
      }
      go.countDown();
      int extracted = 0;
      for (Future<Boolean> r : results) {
        extracted += r.get(5, TimeUnit.MINUTES) ? 1 : 0;
      }
      assertThat(extracted).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }

    assertThat(PgBinaries.isComplete(target)).isTrue();
    assertThat(Files.getPosixFilePermissions(target.resolve("bin/postgres")))
        .contains(PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OTHERS_EXECUTE);
    assertThat(Files.getPosixFilePermissions(target.resolve("share/postgresql/postgres.bki")))
        .doesNotContain(PosixFilePermission.OWNER_EXECUTE);
    assertThat(Files.isSymbolicLink(target.resolve("lib/libpq.so.5"))).isTrue();
    assertThat(Files.readSymbolicLink(target.resolve("lib/libpq.so.5")))
        .isEqualTo(Path.of("libpq.so.5.17"));
    try (Stream<Path> leftovers = Files.list(cache)) {
      assertThat(leftovers.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("grantry-pg-test", "grantry-pg-test.lock");
    }
    Proc.Result version =
        Proc.run(
            List.of(target.resolve("bin/postgres").toString(), "--version"),
            Map.of(),
            Duration.ofSeconds(30));
    assertThat(version.output()).contains("PostgreSQL) 17");
  }
}
