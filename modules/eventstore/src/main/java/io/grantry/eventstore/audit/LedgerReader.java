package io.grantry.eventstore.audit;

import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.RecordedEvent;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;

/**
 * The ledger as verification and export see it: the events still in the database and the stubs of
 * archived ones ({@code archived_events}), merged in commit order. Without archives it reads
 * exactly what {@link EventStore#readAll} reads.
 */
public final class LedgerReader {
  private static final String STUBS =
      "SELECT "
          + ArchivedEvent.COLUMNS
          + " FROM archived_events"
          + " WHERE (txid, position) > ($1, $2) ORDER BY txid, position LIMIT $3";

  /** One entry of the merged ledger: an event, or the stub of an archived one. */
  public record Entry(RecordedEvent event, ArchivedEvent archived) {
    public GlobalPosition commitOrder() {
      return event != null ? event.commitOrder() : archived.commitOrder();
    }
  }

  private final EventStore store;

  public LedgerReader(EventStore store) {
    this.store = store;
  }

  /**
   * Up to {@code limit} entries after {@code from}, at least one unless the readable ledger ends
   * there: read until an empty answer (a short one does not mean the end).
   */
  public Future<List<Entry>> read(GlobalPosition from, int limit) {
    Future<List<RecordedEvent>> events = store.readAll(from, limit);
    Future<List<ArchivedEvent>> stubs = stubs(from, limit);
    return Future.all(events, stubs).map(v -> merge(events.result(), stubs.result(), limit));
  }

  /** Up to {@code limit} stubs of archived events after {@code from}, in commit order. */
  public Future<List<ArchivedEvent>> stubs(GlobalPosition from, int limit) {
    return store
        .pool()
        .preparedQuery(STUBS)
        .execute(Tuple.of(from.txid(), from.position(), limit))
        .map(
            rows -> {
              List<ArchivedEvent> out = new ArrayList<>(rows.size());
              for (Row r : rows) {
                out.add(ArchivedEvent.fromRow(r));
              }
              return out;
            });
  }

  static List<Entry> merge(List<RecordedEvent> events, List<ArchivedEvent> stubs, int limit) {
    List<Entry> out = new ArrayList<>(Math.min(limit, events.size() + stubs.size()));
    // A side that filled its page may have more entries after its last one: past it, stop.
    boolean eventsComplete = events.size() < limit;
    boolean stubsComplete = stubs.size() < limit;
    int i = 0;
    int j = 0;
    while (out.size() < limit) {
      boolean haveEvent = i < events.size();
      boolean haveStub = j < stubs.size();
      if (haveEvent && haveStub) {
        if (events.get(i).commitOrder().compareTo(stubs.get(j).commitOrder()) <= 0) {
          out.add(new Entry(events.get(i++), null));
        } else {
          out.add(new Entry(null, stubs.get(j++)));
        }
      } else if (haveEvent && stubsComplete) {
        out.add(new Entry(events.get(i++), null));
      } else if (haveStub && eventsComplete) {
        out.add(new Entry(null, stubs.get(j++)));
      } else {
        break;
      }
    }
    return out;
  }
}
