package io.grantry.eventstore;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyOut;

/**
 * Reads the ledger in commit order in bulk: one {@code COPY (SELECT ...) TO STDOUT (FORMAT binary)}
 * over JDBC instead of pages through the Vert.x client. For replays of millions of events (a
 * projection rebuild, {@code audit verify}): paged reads pay a round trip, a plan and an index
 * descent per page, and the Vert.x client decodes every jsonb into a {@link JsonObject} on its one
 * event loop; here the rows stream, their JSON stays bytes until a stage asks for it, and {@link
 * #pipeline} runs that stage (parsing, hashing) on every core while the rows keep coming. The
 * PostgreSQL JDBC driver is used because the Vert.x client has no COPY. Blocking: never call it on
 * an event loop.
 *
 * <p>What it reads is what {@link EventStore#readAll} reads: events after a position and older than
 * the oldest transaction still running, in {@code (txid, position)} order, in one statement (so one
 * snapshot).
 */
public final class LedgerCopy {
  /** Microseconds from the Unix epoch to PostgreSQL's (2000-01-01T00:00:00Z). */
  public static final long PG_EPOCH_MICROS = 946_684_800_000_000L;

  private static final byte[] SIGNATURE =
      "PGCOPY\n\377\r\n\0".getBytes(StandardCharsets.ISO_8859_1);

  private LedgerCopy() {}

  /** What a replay needs of an event; {@link #FULL} adds what a verification needs. */
  public enum Columns {
    REPLAY("position, txid, stream_id, version, type, payload, event_id, recorded_at"),
    FULL(
        "position, txid, stream_id, version, type, payload, event_id, recorded_at, metadata, prev_hash, hash");

    final String sql;

    Columns(String sql) {
      this.sql = sql;
    }
  }

  /**
   * An event as read, JSON still as bytes. With {@link Columns#REPLAY} the metadata and the hashes
   * are null: a projection reads neither (the rebuild's replay skips parsing the metadata).
   */
  public record Raw(
      long position,
      long txid,
      String streamId,
      long version,
      String type,
      byte[] payload,
      UUID eventId,
      byte[] metadata,
      long recordedAtPgMicros,
      byte[] prevHash,
      byte[] hash) {

    public GlobalPosition commitOrder() {
      return new GlobalPosition(txid, position);
    }

    /** The event without its payload and metadata (null): for a stage that checked them as text. */
    public RecordedEvent withoutJson() {
      return new RecordedEvent(
          position,
          txid,
          eventId,
          streamId,
          version,
          type,
          null,
          null,
          instant(recordedAtPgMicros),
          prevHash,
          hash);
    }

    /**
     * The event with its JSON parsed, as {@link EventStore#toEvent} gives it (without metadata for
     * a replay read).
     */
    public RecordedEvent decode() {
      return new RecordedEvent(
          position,
          txid,
          eventId,
          streamId,
          version,
          type,
          json(payload),
          metadata == null ? null : json(metadata),
          instant(recordedAtPgMicros),
          prevHash,
          hash);
    }
  }

  /**
   * A jsonb column as {@link EventStore#toEvent} reads it: an object as it is; any other JSON value
   * (e.g. a string holding JSON text) as the object its text parses to.
   */
  static JsonObject json(byte[] utf8) {
    String text = new String(utf8, StandardCharsets.UTF_8);
    if (text.startsWith("{")) {
      return new JsonObject(text);
    }
    Object v = Json.decodeValue(text);
    return v instanceof JsonObject o ? o : new JsonObject(String.valueOf(v));
  }

  /** The instant of a {@code timestamptz} as PostgreSQL holds it (microseconds since 2000). */
  public static Instant instant(long pgMicros) {
    long unixMicros = pgMicros + PG_EPOCH_MICROS;
    return Instant.ofEpochSecond(
        Math.floorDiv(unixMicros, 1_000_000L), Math.floorMod(unixMicros, 1_000_000L) * 1000L);
  }

  /**
   * An instant as a {@code timestamptz} holds it: microseconds since PostgreSQL's epoch, truncated
   * towards it as the Vert.x client truncates an {@code OffsetDateTime} it sends (so rows written
   * with COPY hold the very values statements would).
   */
  public static long pgMicros(Instant t) {
    return ChronoUnit.MICROS.between(PG_EPOCH, t.atOffset(ZoneOffset.UTC));
  }

  private static final OffsetDateTime PG_EPOCH = OffsetDateTime.parse("2000-01-01T00:00:00Z");

  /** The COPY statement for the events after {@code from} below the readers' horizon. */
  static String sql(GlobalPosition from, Columns columns) {
    return "COPY (SELECT "
        + columns.sql
        + " FROM events WHERE (txid, position) > ("
        + from.txid()
        + ", "
        + from.position()
        + ") AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
        + " ORDER BY txid, position) TO STDOUT (FORMAT binary)";
  }

  /**
   * Rows of a binary COPY, one at a time, parsed from the driver's messages as they come (one a
   * row, the header riding with the first): no stream between them copying every byte once more and
   * taking a lock per {@code readInt}, as a {@code DataInputStream} over a {@code
   * BufferedInputStream} did (the reader thread was an eighth of the verifier's CPU).
   */
  public static final class Reader implements AutoCloseable {
    private static final VarHandle INT =
        MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle LONG =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle SHORT =
        MethodHandles.byteArrayViewVarHandle(short[].class, ByteOrder.BIG_ENDIAN);

    private final CopyOut copy;
    private final Columns columns;
    private boolean done;

    /** The message being read and the position in it. */
    private byte[] buf = new byte[0];

    private int at;

    public Reader(Connection c, GlobalPosition from, Columns columns)
        throws SQLException, IOException {
      this.columns = columns;
      this.copy = c.unwrap(PGConnection.class).getCopyAPI().copyOut(sql(from, columns));
      need(SIGNATURE.length + 8);
      if (!Arrays.equals(buf, at, at + SIGNATURE.length, SIGNATURE, 0, SIGNATURE.length)) {
        throw new IOException("not a binary COPY stream");
      }
      at += SIGNATURE.length;
      readInt(); // flags
      int extension = readInt();
      need(extension);
      at += extension;
    }

    /** The next event, or null at the end. */
    public Raw next() throws IOException {
      if (done) {
        return null;
      }
      need(2);
      short fields = (short) SHORT.get(buf, at);
      at += 2;
      if (fields == -1) {
        done = true;
        return null;
      }
      long position = longField();
      long txid = longField();
      String stream = text();
      long version = longField();
      String type = text();
      byte[] payload = jsonb();
      if (readInt() != 16) {
        throw new IOException("expected a 16-byte uuid");
      }
      need(16);
      UUID eventId = new UUID((long) LONG.get(buf, at), (long) LONG.get(buf, at + 8));
      at += 16;
      long recorded = longField();
      if (columns == Columns.REPLAY) {
        return new Raw(
            position, txid, stream, version, type, payload, eventId, null, recorded, null, null);
      }
      byte[] metadata = jsonb();
      return new Raw(
          position, txid, stream, version, type, payload, eventId, metadata, recorded, bytes(),
          bytes());
    }

    /**
     * Makes {@code n} bytes readable from {@code at}: a field that runs past the message (the
     * protocol does not promise a message a row) is joined with the next messages.
     */
    private void need(int n) throws IOException {
      if (buf.length - at >= n) {
        return;
      }
      byte[] joined = Arrays.copyOfRange(buf, at, buf.length);
      while (joined.length < n) {
        byte[] more;
        try {
          more = copy.readFromCopy();
        } catch (SQLException e) {
          throw new IOException("reading the COPY failed", e);
        }
        if (more == null) {
          throw new IOException("the COPY ended inside a row");
        }
        if (joined.length == 0) {
          joined = more;
        } else {
          byte[] j = Arrays.copyOf(joined, joined.length + more.length);
          System.arraycopy(more, 0, j, joined.length, more.length);
          joined = j;
        }
      }
      buf = joined;
      at = 0;
    }

    private int readInt() throws IOException {
      need(4);
      int v = (int) INT.get(buf, at);
      at += 4;
      return v;
    }

    private long longField() throws IOException {
      int n = readInt();
      if (n != 8) {
        throw new IOException("expected an 8-byte field, got " + n);
      }
      need(8);
      long v = (long) LONG.get(buf, at);
      at += 8;
      return v;
    }

    private byte[] bytes() throws IOException {
      int n = readInt();
      if (n < 0) {
        throw new IOException("unexpected NULL");
      }
      need(n);
      byte[] b = Arrays.copyOfRange(buf, at, at + n);
      at += n;
      return b;
    }

    private String text() throws IOException {
      int n = readInt();
      if (n < 0) {
        throw new IOException("unexpected NULL");
      }
      need(n);
      String s = new String(buf, at, n, StandardCharsets.UTF_8);
      at += n;
      return s;
    }

    /** A jsonb field: a version byte (1), then the JSON text. */
    private byte[] jsonb() throws IOException {
      int n = readInt();
      if (n < 1) {
        throw new IOException("unexpected NULL jsonb");
      }
      need(n);
      int version = buf[at] & 0xff;
      if (version != 1) {
        throw new IOException("unknown jsonb binary version " + version);
      }
      byte[] b = Arrays.copyOfRange(buf, at + 1, at + n);
      at += n;
      return b;
    }

    @Override
    public void close() throws IOException {
      try {
        if (!done) {
          if (copy.isActive()) {
            copy.cancelCopy();
          }
        } else {
          while (copy.isActive() && copy.readFromCopy() != null) {
            // the end of the COPY after its trailer: the connection is free again
          }
        }
      } catch (SQLException e) {
        throw new IOException(done ? "could not end the COPY" : "could not cancel the COPY", e);
      }
    }
  }

  /**
   * Receives the results of {@link #pipeline}'s stage, page by page, in commit order; false stops.
   */
  @FunctionalInterface
  public interface Sink<T> {
    boolean accept(List<Raw> page, T result) throws Exception;
  }

  /**
   * Reads every event after {@code from} in pages of {@code pageSize}, runs {@code stage} on each
   * page on {@code threads} threads (pages in parallel), and hands the results to {@code sink} on
   * the calling thread in commit order. Reading, the stage and the sink overlap; at most a few
   * pages are in flight. Returns the position of the last event read ({@code from} when none).
   */
  public static <T> GlobalPosition pipeline(
      Connection c,
      GlobalPosition from,
      Columns columns,
      int pageSize,
      int threads,
      Function<List<Raw>, T> stage,
      Sink<T> sink)
      throws Exception {
    record Page<T>(List<Raw> raws, CompletableFuture<T> result) {}
    ExecutorService pool =
        Executors.newFixedThreadPool(
            threads,
            r -> {
              Thread t = new Thread(r, "ledger-copy-stage");
              t.setDaemon(true);
              return t;
            });
    BlockingQueue<Object> queue = new ArrayBlockingQueue<>(Math.max(4, threads * 3));
    Object end = new Object();
    AtomicBoolean cancelled = new AtomicBoolean();
    Throwable[] readFailure = new Throwable[1];
    GlobalPosition[] last = {from};
    Thread reader =
        new Thread(
            () -> {
              try (Reader r = new Reader(c, from, columns)) {
                List<Raw> page = new ArrayList<>(pageSize);
                for (Raw raw = r.next(); raw != null && !cancelled.get(); raw = r.next()) {
                  page.add(raw);
                  if (page.size() == pageSize) {
                    List<Raw> p = page;
                    queue.put(
                        new Page<>(p, CompletableFuture.supplyAsync(() -> stage.apply(p), pool)));
                    page = new ArrayList<>(pageSize);
                  }
                }
                if (!page.isEmpty()) {
                  List<Raw> p = page;
                  queue.put(
                      new Page<>(p, CompletableFuture.supplyAsync(() -> stage.apply(p), pool)));
                }
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } catch (Throwable t) {
                readFailure[0] = t;
              } finally {
                try {
                  queue.put(end);
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              }
            },
            "ledger-copy-reader");
    reader.setDaemon(true);
    reader.start();
    boolean ended = false;
    try {
      while (true) {
        Object o = queue.take();
        if (o == end) {
          ended = true;
          break;
        }
        @SuppressWarnings("unchecked")
        Page<T> p = (Page<T>) o;
        T result;
        try {
          result = p.result().join();
        } catch (CompletionException e) {
          throw e.getCause() instanceof Exception ex ? ex : e;
        }
        last[0] = p.raws().get(p.raws().size() - 1).commitOrder();
        if (!sink.accept(p.raws(), result)) {
          break;
        }
      }
      if (!ended) {
        cancelled.set(true);
        while (queue.take() != end) {
          // drain, so the reader sees the flag and ends (its COPY is cancelled on close)
        }
        ended = true;
      }
      reader.join();
      if (readFailure[0] != null) {
        Throwable t = readFailure[0];
        throw t instanceof Exception ex ? ex : new IllegalStateException(t);
      }
      return last[0];
    } finally {
      if (!ended) {
        cancelled.set(true);
        while (queue.poll(10, TimeUnit.SECONDS) != end && reader.isAlive()) {
          // drain after a failure, so the reader ends
        }
      }
      pool.shutdownNow();
    }
  }
}
