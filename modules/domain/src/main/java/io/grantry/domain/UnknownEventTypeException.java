package io.grantry.domain;

import java.util.Set;
import java.util.TreeSet;

/**
 * A stored event's type string is not one this codec knows. Raised instead of skipping the event,
 * so that a reader never silently folds an incomplete history.
 */
public final class UnknownEventTypeException extends EventCodecException {
  private static final long serialVersionUID = 1L;
  private final String type;

  public UnknownEventTypeException(String aggregate, String type, Set<String> known) {
    super(
        "unknown "
            + aggregate
            + " event type '"
            + type
            + "'; known types: "
            + new TreeSet<>(known));
    this.type = type;
  }

  public String type() {
    return type;
  }
}
