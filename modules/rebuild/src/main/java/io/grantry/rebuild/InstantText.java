package io.grantry.rebuild;

import io.grantry.eventstore.LedgerCopy;
import io.grantry.server.tokenstate.TokenChange;

/**
 * Times as the codec writes them, read from JSON text without {@link java.time.Instant#parse}
 * (which was most of a rebuild's decoding time): {@code uuuu-MM-ddTHH:mm:ss[.f{1,9}]Z} at or after
 * 2000.
 */
final class InstantText {
  private InstantText() {}

  private static final long NONE = TokenChange.NO_TIME;

  /** 2000-01-01T00:00:00Z in Unix seconds. */
  private static final long PG_EPOCH_SECONDS = LedgerCopy.PG_EPOCH_MICROS / 1_000_000L;

  /**
   * {@code uuuu-MM-ddTHH:mm:ss[.f{1,9}]Z} at or after 2000 (what {@link
   * java.time.Instant#toString()} writes, and what {@code Json.parseUtc} reads) as PostgreSQL
   * microseconds, truncated as {@link LedgerCopy#pgMicros} truncates; {@link TokenChange#NO_TIME}
   * for any other text.
   */
  static long micros(char[] c, int off, int n) {
    if (n < 20
        || n > 30
        || c[off + 4] != '-'
        || c[off + 7] != '-'
        || c[off + 10] != 'T'
        || c[off + 13] != ':'
        || c[off + 16] != ':'
        || c[off + n - 1] != 'Z') {
      return NONE;
    }
    int year = digits(c, off, 4);
    int month = digits(c, off + 5, 2);
    int day = digits(c, off + 8, 2);
    int hour = digits(c, off + 11, 2);
    int minute = digits(c, off + 14, 2);
    int second = digits(c, off + 17, 2);
    if (year < 2000
        || month < 1
        || month > 12
        || day < 1
        || day > lengthOfMonth(year, month)
        || hour < 0
        || hour > 23
        || minute < 0
        || minute > 59
        || second < 0
        || second > 59) {
      return NONE;
    }
    int micros = 0;
    if (n > 20) {
      int fraction = n - 21;
      if (c[off + 19] != '.' || fraction < 1 || fraction > 9) {
        return NONE;
      }
      int f = digits(c, off + 20, fraction);
      if (f < 0) {
        return NONE;
      }
      for (int i = fraction; i < 9; i++) {
        f *= 10;
      }
      micros = f / 1000;
    } else if (c[off + 19] != 'Z') {
      return NONE;
    }
    long seconds = epochDay(year, month, day) * 86_400L + hour * 3600L + minute * 60L + second;
    return (seconds - PG_EPOCH_SECONDS) * 1_000_000L + micros;
  }

  private static int digits(char[] c, int from, int n) {
    int v = 0;
    for (int i = from; i < from + n; i++) {
      char ch = c[i];
      if (ch < '0' || ch > '9') {
        return -1;
      }
      v = v * 10 + (ch - '0');
    }
    return v;
  }

  private static boolean leap(int y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  }

  private static int lengthOfMonth(int y, int m) {
    switch (m) {
      case 2:
        return leap(y) ? 29 : 28;
      case 4:
      case 6:
      case 9:
      case 11:
        return 30;
      default:
        return 31;
    }
  }

  /** Days from 1970-01-01 (the proleptic Gregorian calendar, years 2000 and later). */
  private static long epochDay(int y, int m, int d) {
    // Days before the year, then before the month, then the day (java.time.LocalDate#toEpochDay's
    // method).
    long total = 365L * y;
    total += (y + 3) / 4 - (y + 99) / 100 + (y + 399) / 400;
    total += (367 * m - 362) / 12;
    total += d - 1;
    if (m > 2) {
      total--;
      if (!leap(y)) {
        total--;
      }
    }
    return total - 719_528L;
  }
}
