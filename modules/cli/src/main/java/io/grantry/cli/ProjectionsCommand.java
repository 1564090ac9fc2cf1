package io.grantry.cli;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The projections' progress through the ledger. */
@Command(name = "projections", mixinStandardHelpOptions = true, description = "Inspect projections.",
    subcommands = {ProjectionsCommand.Status.class})
final class ProjectionsCommand {

  @Command(name = "status", mixinStandardHelpOptions = true,
      description = "Each asynchronous projection's checkpoint and lag (events behind, age of the oldest unapplied event).")
  static final class Status implements Callable<Integer> {
    @Option(names = "--json", description = "JSON lines instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      try (CliSupport.Db db = CliSupport.Db.open()) {
        var rows = CliSupport.await(db.pool.query("""
            SELECT c.name, c.txid, c.position, c.updated_at,
                   (SELECT count(*) FROM events e WHERE (e.txid, e.position) > (c.txid, c.position)) AS lag,
                   (SELECT min(recorded_at) FROM events e WHERE (e.txid, e.position) > (c.txid, c.position)) AS oldest
            FROM projection_checkpoints c ORDER BY c.name""").execute());
        List<String[]> table = new ArrayList<>();
        table.add(new String[] {"PROJECTION", "CHECKPOINT", "LAG_EVENTS", "LAG_SECONDS", "UPDATED_AT"});
        for (Row r : rows) {
          var oldest = r.getOffsetDateTime("oldest");
          double lagSeconds = oldest == null ? 0 : Duration.between(oldest.toInstant(), Instant.now()).toMillis() / 1000.0;
          String checkpoint = r.getLong("txid") + ":" + r.getLong("position");
          if (json) {
            System.out.println(new JsonObject().put("name", r.getString("name")).put("checkpoint", checkpoint)
                .put("lag_events", r.getLong("lag")).put("lag_seconds", lagSeconds)
                .put("updated_at", r.getOffsetDateTime("updated_at").toString()).encode());
          } else {
            table.add(new String[] {r.getString("name"), checkpoint, Long.toString(r.getLong("lag")),
                String.format("%.1f", lagSeconds), r.getOffsetDateTime("updated_at").toString()});
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
