package io.grantry.rebuild;

import io.grantry.projections.Projection;
import io.grantry.projections.TableNames;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the folds' rows into their copies and builds the copies' indexes: each table (as the folds
 * split them, {@link Fold#writes}) on a connection of its own, as many at a time as there are
 * cores, in a transaction that loads it and, after its last part, indexes it (one sort per index
 * instead of an index insertion per row). The first part's transaction truncates the empty copy
 * first, so that COPY can write its rows frozen; a fold made in parts ({@link Fold.Parts}) adds the
 * rows of each later part in a transaction of its own (a transaction kept open across the parts'
 * reads would hold back every reader of the ledger: they read below the oldest running
 * transaction). Those commits need not wait for the disk ({@code synchronous_commit = off}): nobody
 * reads the copies before the swap, whose commit is durable and so flushes all the WAL written
 * before it, theirs included; a crash before it loses only copies the next rebuild drops.
 */
final class CopyWrites {
  private static final Logger log = LoggerFactory.getLogger(CopyWrites.class);

  private CopyWrites() {}

  /**
   * One fold's rows: {@code first} when no part of its rows was written yet (the copy is truncated
   * and written frozen), {@code last} when no part is left to write (the copy is then indexed).
   */
  record Load(Fold<?> fold, boolean first, boolean last) {}

  static void write(
      BulkFirstPass.Jdbc jdbc,
      Map<Projection, Load> loads,
      Map<Projection, TableNames> copies,
      int threads)
      throws Exception {
    record Task(String live, String copy, Fold.Write write, Load load) {}
    List<Task> tasks = new ArrayList<>();
    for (var e : loads.entrySet()) {
      TableNames names = copies.get(e.getKey());
      for (var w : e.getValue().fold().writes(names).entrySet()) {
        tasks.add(new Task(w.getKey(), names.of(w.getKey()), w.getValue(), e.getValue()));
      }
    }
    ExecutorService exec =
        Executors.newFixedThreadPool(
            Math.max(1, Math.min(threads, tasks.size())),
            r -> {
              Thread t = new Thread(r, "rebuild-write");
              t.setDaemon(true);
              return t;
            });
    try {
      List<Future<?>> running = new ArrayList<>();
      for (Task task : tasks) {
        running.add(
            exec.submit(
                () -> {
                  try (Connection w = jdbc.open()) {
                    w.setAutoCommit(false);
                    try (var st = w.createStatement()) {
                      st.execute("SET LOCAL synchronous_commit = off");
                      st.execute("SET LOCAL maintenance_work_mem = '512MB'");
                      if (task.load().first()) {
                        st.execute("TRUNCATE " + task.copy());
                      }
                    }
                    long t0 = System.nanoTime();
                    task.write().to(w, task.load().first());
                    long t1 = System.nanoTime();
                    if (task.load().last()) {
                      createIndexes(w, task.live(), task.copy());
                    }
                    w.commit();
                    log.info(
                        "Rebuild: {} written with COPY in {} ms{}",
                        task.copy(),
                        (t1 - t0) / 1_000_000,
                        task.load().last()
                            ? ", indexed in " + (System.nanoTime() - t1) / 1_000_000 + " ms"
                            : " (a part; indexed after the last)");
                  }
                  return null;
                }));
      }
      for (var f : running) {
        try {
          f.get();
        } catch (ExecutionException e) {
          throw e.getCause() instanceof Exception ex ? ex : e;
        }
      }
    } finally {
      exec.shutdownNow();
    }
  }

  /**
   * Gives a bulk-loaded copy the live table's indexes and key constraints. Names are the copy's
   * own; the swap renames them to the live ones by definition.
   */
  private static void createIndexes(Connection c, String live, String copy) throws SQLException {
    List<String> ddl = new ArrayList<>();
    try (var ps =
        c.prepareStatement(
            "SELECT pg_get_indexdef(x.indexrelid), con.contype, pg_get_constraintdef(con.oid)"
                + " FROM pg_index x LEFT JOIN pg_constraint con ON con.conindid = x.indexrelid AND con.conrelid = x.indrelid"
                + " AND con.contype IN ('p', 'u', 'x') WHERE x.indrelid = ?::regclass ORDER BY x.indexrelid")) {
      ps.setString(1, live);
      try (var rs = ps.executeQuery()) {
        int i = 0;
        while (rs.next()) {
          String name = copy + "_i" + i++;
          if (rs.getString(2) != null) {
            ddl.add("ALTER TABLE " + copy + " ADD CONSTRAINT " + name + " " + rs.getString(3));
          } else {
            ddl.add(
                rs.getString(1)
                    .replaceFirst(
                        "^CREATE (UNIQUE )?INDEX \\S+ ON \\S+ ",
                        "CREATE $1INDEX " + name + " ON " + copy + " "));
          }
        }
      }
    }
    try (var st = c.createStatement()) {
      for (String d : ddl) {
        st.execute(d);
      }
    }
  }
}
