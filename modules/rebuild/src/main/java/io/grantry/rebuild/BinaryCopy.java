package io.grantry.rebuild;

import io.grantry.eventstore.LedgerCopy;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import org.postgresql.PGConnection;
import org.postgresql.copy.PGCopyOutputStream;

/**
 * Rows into a table with {@code COPY ... FROM STDIN (FORMAT binary)} over JDBC: the cheapest way
 * into PostgreSQL (no SQL per row, no text to parse: times go as microseconds, text as UTF-8). The
 * Vert.x client has no COPY, hence JDBC; blocking, so never on an event loop.
 */
public final class BinaryCopy implements AutoCloseable {
  /** A NULL timestamp, for {@link #timestamptz(long)}. */
  public static final long NULL_TIME = Long.MIN_VALUE;

  private static final byte[] HEADER = "PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1);

  private final PGCopyOutputStream copy;

  /**
   * Rows are encoded here and handed to the driver a buffer at a time (no per-byte stream calls).
   */
  private byte[] buf = new byte[1 << 17];

  private int len;
  private long rows;

  /** Starts {@code COPY table (columns) FROM STDIN}. */
  public BinaryCopy(Connection c, String table, String columns) throws SQLException, IOException {
    this(c, table, columns, false);
  }

  /**
   * Starts {@code COPY table (columns) FROM STDIN (FREEZE)}: for a table created or truncated in
   * the same transaction (PostgreSQL refuses it otherwise). Its rows are written frozen and its
   * pages all-visible, as a vacuum would leave them: the first reads after a rebuild do not dirty
   * every page to set hint bits, and no later vacuum has to freeze millions of rows.
   */
  public static BinaryCopy frozen(Connection c, String table, String columns)
      throws SQLException, IOException {
    return new BinaryCopy(c, table, columns, true);
  }

  /** {@link #frozen} when {@code freeze}, else a plain COPY. */
  public static BinaryCopy of(Connection c, String table, String columns, boolean freeze)
      throws SQLException, IOException {
    return new BinaryCopy(c, table, columns, freeze);
  }

  private BinaryCopy(Connection c, String table, String columns, boolean freeze)
      throws SQLException, IOException {
    copy =
        new PGCopyOutputStream(
            c.unwrap(PGConnection.class),
            "COPY "
                + table
                + " ("
                + columns
                + ") FROM STDIN (FORMAT binary"
                + (freeze ? ", FREEZE" : "")
                + ")",
            1 << 16);
    bytes(HEADER, HEADER.length);
    int32(0);
    int32(0);
  }

  private void room(int n) throws IOException {
    if (len + n > buf.length) {
      copy.write(buf, 0, len);
      len = 0;
      if (n > buf.length) {
        buf = new byte[n];
      }
    }
  }

  private void int32(int v) throws IOException {
    room(4);
    buf[len++] = (byte) (v >>> 24);
    buf[len++] = (byte) (v >>> 16);
    buf[len++] = (byte) (v >>> 8);
    buf[len++] = (byte) v;
  }

  private void int64(long v) throws IOException {
    int32((int) (v >>> 32));
    int32((int) v);
  }

  private void bytes(byte[] b, int n) throws IOException {
    room(n);
    System.arraycopy(b, 0, buf, len, n);
    len += n;
  }

  /** Starts a row of {@code fields} values. */
  public BinaryCopy row(int fields) throws IOException {
    room(2);
    buf[len++] = (byte) (fields >>> 8);
    buf[len++] = (byte) fields;
    rows++;
    return this;
  }

  public BinaryCopy text(String s) throws IOException {
    if (s == null) {
      int32(-1);
      return this;
    }
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    int32(b.length);
    bytes(b, b.length);
    return this;
  }

  /** A text value already encoded as UTF-8: {@code len} bytes of {@code b} from {@code off}. */
  public BinaryCopy text(byte[] b, int off, int len) throws IOException {
    int32(len);
    room(len);
    System.arraycopy(b, off, buf, this.len, len);
    this.len += len;
    return this;
  }

  /**
   * A timestamptz as microseconds since PostgreSQL's epoch ({@link LedgerCopy#pgMicros}), or {@link
   * #NULL_TIME}.
   */
  public BinaryCopy timestamptz(long pgMicros) throws IOException {
    if (pgMicros == NULL_TIME) {
      int32(-1);
      return this;
    }
    int32(8);
    int64(pgMicros);
    return this;
  }

  public BinaryCopy int8(long v) throws IOException {
    int32(8);
    int64(v);
    return this;
  }

  public BinaryCopy bool(boolean v) throws IOException {
    int32(1);
    room(1);
    buf[len++] = (byte) (v ? 1 : 0);
    return this;
  }

  /** Ends the COPY. */
  @Override
  public void close() throws IOException {
    room(2);
    buf[len++] = (byte) 0xff;
    buf[len++] = (byte) 0xff;
    copy.write(buf, 0, len);
    len = 0;
    copy.close();
  }

  public long rows() {
    return rows;
  }
}
