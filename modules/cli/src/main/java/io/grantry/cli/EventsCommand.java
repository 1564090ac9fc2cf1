package io.grantry.cli;

import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.RecordedEvent;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Looking at the ledger: the newest events, or one stream's history. */
@Command(
    name = "events",
    mixinStandardHelpOptions = true,
    description = "Read the event ledger.",
    subcommands = {EventsCommand.Tail.class, EventsCommand.Stream.class})
final class EventsCommand {

  static final String COLUMNS =
      "position, txid, event_id, stream_id, version, type, payload, metadata, recorded_at, prev_hash, hash";

  @Command(
      name = "tail",
      mixinStandardHelpOptions = true,
      description = "Show the newest events, oldest first.")
  static final class Tail implements Callable<Integer> {
    @Option(
        names = {"-n", "--count"},
        defaultValue = "20",
        description = "How many events (default ${DEFAULT-VALUE}).")
    int count;

    @Option(names = "--json", description = "One JSON object per line instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      if (count < 1 || count > 100_000) {
        throw new IllegalArgumentException("--count must be between 1 and 100000");
      }
      try (CliSupport.Db db = CliSupport.Db.open()) {
        List<RecordedEvent> events = new ArrayList<>();
        for (Row r :
            CliSupport.await(
                db.pool
                    .preparedQuery(
                        "SELECT "
                            + COLUMNS
                            + " FROM events ORDER BY txid DESC, position DESC LIMIT $1")
                    .execute(Tuple.of(count)))) {
          events.add(EventStore.toEvent(r));
        }
        Collections.reverse(events);
        print(System.out, events, json);
      }
      return 0;
    }
  }

  @Command(
      name = "stream",
      mixinStandardHelpOptions = true,
      description = "Show one stream's events in order.")
  static final class Stream implements Callable<Integer> {
    @Parameters(
        index = "0",
        paramLabel = "STREAM_ID",
        description = "The stream, e.g. client:demo-web")
    String streamId;

    @Option(names = "--json", description = "One JSON object per line instead of a table.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      try (CliSupport.Db db = CliSupport.Db.open()) {
        EventStore store = EventStore.create(db.vertx, db.pool, EventStoreOptions.defaults());
        List<RecordedEvent> events = CliSupport.await(store.readStream(streamId));
        if (events.isEmpty()) {
          System.err.println("grantry: no stream named " + streamId);
          return 3;
        }
        print(System.out, events, json);
      }
      return 0;
    }
  }

  static JsonObject toJson(RecordedEvent e) {
    HexFormat hex = HexFormat.of();
    return new JsonObject()
        .put("position", e.position())
        .put("commit_order", new GlobalPosition(e.txid(), e.position()).toString())
        .put("event_id", e.eventId().toString())
        .put("stream_id", e.streamId())
        .put("version", e.version())
        .put("type", e.type())
        .put("recorded_at", e.recordedAt().toString())
        .put("payload", e.payload())
        .put("metadata", e.metadata())
        .put("prev_hash", hex.formatHex(e.prevHash()))
        .put("hash", hex.formatHex(e.hash()));
  }

  static void print(PrintStream out, List<RecordedEvent> events, boolean json) {
    if (json) {
      events.forEach(e -> out.println(toJson(e).encode()));
      return;
    }
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"POSITION", "RECORDED_AT", "STREAM", "VER", "TYPE", "HASH", "PAYLOAD"});
    HexFormat hex = HexFormat.of();
    for (RecordedEvent e : events) {
      String payload = e.payload().encode();
      rows.add(
          new String[] {
            Long.toString(e.position()),
            e.recordedAt().toString(),
            e.streamId(),
            Long.toString(e.version()),
            e.type(),
            hex.formatHex(e.hash()).substring(0, 12),
            payload.length() > 80 ? payload.substring(0, 77) + "..." : payload
          });
    }
    Table.print(out, rows);
  }
}
