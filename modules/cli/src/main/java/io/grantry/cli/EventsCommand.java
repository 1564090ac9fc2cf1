package io.grantry.cli;

import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.RecordedEvent;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
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

    @Option(
        names = {"-f", "--follow"},
        description =
            "Then print each new event as it is committed, in commit order, until Ctrl-C, the end"
                + " of input on a terminal (Ctrl-D), or the reader of the output going away.")
    boolean follow;

    @Option(names = "--wide", description = "Every value whole (default: fit 120 columns).")
    boolean wide;

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
        print(System.out, events, json, true, wide);
        System.out.flush();
        if (follow) {
          GlobalPosition from =
              events.isEmpty()
                  ? GlobalPosition.START
                  : new GlobalPosition(
                      events.get(events.size() - 1).txid(),
                      events.get(events.size() - 1).position());
          new Follower(db, from, json, wide).run();
        }
      }
      return 0;
    }
  }

  /**
   * {@code tail -f}: the event store's own subscription (commit order, never skipping an event that
   * commits after a newer one was seen), printing each batch, until told to stop. Stopping is clean
   * however it comes: the subscription is cancelled and the database closed (an embedded one the
   * command started is stopped) before the command returns or the JVM exits.
   */
  static final class Follower {
    private final CliSupport.Db db;
    private final GlobalPosition from;
    private final boolean json;
    private final boolean wide;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch stopped = new CountDownLatch(1);

    Follower(CliSupport.Db db, GlobalPosition from, boolean json, boolean wide) {
      this.db = db;
      this.from = from;
      this.json = json;
      this.wide = wide;
    }

    void run() throws InterruptedException {
      EventStore store = EventStore.create(db.vertx, db.pool, EventStoreOptions.defaults());
      PrintStream out = System.out;
      EventStore.Subscription subscription =
          store.subscribe(
              from,
              500,
              batch -> {
                print(out, batch, json, false, wide);
                out.flush();
                if (out.checkError()) {
                  stop.countDown(); // the reader went away (a closed pipe): nothing more to say
                }
                return Future.succeededFuture();
              });
      Thread onInterrupt =
          new Thread(
              () -> {
                stop.countDown();
                try {
                  stopped.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "grantry-tail-stop");
      Runtime.getRuntime().addShutdownHook(onInterrupt);
      if (System.console() != null) {
        Thread input =
            new Thread(
                () -> {
                  try {
                    while (System.in.read() >= 0) {
                      // lines typed while following are ignored; the end of input stops it
                    }
                  } catch (IOException e) {
                    // no input to watch
                  }
                  stop.countDown();
                },
                "grantry-tail-input");
        input.setDaemon(true);
        input.start();
      }
      try {
        stop.await();
      } finally {
        subscription.cancel();
        try {
          CliSupport.await(store.close());
        } catch (Exception e) {
          // closing what was following; the database is closed next either way
        }
        stopped.countDown();
        try {
          Runtime.getRuntime().removeShutdownHook(onInterrupt);
        } catch (IllegalStateException shuttingDown) {
          // Ctrl-C: the hook is running and waits for this
        }
      }
    }

    /** Stops following (tests; a signal does the same through the shutdown hook). */
    void stop() {
      stop.countDown();
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
    print(out, events, json, true, false);
  }

  static void print(
      PrintStream out, List<RecordedEvent> events, boolean json, boolean header, boolean wide) {
    if (json) {
      events.forEach(e -> out.println(toJson(e).encode()));
      return;
    }
    List<String[]> rows = new ArrayList<>();
    if (header) {
      rows.add(
          new String[] {"POSITION", "RECORDED_AT", "STREAM", "VER", "TYPE", "HASH", "PAYLOAD"});
    }
    HexFormat hex = HexFormat.of();
    for (RecordedEvent e : events) {
      String payload = e.payload().encode();
      rows.add(
          new String[] {
            Long.toString(e.position()),
            Table.time(e.recordedAt()),
            e.streamId(),
            Long.toString(e.version()),
            e.type(),
            hex.formatHex(e.hash()).substring(0, 12),
            wide || payload.length() <= 80 ? payload : payload.substring(0, 77) + "..."
          });
    }
    Table.print(out, rows, wide);
  }
}
