package io.grantry.eventstore;

/**
 * A point in the ledger's commit order: the writing transaction's id, then the sequence position.
 *
 * <p>A position from a sequence alone is not commit-ordered: a transaction holding position 10 can
 * commit after one holding 11, and a reader that saw 11 would skip 10 forever. Readers therefore
 * order by (txid, position) and only read transactions older than the oldest one still running (the
 * snapshot's xmin), so whatever commits later sorts after everything already read.
 */
public record GlobalPosition(long txid, long position) implements Comparable<GlobalPosition> {
  public static final GlobalPosition START = new GlobalPosition(0, 0);

  @Override
  public int compareTo(GlobalPosition o) {
    int c = Long.compare(txid, o.txid);
    return c != 0 ? c : Long.compare(position, o.position);
  }

  @Override
  public String toString() {
    return txid + ":" + position;
  }

  public static GlobalPosition parse(String s) {
    int i = s.indexOf(':');
    if (i < 0) {
      throw new IllegalArgumentException(
          "a position looks like <txid>:<position>, got '" + s + "'");
    }
    return new GlobalPosition(
        Long.parseLong(s.substring(0, i)), Long.parseLong(s.substring(i + 1)));
  }
}
