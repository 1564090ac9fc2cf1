package io.grantry.server.http;

import java.security.SecureRandom;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The request ids the edge makes for requests that bring none: unique within the process (a
 * counter) and, with a random part drawn once at start, across instances and restarts as far as
 * random version-4 UUIDs are; in a UUID's form, as the pages and logs show them.
 *
 * <p>Not secret and not meant to be: an id only ties a request's log lines, events and pages
 * together, and a client may bring its own (X-Request-Id), so nothing may trust one to be
 * unguessable or unique. Hence no {@code UUID.randomUUID()}, whose SecureRandom (NativePRNG here)
 * cost about 1.2% of the event loops' CPU on a client_credentials token. The counter goes through a
 * bijective mix, so that consecutive ids do not read as a count of the server's requests at a
 * glance; anyone who wants that count can still work it out, which is harmless.
 */
final class RequestIds {
  private RequestIds() {}

  private static final long LOW_62 = (1L << 62) - 1;
  private static final long HIGH;
  private static final long KEY;
  private static final AtomicLong COUNTER = new AtomicLong();

  static {
    SecureRandom random = new SecureRandom();
    // Version 4 (random) in bits 12-15 of the high half, as UUID.randomUUID() sets it.
    HIGH = (random.nextLong() & ~0xF000L) | 0x4000L;
    KEY = random.nextLong();
  }

  /** A new id. */
  static String next() {
    return id(COUNTER.getAndIncrement());
  }

  /** The id of the {@code n}th request: distinct for distinct {@code n} below 2^62. */
  static String id(long n) {
    // The IETF variant in the low half's top two bits; the other 62 a bijection of n.
    return new UUID(HIGH, Long.MIN_VALUE | mix62(n + KEY)).toString();
  }

  /**
   * A bijection of the low 62 bits (MurmurHash3's finalizer, each step invertible modulo 2^62: an
   * xor with a right shift, a multiplication by an odd number).
   */
  static long mix62(long x) {
    x &= LOW_62;
    x ^= x >>> 31;
    x = (x * 0x7fb5d329728ea185L) & LOW_62;
    x ^= x >>> 27;
    x = (x * 0x81dadef4bc2dd44dL) & LOW_62;
    x ^= x >>> 33;
    return x;
  }
}
