package io.grantry.projections;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryType;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * Where a bulk rebuild's time goes, phase by phase: wall clock, the JVM's CPU (all its threads),
 * its garbage collections, and the CPU of the PostgreSQL backend serving the rebuild's JDBC
 * connection (read from {@code /proc} when the database runs on this machine, as the embedded one
 * does; parallel index-build workers are other processes and are not in it). Within the first
 * phase, the CPU of the COPY reader, of decoding, of the folds' preparation (both on every core)
 * and of the sequential fold. And the server's side of the writes: the WAL it wrote during the pass
 * and the checkpoints it started (those the WAL's volume forced, in the middle of the writes, and
 * those of {@code checkpoint_timeout}). Logged at the end of the bulk pass: replaying millions of
 * events is a benchmark goal, and a rate alone does not say what to make faster.
 */
final class BulkTimings {
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  /** Clock ticks per second of /proc/PID/stat (USER_HZ, 100 on Linux). */
  private static final double TICKS = 100.0;

  final AtomicLong readerCpu = new AtomicLong();
  final LongAdder decodeCpu = new LongAdder();
  final LongAdder prepareCpu = new LongAdder();
  final LongAdder foldCpu = new LongAdder();

  private record Phase(
      String name, long wallNanos, long jvmCpuNanos, long gcMillis, double backendCpuSecs) {}

  private final List<Phase> phases = new ArrayList<>();
  private String current;
  private long wall0;
  private long cpu0;
  private long gc0;
  private double backend0;
  private Path backendStat;

  /** The CPU time of the calling thread, in ns. */
  static long cpu() {
    return THREADS.getCurrentThreadCpuTime();
  }

  /** Finds the backend of {@code c} (best effort: unknown when the database is elsewhere). */
  void backend(Connection c) {
    backendStat = backendStat(c);
  }

  /** The /proc stat file of {@code c}'s backend, or null when it cannot be read here. */
  static Path backendStat(Connection c) {
    try (var st = c.createStatement();
        var rs = st.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      Path p = Path.of("/proc", String.valueOf(rs.getInt(1)), "stat");
      return Files.isReadable(p) && backendCpu(p) >= 0 ? p : null;
    } catch (Exception e) {
      return null;
    }
  }

  /** CPU seconds of a backend by its stat file ({@link #backendStat}), -1 when unknown. */
  static double backendCpu(Path stat) {
    if (stat == null) {
      return -1;
    }
    try {
      String s = Files.readString(stat);
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS;
    } catch (Exception e) {
      return -1;
    }
  }

  private static long processCpu() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    return os instanceof OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
  }

  private static long gcMillis() {
    long sum = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      sum += Math.max(0, gc.getCollectionTime());
    }
    return sum;
  }

  /** Ends the current phase (if any) and starts {@code name} (none when null). */
  void start(String name) {
    long wall = System.nanoTime();
    long cpu = processCpu();
    long gc = gcMillis();
    double backend = backendStat == null ? -1 : backendCpu(backendStat);
    if (current != null) {
      phases.add(
          new Phase(
              current,
              wall - wall0,
              cpu - cpu0,
              gc - gc0,
              backendStat == null ? -1 : backend - backend0));
    }
    current = name;
    wall0 = wall;
    cpu0 = cpu;
    gc0 = gc;
    backend0 = backend;
  }

  private final List<String> writes = Collections.synchronizedList(new ArrayList<>());

  /**
   * One table's write and index build on its own connection (wall s; its backend's CPU s, -1
   * unknown).
   */
  void write(
      String table,
      double copySecs,
      double copyCpu,
      double indexSecs,
      double indexCpu,
      double jvmCpu) {
    writes.add(
        String.format(
            "  %s: COPY %.1f s wall (backend CPU %s, JVM thread CPU %.1f), indexes %.1f s wall"
                + " (backend CPU %s)",
            table,
            copySecs,
            copyCpu < 0 ? "?" : String.format("%.1f", copyCpu),
            jvmCpu,
            indexSecs,
            indexCpu < 0 ? "?" : String.format("%.1f", indexCpu)));
  }

  private String heap = "";

  /**
   * WAL position (bytes) and checkpoints (requested, timed) at the start of the pass; null when
   * unknown.
   */
  private long[] wal0;

  private String wal = "";

  /**
   * The server's WAL position and its checkpoint counters (pg_stat_checkpointer from PostgreSQL 17,
   * pg_stat_bgwriter before), read on a connection of their own (best effort: null when
   * unreadable).
   */
  private static long[] walAndCheckpoints(ProjectionRunner.Jdbc jdbc) {
    try (Connection c = jdbc.open();
        var st = c.createStatement()) {
      int version;
      try (var rs = st.executeQuery("SHOW server_version_num")) {
        rs.next();
        version = Integer.parseInt(rs.getString(1));
      }
      String counters =
          version >= 170000
              ? "(SELECT num_requested FROM pg_stat_checkpointer),"
                  + " (SELECT num_timed FROM pg_stat_checkpointer)"
              : "(SELECT checkpoints_req FROM pg_stat_bgwriter), (SELECT checkpoints_timed FROM pg_stat_bgwriter)";
      try (var rs = st.executeQuery("SELECT pg_current_wal_lsn() - '0/0'::pg_lsn, " + counters)) {
        rs.next();
        return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
      }
    } catch (Exception e) {
      return null;
    }
  }

  /** Notes the server's WAL position and checkpoint counters at the start of the pass. */
  void walStart(ProjectionRunner.Jdbc jdbc) {
    wal0 = walAndCheckpoints(jdbc);
  }

  /**
   * Notes what the server wrote to its WAL since {@link #walStart}, and the checkpoints it started
   * meanwhile.
   */
  void walEnd(ProjectionRunner.Jdbc jdbc) {
    long[] wal1 = wal0 == null ? null : walAndCheckpoints(jdbc);
    wal =
        wal1 == null
            ? String.format("%n  WAL written and checkpoints: unknown")
            : String.format(
                "%n  the server wrote %d MB of WAL during the pass (all sessions); checkpoints started: %d"
                    + " requested (by the WAL's volume: max_wal_size), %d timed",
                (wal1[0] - wal0[0]) >> 20, wal1[1] - wal0[1], wal1[2] - wal0[2]);
  }

  /**
   * Notes the heap the folds hold: in use now, and the old generation after its last collection
   * (what the folds' state needs, the figure to size {@code -Xmx} by).
   */
  void heap() {
    long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    long old = -1;
    for (var pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP
          && pool.getName().contains("Old")
          && pool.getCollectionUsage() != null) {
        old = pool.getCollectionUsage().getUsed();
      }
    }
    heap =
        String.format(
            "%n  heap after the folds: %d MB in use, old generation %s after its last collection",
            used >> 20, old < 0 ? "?" : (old >> 20) + " MB");
  }

  /** The phases as a table, then the first phase's CPU by stage, then each table's write. */
  String report() {
    StringBuilder sb =
        new StringBuilder("  phase | wall s | JVM CPU s | JVM GC s | PostgreSQL backend CPU s\n");
    for (Phase p : phases) {
      sb.append(
          String.format(
              "  %s | %.1f | %.1f | %.1f | %s%n",
              p.name,
              p.wallNanos / 1e9,
              p.jvmCpuNanos / 1e9,
              p.gcMillis / 1e3,
              p.backendCpuSecs < 0 ? "?" : String.format("%.1f", p.backendCpuSecs)));
    }
    sb.append(
            String.format(
                "  first phase by stage, CPU s: COPY reader %.1f, JSON decoding %.1f, folds' preparation"
                    + " %.1f (on every core), folds %.1f (one thread)",
                readerCpu.get() / 1e9,
                decodeCpu.sum() / 1e9,
                prepareCpu.sum() / 1e9,
                foldCpu.sum() / 1e9))
        .append(heap)
        .append(wal);
    synchronized (writes) {
      for (String w : writes) {
        sb.append('\n').append(w);
      }
    }
    return sb.toString();
  }
}
