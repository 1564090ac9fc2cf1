package io.grantry.eventstore;

/**
 * An append lost an optimistic concurrency race: the stream was not at the expected version. The
 * caller re-reads the stream and decides again.
 */
public final class WrongExpectedVersionException extends RuntimeException {
  private final String streamId;
  private final ExpectedVersion expected;
  private final long actual;

  public WrongExpectedVersionException(String streamId, ExpectedVersion expected, long actual) {
    super(
        "stream " + streamId + " expected at version " + expected + " but is at " + actual,
        null,
        false,
        false);
    this.streamId = streamId;
    this.expected = expected;
    this.actual = actual;
  }

  public String streamId() {
    return streamId;
  }

  public ExpectedVersion expected() {
    return expected;
  }

  /**
   * The version the stream had when the append was decided; -1 when unknown (lost a creation race).
   */
  public long actual() {
    return actual;
  }
}
