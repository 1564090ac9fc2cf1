package io.grantry.rebuild;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Strings (grant ids, jtis, refresh token hashes) numbered 0, 1, 2... in the order first seen, kept
 * as UTF-8 in large byte arrays and found through an open-addressing table of ints. For the
 * token-state fold of a rebuild, which holds millions of them: as {@code HashMap<String, Object>}
 * each cost a map entry, a String and its array (three objects the garbage collector copies and
 * marks again and again as the fold grows: most of the fold's CPU went to the collector); here the
 * collector sees a few large arrays. Not thread-safe (the fold runs on one thread).
 */
final class KeyIndex {
  private static final int CHUNK = 1 << 22;

  private byte[][] chunks = new byte[16][];
  private int chunk = -1;
  private int used = CHUNK;

  /** Per number: chunk index (high 32 bits) and offset (low 32 bits) of its bytes. */
  private long[] where;

  private int[] length;
  private int[] hash;
  private int size;

  /** Numbers + 1 by hash (0 = free), linear probing, at most half full. */
  private int[] table;

  KeyIndex(int expected) {
    int cap = Integer.highestOneBit(Math.max(16, expected) * 2 - 1) * 2;
    table = new int[cap];
    where = new long[Math.max(16, expected)];
    length = new int[where.length];
    hash = new int[where.length];
  }

  int size() {
    return size;
  }

  private static int mix(int h) {
    h *= 0x9E3779B9;
    return h ^ (h >>> 16);
  }

  /** The number of {@code key}, or -1 when it has none. */
  int find(String key) {
    int h = key.hashCode();
    int mask = table.length - 1;
    for (int i = mix(h) & mask; ; i = (i + 1) & mask) {
      int n = table[i] - 1;
      if (n < 0) {
        return -1;
      }
      if (hash[n] == h && matches(key, n)) {
        return n;
      }
    }
  }

  /** The number of {@code key}, numbering it when it is new. */
  int add(String key) {
    int h = key.hashCode();
    int mask = table.length - 1;
    int i = mix(h) & mask;
    for (; ; i = (i + 1) & mask) {
      int n = table[i] - 1;
      if (n < 0) {
        break;
      }
      if (hash[n] == h && matches(key, n)) {
        return n;
      }
    }
    int n = size++;
    if (n == where.length) {
      int cap = where.length * 2;
      where = Arrays.copyOf(where, cap);
      length = Arrays.copyOf(length, cap);
      hash = Arrays.copyOf(hash, cap);
    }
    store(key, n);
    hash[n] = h;
    table[i] = n + 1;
    if (size * 2 > table.length) {
      grow();
    }
    return n;
  }

  private void grow() {
    int[] bigger = new int[table.length * 2];
    int mask = bigger.length - 1;
    for (int n = 0; n < size; n++) {
      int i = mix(hash[n]) & mask;
      while (bigger[i] != 0) {
        i = (i + 1) & mask;
      }
      bigger[i] = n + 1;
    }
    table = bigger;
  }

  private static boolean ascii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 0x80) {
        return false;
      }
    }
    return true;
  }

  private void store(String key, int n) {
    byte[] bytes = ascii(key) ? null : key.getBytes(StandardCharsets.UTF_8);
    int len = bytes == null ? key.length() : bytes.length;
    if (used + len > CHUNK || chunk < 0) {
      chunk++;
      if (chunk == chunks.length) {
        chunks = Arrays.copyOf(chunks, chunks.length * 2);
      }
      chunks[chunk] = new byte[Math.max(CHUNK, len)];
      used = 0;
    }
    byte[] c = chunks[chunk];
    if (bytes == null) {
      for (int i = 0; i < len; i++) {
        c[used + i] = (byte) key.charAt(i);
      }
    } else {
      System.arraycopy(bytes, 0, c, used, len);
    }
    where[n] = ((long) chunk << 32) | used;
    length[n] = len;
    used += len;
  }

  private boolean matches(String key, int n) {
    byte[] c = chunks[(int) (where[n] >>> 32)];
    int off = (int) where[n];
    int len = length[n];
    if (len == key.length()) {
      for (int i = 0; i < len; i++) {
        char ch = key.charAt(i);
        if (ch >= 0x80) {
          return slowMatches(key, c, off, len);
        }
        if (c[off + i] != (byte) ch) {
          return false;
        }
      }
      return true;
    }
    return !ascii(key) && slowMatches(key, c, off, len);
  }

  private static boolean slowMatches(String key, byte[] c, int off, int len) {
    byte[] b = key.getBytes(StandardCharsets.UTF_8);
    return Arrays.equals(b, 0, b.length, c, off, off + len);
  }

  /**
   * The bytes of number {@code n}: in {@link #bytes(int)} from {@link #offset(int)}, {@link
   * #length(int)} long.
   */
  byte[] bytes(int n) {
    return chunks[(int) (where[n] >>> 32)];
  }

  int offset(int n) {
    return (int) where[n];
  }

  int length(int n) {
    return length[n];
  }

  /** Number {@code n} as a String (for tests). */
  String key(int n) {
    return new String(bytes(n), offset(n), length(n), StandardCharsets.UTF_8);
  }
}
