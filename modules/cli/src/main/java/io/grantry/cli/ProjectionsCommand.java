package io.grantry.cli;

import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.projections.Projection;
import io.grantry.projections.ProjectionRunner;
import io.grantry.rebuild.BulkFirstPass;
import io.grantry.server.InlineProjections;
import io.grantry.server.health.ProjectionLagMetrics;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The projections' progress through the ledger, and rebuilding one from it. */
@Command(
    name = "projections",
    mixinStandardHelpOptions = true,
    description = "Inspect and rebuild projections.",
    subcommands = {ProjectionsCommand.Status.class, ProjectionsCommand.Rebuild.class})
final class ProjectionsCommand {

  @Command(
      name = "rebuild",
      mixinStandardHelpOptions = true,
      description =
          "Replay the whole ledger into fresh copies of a projection's tables while the live ones keep"
              + " serving, then swap them in atomically (appends pause only for the last catch-up and the rename)."
              + " Safe while servers run.")
  static final class Rebuild implements Callable<Integer> {
    @Parameters(
        paramLabel = "NAME",
        arity = "0..1",
        description = "The projection: clients, users, token_state or consents.")
    String name;

    @Option(
        names = "--all",
        description = "Rebuild every projection, from one read of the ledger, swapped in together.")
    boolean all;

    @Override
    public Integer call() throws Exception {
      if (all == (name != null)) {
        throw new CliFailure(2, "give one projection NAME or --all");
      }
      try (CliSupport.Db db = CliSupport.Db.open()) {
        EventStore store = EventStore.create(db.vertx, db.pool, EventStoreOptions.defaults());
        // The first replay streams the ledger with COPY and writes folded rows with COPY (see
        // BulkFirstPass).
        ProjectionRunner runner =
            InlineProjections.register(store).firstPassBy(BulkFirstPass.of(db::jdbc));
        List<String> tables = new ArrayList<>();
        if (all) {
          runner.projections().values().forEach(p -> tables.addAll(p.tables()));
        } else {
          Projection p = runner.projections().get(name);
          if (p == null) {
            throw new CliFailure(
                2,
                "no projection named "
                    + name
                    + "; the projections are "
                    + String.join(", ", runner.projections().keySet()));
          }
          tables.addAll(p.tables());
        }
        Progress progress =
            Progress.start("replayed", AuditCommand.countEvents(db, GlobalPosition.START, null));
        // Pages are reported from the replay's reading thread, then from an event loop: one at a
        // time.
        GlobalPosition covered =
            CliSupport.awaitDone(
                all
                    ? runner.rebuildAll(List.of(), progress::add, Future::succeededFuture)
                    : runner.rebuild(name, progress::add));
        progress.done();
        String what = all ? String.join(", ", runner.projections().keySet()) : name;
        System.out.println(
            "rebuilt "
                + what
                + " ("
                + String.join(", ", tables)
                + ") from "
                + String.format(Locale.ROOT, "%,d", progress.count())
                + " events; the new tables cover the ledger up to "
                + covered
                + " and are live");
      }
      return 0;
    }
  }

  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      description =
          "Every projection: the inline ones (written in each append's transaction, so at the"
              + " ledger's head) and each asynchronous one's checkpoint and lag (events behind, age of"
              + " the oldest unapplied event). The events behind are estimated from positions as the"
              + " grantry_projection_lag_events metric does (0 exactly when caught up), at a cost"
              + " that does not grow with the lag; --exact counts them.")
  static final class Status implements Callable<Integer> {
    @Option(
        names = "--json",
        description = "One JSON object a line, as GET /admin/projections lists them.")
    boolean json;

    @Option(
        names = "--exact",
        description =
            "Count the events each asynchronous projection has not applied, reading every one of"
                + " them (as long as the lag), instead of estimating them from positions.")
    boolean exact;

    /** The exact count: every event after the checkpoint, read. */
    static final String EXACT =
        """
        SELECT c.name, c.txid, c.position, c.updated_at,
               (SELECT count(*) FROM events e WHERE (e.txid, e.position) > (c.txid, c.position)) AS lag,
               (SELECT min(recorded_at) FROM events e WHERE (e.txid, e.position) > (c.txid, c.position)) AS oldest
        FROM projection_checkpoints c ORDER BY c.name""";

    @Override
    public Integer call() throws Exception {
      List<JsonObject> all = new ArrayList<>();
      try (CliSupport.Db db = CliSupport.Db.open()) {
        EventStore store = EventStore.create(db.vertx, db.pool, EventStoreOptions.defaults());
        GlobalPosition head = CliSupport.await(store.head());
        Row newest =
            // The newest event by position (one indexed read; max(recorded_at) read every event).
            CliSupport.await(
                    db.pool
                        .query(
                            "SELECT max(recorded_at) AS at FROM (SELECT recorded_at FROM events"
                                + " ORDER BY position DESC LIMIT 1) newest")
                        .execute())
                .iterator()
                .next();
        OffsetDateTime lastWrite = newest.getOffsetDateTime("at");
        Map<String, Projection> inline = InlineProjections.register(store).projections();
        inline.forEach(
            (name, p) ->
                all.add(
                    new JsonObject()
                        .put("name", name)
                        .put("mode", "inline")
                        .put("tables", new JsonArray(new ArrayList<>(p.tables())))
                        .put("checkpoint", head.toString())
                        .put("lag_events", 0)
                        .put("lag_exact", true)
                        .put("lag_seconds", 0.0)
                        .put(
                            "updated_at",
                            lastWrite == null ? null : Table.time(lastWrite.toInstant()))));
        var rows =
            CliSupport.await(db.pool.query(exact ? EXACT : ProjectionLagMetrics.LAG).execute());
        for (Row r : rows) {
          if (inline.containsKey(r.getString("name"))) {
            continue;
          }
          long lagEvents;
          double lagSeconds;
          if (exact) {
            var oldest = r.getOffsetDateTime("oldest");
            lagEvents = r.getLong("lag");
            lagSeconds =
                oldest == null
                    ? 0
                    : Duration.between(oldest.toInstant(), Instant.now()).toMillis() / 1000.0;
          } else {
            lagEvents = ProjectionLagMetrics.eventsBehind(r);
            lagSeconds = ProjectionLagMetrics.secondsBehind(r);
          }
          all.add(
              new JsonObject()
                  .put("name", r.getString("name"))
                  .put("mode", "async")
                  .put("tables", new JsonArray())
                  .put("checkpoint", r.getLong("txid") + ":" + r.getLong("position"))
                  .put("lag_events", lagEvents)
                  .put("lag_exact", exact)
                  .put("lag_seconds", lagSeconds)
                  .put("updated_at", Table.time(r.getOffsetDateTime("updated_at").toInstant())));
        }
      }
      if (json) {
        all.forEach(p -> System.out.println(p.encode()));
        return 0;
      }
      List<String[]> table = new ArrayList<>();
      table.add(
          new String[] {
            "PROJECTION", "MODE", "CHECKPOINT", "LAG_EVENTS", "LAG_SECONDS", "UPDATED_AT"
          });
      for (JsonObject p : all) {
        table.add(
            new String[] {
              p.getString("name"),
              p.getString("mode"),
              p.getString("checkpoint"),
              String.valueOf(p.getLong("lag_events")),
              String.format(Locale.ROOT, "%.1f", p.getDouble("lag_seconds")),
              p.getString("updated_at") == null ? "-" : p.getString("updated_at")
            });
      }
      Table.print(System.out, table);
      if (all.stream().noneMatch(p -> "async".equals(p.getString("mode")))) {
        System.out.println("No asynchronous projection has run yet.");
      } else if (!exact) {
        System.out.println(
            "LAG_EVENTS of asynchronous projections: estimated from positions (0 exactly when"
                + " caught up; see ops/README.md); --exact counts them.");
      }
      return 0;
    }
  }
}
