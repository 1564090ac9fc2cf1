package io.grantry.cli.bench;

import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.pg.Migrations;
import io.grantry.eventstore.pg.PgSettings;
import io.grantry.projections.Projection;
import io.grantry.projections.ProjectionRunner;
import io.grantry.projections.ProjectionStatus;
import io.grantry.rebuild.BulkFirstPass;
import io.grantry.server.BackgroundProjections;
import io.grantry.server.Database;
import io.grantry.server.InlineProjections;
import io.grantry.server.config.ConfigLoader;
import io.grantry.server.config.GrantryConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Rebuilds every projection of a data directory from its ledger as {@code grantry projections
 * rebuild --all} does ({@link ProjectionRunner#rebuildAll}: one read of the ledger feeds all four,
 * into fresh copies of their tables, swapped in together); prints the events replayed and the rate.
 * The benchmark of "rebuilding all projections" (ops/bench/replay.sh), and how ops/bench/ledger.sh
 * fills the projections of a generated ledger. Run with the server stopped.
 *
 * <p>Where the time went is measured here, from outside the rebuild's code (production code keeps
 * no counters of its own): the CPU seconds of this JVM and of the embedded PostgreSQL during the
 * rebuild ({@code /proc}: the postmaster, the backends it reaped and the live ones), printed as
 * {@code CPU <jvm> <postgres>}; the rebuild's own INFO log gives each step's wall clock.
 */
public final class RebuildBenchmark {
  private RebuildBenchmark() {}

  public static void main(String[] args) throws Exception {
    Vertx vertx = Vertx.vertx();
    GrantryConfig config;
    Database db;
    try {
      config = await(ConfigLoader.load(vertx, System.getenv()));
      db = Database.open(config.database());
    } catch (Exception e) {
      // A bad setting (e.g. GRANTRY_EMBEDDED_PG_SETTINGS) must end the run, not leave it waiting on
      // Vert.x's threads.
      await(vertx.close());
      throw e;
    }
    try {
      PgSettings s = db.settings();
      Migrations.apply(s.jdbcUrl(), s.user(), s.password());
      Pool pool =
          PgBuilder.pool()
              .with(new PoolOptions().setMaxSize(4))
              .connectingTo(db.settings().connectOptions())
              .using(vertx)
              .build();
      EventStore store = EventStore.create(vertx, pool, EventStoreOptions.defaults());
      ProjectionRunner runner = InlineProjections.register(store);
      Projection all = ProjectionRunner.composite(new ArrayList<>(runner.projections().values()));
      PgSettings jdbc = db.settings();
      if (!Boolean.getBoolean("grantry.bench.statements")) {
        // As `grantry projections rebuild --all` does: the bulk path
        // (-Dgrantry.bench.statements=true: the statement path).
        runner.firstPassBy(
            BulkFirstPass.of(
                () -> DriverManager.getConnection(jdbc.jdbcUrl(), jdbc.user(), jdbc.password())));
      }
      long[] events = {
        await(pool.query("SELECT count(*) FROM events").execute()).iterator().next().getLong(0)
      };
      Path postmaster = config.database().dataDir().resolve("postgres").resolve("postmaster.pid");
      double jvm0 = jvmCpuSeconds();
      double pg0 = postgresCpuSeconds(postmaster);
      long t0 = System.nanoTime();
      GlobalPosition upTo = await(runner.rebuildAll(List.of(), n -> {}, Future::succeededFuture));
      double secs = (System.nanoTime() - t0) / 1e9;
      System.out.printf("REBUILD %d %.3f %.0f%n", events[0], secs, events[0] / secs);
      System.out.printf(
          "CPU %.1f %.1f%n", jvmCpuSeconds() - jvm0, postgresCpuSeconds(postmaster) - pg0);
      System.err.printf(
          "rebuilt %s from %,d events (up to %s) in %.1f s: %,.0f events/s%n",
          String.join(", ", all.tables()), events[0], upTo, secs, events[0] / secs);
      long peak = 0;
      for (MemoryPoolMXBean m : ManagementFactory.getMemoryPoolMXBeans()) {
        if (m.getType() == MemoryType.HEAP) {
          peak += m.getPeakUsage().getUsed();
        }
      }
      // The pools' peaks added up (each pool's own peak, not at the same moment): from above.
      System.out.printf(
          "HEAP max %d MB, peak used at most %d MB%n",
          Runtime.getRuntime().maxMemory() >> 20, peak >> 20);
      if (Boolean.getBoolean("grantry.bench.checksum")) {
        // Every projection table's rows as one order-free figure (count and the sum of each row's
        // 64-bit hash): two rebuilds of one ledger, e.g. in different heaps, compared
        // (ops/bench/rebuild-heap.sh).
        for (String t : all.tables()) {
          var r =
              await(
                      pool.query(
                              "SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)), 0)::text"
                                  + " FROM "
                                  + t
                                  + " t")
                          .execute())
                  .iterator()
                  .next();
          System.out.printf("ROWS %s %d %s%n", t, r.getLong(0), r.getString(1));
        }
      }
      List<String> background = new ArrayList<>();
      if (Boolean.getBoolean("grantry.bench.background")) {
        // The asynchronous projections a server follows the ledger with: a server that has run on
        // this ledger all along has applied every event to them; one started on a generated ledger
        // would otherwise replay it from the first event while it is being measured
        // (ops/bench/ledger.sh asks for this). Each is rebuilt as `rebuild NAME` does (its tables
        // replayed from the whole ledger, statement by statement, its checkpoint left at the end),
        // then its lag is counted: it must be none.
        ProjectionRunner following = new ProjectionRunner(store);
        for (Projection p : BackgroundProjections.all()) {
          long b0 = System.nanoTime();
          long[] replayed = {0};
          await(following.register(p));
          GlobalPosition last = await(following.rebuild(p.name(), n -> replayed[0] += n));
          ProjectionStatus status = await(following.status(p.name()));
          System.out.printf(
              "BACKGROUND %s %d %.3f lag %d%n",
              p.name(), replayed[0], (System.nanoTime() - b0) / 1e9, status.lagEvents());
          System.err.printf(
              "caught up %s (%s) with %,d events in %.1f s, up to %s: %,d events behind%n",
              p.name(),
              String.join(", ", p.tables()),
              replayed[0],
              (System.nanoTime() - b0) / 1e9,
              last,
              status.lagEvents());
          if (status.lagEvents() != 0) {
            throw new IllegalStateException(p.name() + " is behind the ledger after its rebuild");
          }
          background.addAll(p.tables());
        }
      }
      if (Boolean.getBoolean("grantry.bench.vacuum")) {
        // A server that has run for a long time has had its tables vacuumed and analyzed by
        // autovacuum; right after a bulk load that work is still to do and would land in the
        // first benchmark on the ledger (ops/bench/ledger.sh asks for it here).
        long v0 = System.nanoTime();
        List<String> tables = new ArrayList<>(List.of("events", "streams"));
        tables.addAll(all.tables());
        tables.addAll(background);
        for (String t : tables) {
          await(pool.query("VACUUM (ANALYZE) " + t).execute());
        }
        System.err.printf(
            "vacuumed and analyzed %s in %.1f s%n",
            String.join(", ", tables), (System.nanoTime() - v0) / 1e9);
      }
      await(pool.close());
    } finally {
      db.close();
      await(vertx.close());
    }
  }

  /** This JVM's CPU time so far. */
  static double jvmCpuSeconds() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
            .getProcessCpuTime()
        / 1e9;
  }

  /**
   * The CPU time so far of the PostgreSQL whose {@code postmaster.pid} this is: the postmaster's
   * own and that of the children it has reaped ({@code /proc/PID/stat} utime, stime, cutime,
   * cstime), plus its live children's; NaN when it is not a local server this machine shows.
   */
  static double postgresCpuSeconds(Path postmasterPid) throws IOException, InterruptedException {
    if (!Files.exists(postmasterPid)) {
      return Double.NaN;
    }
    String pm = Files.readAllLines(postmasterPid).get(0).trim();
    long ticks = 0;
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path proc : procs) {
        String[] f;
        try {
          String stat = Files.readString(proc.resolve("stat"));
          // The fields after the command name, which is in parentheses and may hold spaces.
          f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        } catch (IOException gone) {
          continue;
        }
        // f[1] is field 4 (ppid); utime, stime, cutime, cstime are fields 14-17.
        if (proc.getFileName().toString().equals(pm)) {
          ticks +=
              Long.parseLong(f[11])
                  + Long.parseLong(f[12])
                  + Long.parseLong(f[13])
                  + Long.parseLong(f[14]);
        } else if (f[1].equals(pm)) {
          ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
        }
      }
    }
    return ticks / (double) clockTicks();
  }

  private static long clockTicks() throws IOException, InterruptedException {
    Process p = new ProcessBuilder("getconf", "CLK_TCK").start();
    String out = new String(p.getInputStream().readAllBytes()).trim();
    p.waitFor();
    return Long.parseLong(out);
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(6, TimeUnit.HOURS);
  }
}
