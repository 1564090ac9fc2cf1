package io.grantry.eventstore;

import java.util.List;

/** The events of one append, committed. {@code version()} is the stream's version after it. */
public record AppendResult(String streamId, long version, List<RecordedEvent> events) {
  public GlobalPosition lastPosition() {
    return events.isEmpty() ? null : events.get(events.size() - 1).commitOrder();
  }
}
