package io.grantry.domain;

/**
 * A stored event cannot be turned back into a domain event: its payload lacks a field or holds a
 * value of the wrong shape. The message names the event type and the field, never a value.
 */
public class EventCodecException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public EventCodecException(String message) {
    super(message);
  }

  public EventCodecException(String message, Throwable cause) {
    super(message, cause);
  }
}
