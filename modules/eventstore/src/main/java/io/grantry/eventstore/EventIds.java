package io.grantry.eventstore;

import java.security.SecureRandom;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Event ids: UUID version 7 (RFC 9562, section 5.7), a 48-bit Unix millisecond timestamp, then a
 * 12-bit counter in {@code rand_a}, then 62 random bits.
 *
 * <p>Why not {@link UUID#randomUUID()}: {@code events.event_id} has a unique B-tree index, and a
 * random key puts every insert on a random leaf page. On a ledger of tens of millions of events
 * those pages are mostly not in cache, and the first change to each after a checkpoint writes a
 * full-page image to the WAL, so the cost of an append grew with the size of the ledger (issue #8).
 * Ids that grow with time append at the right edge of the index, on pages that are hot anyway.
 *
 * <p>Ids made by one process are strictly increasing in PostgreSQL's {@code uuid} order (unsigned,
 * bytewise): within one millisecond the counter goes up, and when it overflows, or the clock steps
 * back, the timestamp part is carried forward (RFC 9562, 6.2, method 1 with the timestamp borrowed
 * from the future as 6.2 allows). Event ids are not secrets; the 62 random bits (from {@link
 * SecureRandom}, as {@code randomUUID} uses) keep ids of different processes apart. An id reveals
 * when its event was made, which the event's {@code recorded_at} says anyway.
 */
public final class EventIds {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final EventIds PROCESS = new EventIds();

  /** The last (timestamp << 12 | counter) handed out. */
  private final AtomicLong last = new AtomicLong();

  EventIds() {}

  /** A new version 7 UUID, greater than every one this process made before. */
  public static UUID next() {
    return PROCESS.make(System.currentTimeMillis());
  }

  UUID make(long epochMillis) {
    long candidate = (epochMillis & 0xFFFF_FFFF_FFFFL) << 12;
    long state;
    long prev;
    do {
      prev = last.get();
      state = candidate > prev ? candidate : prev + 1;
    } while (!last.compareAndSet(prev, state));
    long msb = (state >>> 12) << 16 | 0x7000L | (state & 0xFFFL);
    long lsb = RANDOM.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL | 0x8000_0000_0000_0000L;
    return new UUID(msb, lsb);
  }
}
