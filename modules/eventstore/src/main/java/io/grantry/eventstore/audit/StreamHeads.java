package io.grantry.eventstore.audit;

import io.grantry.eventstore.EventHash;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The head of every stream the verifier has met (its last version and that event's hash), for
 * ledgers of millions of streams: each client_credentials token is a stream of its own, so a
 * 5M-event ledger holds 3.3M of them, and verification must keep all, since any stream may get its
 * next event at any later position.
 *
 * <p>Why not a {@code HashMap<String, Head>}: that costs ~200 bytes and four objects per stream
 * (node, key string and its bytes, head, hash array): 660 MB at 3.3M streams, an OutOfMemoryError
 * at 16% of such a ledger in the container's 192 MB heap, and a live set whose promotion and card
 * refinement took a fifth of the verifier's CPU under G1. Here a stream takes one slot of seven
 * longs (no object per stream; 75-112 bytes per stream at this table's loads), in chunks of 4 MB
 * (one array of hundreds of MB would not fit a generational collector's old generation):
 *
 * <ul>
 *   <li>the key is the first 128 bits of SHA-256 of the stream id. A collision of two streams (2^64
 *       work even for someone choosing ids) can only make verification fail, never pass: the second
 *       stream's v1 would find the first one's head at a version ≥ 1 and be reported out of order;
 *   <li>the version (0 marks a free slot: versions start at 1) and the full 32-byte hash, compared
 *       exactly as before.
 * </ul>
 *
 * Open addressing with linear probing; the table grows by half when it is three quarters full, or
 * is sized at once from the ledger's stream count. Single-threaded, as the verifier's sequential
 * part is.
 */
final class StreamHeads {
  private static final int SLOT = 7; // key (2 longs), version, hash (4 longs)
  private static final int CHUNK_BITS = 16; // slots per chunk: 65,536 × 56 bytes = 3.5 MB
  private static final int CHUNK = 1 << CHUNK_BITS;
  private static final int MIN_CAPACITY = 1 << 10;

  private final MessageDigest sha256 = EventHash.sha256();
  private long[][] chunks;
  private long capacity;
  private long size;
  // The stream the last version() call looked up: its key and its slot (free when it is new).
  private long key0;
  private long key1;
  private long slot;

  /** A table that grows as streams come. */
  StreamHeads() {
    this(0);
  }

  /**
   * A table sized at once for {@code expectedStreams} (e.g. the count of the ledger's streams
   * table): while it stays under that number it never grows, so never holds an old and a new table
   * at once.
   */
  StreamHeads(long expectedStreams) {
    capacity = capacityFor(expectedStreams);
    chunks = allocate(capacity);
  }

  /** The heap a table sized for {@code streams} takes, in bytes. */
  static long bytesFor(long streams) {
    return capacityFor(streams) * SLOT * Long.BYTES;
  }

  private static long capacityFor(long streams) {
    // Loaded to 60%: linear probing stays short, and the table is well below the 75% that grows it.
    return Math.max(MIN_CAPACITY, Math.max(streams, 0) * 5 / 3 + 1);
  }

  private static long[][] allocate(long capacity) {
    int n = (int) ((capacity + CHUNK - 1) >>> CHUNK_BITS);
    long[][] chunks = new long[n][];
    for (int i = 0; i < n; i++) {
      long slots = Math.min(CHUNK, capacity - ((long) i << CHUNK_BITS));
      chunks[i] = new long[(int) slots * SLOT];
    }
    return chunks;
  }

  /** Streams met so far. */
  long size() {
    return size;
  }

  /**
   * The last version of the stream (0 when it was never met), and the stream the next {@link
   * #linksTo} and {@link #advance} are about.
   */
  long version(String streamId) {
    ByteBuffer key = ByteBuffer.wrap(sha256.digest(streamId.getBytes(StandardCharsets.UTF_8)));
    key0 = key.getLong();
    key1 = key.getLong();
    slot = find(chunks, capacity, key0, key1);
    return chunk(chunks, slot)[offset(slot) + 2];
  }

  /** Whether {@code prevHash} is the hash of the stream's head (false when it has none). */
  boolean linksTo(byte[] prevHash) {
    long[] c = chunk(chunks, slot);
    int at = offset(slot);
    if (c[at + 2] == 0 || prevHash == null || prevHash.length != 32) {
      return false;
    }
    ByteBuffer h = ByteBuffer.wrap(prevHash);
    // Not short-circuited: no early exit on the first differing word.
    long diff = 0;
    for (int i = 0; i < 4; i++) {
      diff |= h.getLong() ^ c[at + 3 + i];
    }
    return diff == 0;
  }

  /**
   * Makes {@code version} with {@code hash} (32 bytes, a SHA-256) the head of the stream last
   * looked up.
   */
  void advance(long version, byte[] hash) {
    if (version <= 0) {
      throw new IllegalArgumentException("a stream's versions start at 1");
    }
    if (hash.length != 32) {
      throw new IllegalArgumentException("an event hash has 32 bytes");
    }
    boolean met = chunk(chunks, slot)[offset(slot) + 2] != 0;
    if (!met && (size + 1) * 4 > capacity * 3) {
      grow();
      slot = find(chunks, capacity, key0, key1);
    }
    long[] c = chunk(chunks, slot);
    int at = offset(slot);
    if (!met) {
      c[at] = key0;
      c[at + 1] = key1;
      size++;
    }
    c[at + 2] = version;
    ByteBuffer h = ByteBuffer.wrap(hash);
    for (int i = 0; i < 4; i++) {
      c[at + 3 + i] = h.getLong();
    }
  }

  private void grow() {
    long newCapacity = capacity + capacity / 2;
    long[][] next = allocate(newCapacity);
    for (long i = 0; i < capacity; i++) {
      long[] from = chunk(chunks, i);
      int at = offset(i);
      if (from[at + 2] != 0) {
        long to = find(next, newCapacity, from[at], from[at + 1]);
        System.arraycopy(from, at, chunk(next, to), offset(to), SLOT);
      }
    }
    chunks = next;
    capacity = newCapacity;
  }

  private static long[] chunk(long[][] chunks, long slot) {
    return chunks[(int) (slot >>> CHUNK_BITS)];
  }

  private static int offset(long slot) {
    return (int) (slot & (CHUNK - 1)) * SLOT;
  }

  /** The slot holding the key, or the free slot where it would go. */
  private static long find(long[][] chunks, long capacity, long k0, long k1) {
    long i = Long.remainderUnsigned(k0, capacity);
    while (true) {
      long[] c = chunk(chunks, i);
      int at = offset(i);
      if (c[at + 2] == 0 || (c[at] == k0 && c[at + 1] == k1)) {
        return i;
      }
      i = i + 1 == capacity ? 0 : i + 1;
    }
  }
}
