package io.grantry.eventstore;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Walks every stream's hash chain in the database and reports the first break: an event whose hash
 * does not match its content, whose predecessor link does not match the previous event's hash, a
 * version gap (a removed event), or a stream head that disagrees with its last event.
 */
public final class ChainVerifier {
  private static final int PAGE = 2000;
  private static final String PAGE_SQL =
      "SELECT position, txid, event_id, stream_id, version, type, payload,"
          + " metadata, recorded_at, prev_hash, hash FROM events WHERE (stream_id, version) > ($1, $2)"
          + " ORDER BY stream_id, version LIMIT $3";

  /** The outcome: {@code ok()} or the first bad event and why. */
  public record Result(
      boolean ok,
      long eventsChecked,
      long streamsChecked,
      String firstBadStream,
      long firstBadPosition,
      String reason) {
    static Result good(long events, long streams) {
      return new Result(true, events, streams, null, -1, null);
    }
  }

  private final Pool pool;

  public ChainVerifier(Pool pool) {
    this.pool = pool;
  }

  public Future<Result> verify() {
    Promise<Result> done = Promise.promise();
    page(new State(), done);
    return done.future();
  }

  private void page(State st, Promise<Result> done) {
    pool.preparedQuery(PAGE_SQL)
        .execute(Tuple.of(st.lastStream, st.lastVersion, PAGE))
        .onComplete(
            ar -> {
              if (ar.failed()) {
                done.fail(ar.cause());
                return;
              }
              List<RecordedEvent> events = new ArrayList<>(ar.result().size());
              for (Row r : ar.result()) {
                events.add(EventStore.toEvent(r));
              }
              for (RecordedEvent e : events) {
                String bad = st.check(e);
                if (bad != null) {
                  done.complete(
                      new Result(false, st.events, st.streams, e.streamId(), e.position(), bad));
                  return;
                }
              }
              if (events.size() < PAGE) {
                done.complete(Result.good(st.events, st.streams));
              } else {
                page(st, done);
              }
            });
  }

  /** Verifies one stream's chain in memory (used by exports and tests too). */
  public static String checkStream(List<RecordedEvent> events) {
    State st = new State();
    for (RecordedEvent e : events) {
      String bad = st.check(e);
      if (bad != null) {
        return bad + " at position " + e.position();
      }
    }
    return null;
  }

  private static final class State {
    String lastStream = "";
    long lastVersion = 0;
    byte[] lastHash = EventHash.genesis();
    long events;
    long streams;

    String check(RecordedEvent e) {
      if (!e.streamId().equals(lastStream)) {
        lastStream = e.streamId();
        lastVersion = 0;
        lastHash = EventHash.genesis();
        streams++;
      }
      events++;
      String bad = null;
      if (e.version() != lastVersion + 1) {
        bad =
            "version "
                + e.version()
                + " follows "
                + lastVersion
                + " (an event is missing or moved)";
      } else if (!MessageDigest.isEqual(e.prevHash(), lastHash)) {
        bad = "its predecessor link does not match the previous event's hash";
      } else if (!Arrays.equals(EventHash.of(e), e.hash())) {
        bad = "its content does not match its hash (edited)";
      }
      lastVersion = e.version();
      lastHash = e.hash();
      return bad;
    }
  }
}
