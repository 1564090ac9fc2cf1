package io.grantry.server.ops;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries this process's operational counters into the {@code ops_counters} table, so that {@code
 * GET /admin/stats} can sum them over every server instance.
 *
 * <p>Why a table of per-minute counters and not events: the counts are telemetry (failed client
 * authentications in particular are not something the ledger should record: one event per wrong
 * secret would let anyone grow the ledger), and the hot path must not pay for them. The request
 * only increments an in-memory Micrometer counter (the one {@code /metrics} shows); every {@value
 * #FLUSH_MS} ms, and before the stats are read, this class adds what was counted since the last
 * flush to the current minute's rows with one upsert. Rows are sorted so that two instances lock
 * them in the same order. A failed flush keeps its counts for the next one; a process that dies
 * loses at most its last interval.
 */
public final class OpsCounters {
  private static final Logger log = LoggerFactory.getLogger(OpsCounters.class);
  public static final long FLUSH_MS = 10_000;
  private static final int PRUNE_EVERY = 360;

  /**
   * The Micrometer counters carried over: meter name to the table's name, and the tag that is the
   * label.
   */
  record Source(String meter, String name, String tag) {}

  static final List<Source> SOURCES =
      List.of(
          new Source(OpsMetrics.TOKENS_ISSUED, "tokens_issued", "grant_type"),
          new Source(OpsMetrics.REUSE_DETECTED, "refresh_token_reuse", null),
          new Source(OpsMetrics.CLIENT_AUTH_FAILURES, "client_auth_failures", "endpoint"));

  private static final String UPSERT =
      """
      INSERT INTO ops_counters AS c (minute, name, label, count)
      SELECT date_trunc('minute', now()), n, l, v FROM unnest($1::text[], $2::text[], $3::bigint[]) AS t(n, l, v)
      ON CONFLICT (minute, name, label) DO UPDATE SET count = c.count + excluded.count""";

  private final MeterRegistry registry;
  private final Pool pool;

  /** What has been written (or is being written) per name and label. */
  private final Map<String, Long> flushed = new HashMap<>();

  private Future<Void> last = Future.succeededFuture();
  private long flushes;
  private long timer = -1;

  public OpsCounters(MeterRegistry registry, Pool pool) {
    this.registry = registry;
    this.pool = pool;
  }

  public void start(Vertx vertx) {
    timer = vertx.setPeriodic(FLUSH_MS, id -> flush());
  }

  public void stop(Vertx vertx) {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /**
   * Writes what was counted since the last flush; completes once this and every earlier flush are
   * written (or failed, their counts kept for the next).
   */
  public synchronized Future<Void> flush() {
    Map<String, Long> deltas = takeDeltas();
    boolean prune = ++flushes % PRUNE_EVERY == 0;
    Future<Void> previous = last;
    Future<Void> mine =
        previous
            .transform(ar -> write(deltas))
            .compose(
                v ->
                    prune
                        ? pool.query(
                                "DELETE FROM ops_counters WHERE minute < now() - interval '8 days'")
                            .execute()
                            .<Void>mapEmpty()
                        : Future.<Void>succeededFuture())
            .recover(
                err -> {
                  giveBack(deltas);
                  log.warn(
                      "Could not write the operational counters ({}); they are kept for the next try",
                      err.toString());
                  return Future.succeededFuture();
                });
    last = mine;
    return mine;
  }

  /** Per {@code name \u0000 label}: counted now minus written, and marks it written. Sorted. */
  private synchronized Map<String, Long> takeDeltas() {
    Map<String, Long> out = new TreeMap<>();
    for (Source s : SOURCES) {
      for (Counter c : registry.find(s.meter()).counters()) {
        String label = s.tag() == null ? "" : String.valueOf(c.getId().getTag(s.tag()));
        String key = s.name() + '\u0000' + label;
        long now = (long) c.count();
        long before = flushed.getOrDefault(key, 0L);
        if (now > before) {
          out.merge(key, now - before, Long::sum);
          flushed.put(key, now);
        }
      }
    }
    return out;
  }

  private synchronized void giveBack(Map<String, Long> deltas) {
    deltas.forEach((k, d) -> flushed.merge(k, -d, Long::sum));
  }

  private Future<Void> write(Map<String, Long> deltas) {
    if (deltas.isEmpty()) {
      return Future.succeededFuture();
    }
    List<String> names = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    List<Long> counts = new ArrayList<>();
    deltas.forEach(
        (k, d) -> {
          int z = k.indexOf('\u0000');
          names.add(k.substring(0, z));
          labels.add(k.substring(z + 1));
          counts.add(d);
        });
    return pool.preparedQuery(UPSERT)
        .execute(
            Tuple.of(
                names.toArray(String[]::new),
                labels.toArray(String[]::new),
                counts.toArray(Long[]::new)))
        .mapEmpty();
  }
}
