package io.grantry.eventstore;

/** What the appender believes the stream's current version to be. */
public sealed interface ExpectedVersion {
  /** Append whatever the stream's version. */
  ExpectedVersion ANY = new Any();

  /** The stream must not exist yet. */
  ExpectedVersion NO_STREAM = new Exact(0);

  static ExpectedVersion exactly(long version) {
    if (version < 0) {
      throw new IllegalArgumentException("a stream version is 0 (no stream) or more");
    }
    return new Exact(version);
  }

  /** True when a stream whose current version is {@code current} satisfies this expectation. */
  boolean matches(long current);

  record Any() implements ExpectedVersion {
    @Override
    public boolean matches(long current) {
      return true;
    }

    @Override
    public String toString() {
      return "any";
    }
  }

  /** Exact(0) is "no stream". */
  record Exact(long version) implements ExpectedVersion {
    @Override
    public boolean matches(long current) {
      return current == version;
    }

    @Override
    public String toString() {
      return version == 0 ? "no stream" : Long.toString(version);
    }
  }
}
