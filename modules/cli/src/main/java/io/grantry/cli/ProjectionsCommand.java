package io.grantry.cli;

import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.projections.Projection;
import io.grantry.projections.ProjectionRunner;
import io.grantry.rebuild.BulkFirstPass;
import io.grantry.server.InlineProjections;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
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
          "Each asynchronous projection's checkpoint and lag (events behind, age of the oldest unapplied event).")
  static final class Status implements Callable<Integer> {
    @Option(names = "--json", description = "JSON lines instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      try (CliSupport.Db db = CliSupport.Db.open()) {
        var rows =
            CliSupport.await(
                db.pool
                    .query(
                        """
            SELECT c.name, c.txid, c.position, c.updated_at,
                   (SELECT count(*) FROM events e WHERE (e.txid, e.position) > (c.txid, c.position)) AS lag,
                   (SELECT min(recorded_at) FROM events e WHERE (e.txid, e.position) > (c.txid, c.position)) AS oldest
            FROM projection_checkpoints c ORDER BY c.name""")
                    .execute());
        List<String[]> table = new ArrayList<>();
        table.add(
            new String[] {"PROJECTION", "CHECKPOINT", "LAG_EVENTS", "LAG_SECONDS", "UPDATED_AT"});
        for (Row r : rows) {
          var oldest = r.getOffsetDateTime("oldest");
          double lagSeconds =
              oldest == null
                  ? 0
                  : Duration.between(oldest.toInstant(), Instant.now()).toMillis() / 1000.0;
          String checkpoint = r.getLong("txid") + ":" + r.getLong("position");
          if (json) {
            System.out.println(
                new JsonObject()
                    .put("name", r.getString("name"))
                    .put("checkpoint", checkpoint)
                    .put("lag_events", r.getLong("lag"))
                    .put("lag_seconds", lagSeconds)
                    .put("updated_at", r.getOffsetDateTime("updated_at").toString())
                    .encode());
          } else {
            table.add(
                new String[] {
                  r.getString("name"),
                  checkpoint,
                  Long.toString(r.getLong("lag")),
                  String.format("%.1f", lagSeconds),
                  r.getOffsetDateTime("updated_at").toString()
                });
          }
        }
        if (!json) {
          if (table.size() == 1) {
            System.out.println("No asynchronous projection has run yet.");
          } else {
            Table.print(System.out, table);
          }
        }
      }
      return 0;
    }
  }
}
