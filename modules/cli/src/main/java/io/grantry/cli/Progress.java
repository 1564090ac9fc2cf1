package io.grantry.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress of long CLI work (rebuilding a projection, verifying or exporting the ledger, replaying
 * it as of a time) on standard error, so that standard output stays the command's result.
 *
 * <p>On a terminal ({@code System.console()} present and {@code TERM} not {@code dumb}) it is one
 * line redrawn in place with {@code \r}: a bar, the count, events/s and the ETA when the total is
 * known. Anywhere else (a pipe, a log file, CI) a redrawn line would be a mess of carriage returns,
 * so it prints a plain line every few seconds instead, and a summary at the end only when the work
 * took that long. Rate and ETA are averaged over the whole run: steadier than a window, and replay
 * speed does not change much within a run.
 *
 * <p>Not thread-safe: one worker reports. The clock is injected so the formatting is testable.
 */
public final class Progress {
  /** How often a plain line is printed off a terminal (tests shorten it). */
  static volatile long plainEveryNanos = 5_000_000_000L;

  /** How often the terminal line is redrawn. */
  static final long TERMINAL_EVERY_NANOS = 200_000_000L;

  private static final int BAR = 24;

  private final String verb;
  private final PrintStream out;
  private final boolean terminal;
  private final LongSupplier nanos;
  private final long every;
  private final long started;
  private long lastPrint;
  private long count;
  private long total;
  private int drawn;

  /**
   * @param verb what is being done, past tense ("verified", "exported", "replayed")
   * @param total how many events there will be, or 0 or less when unknown
   * @param out where to write (standard error in the commands)
   * @param terminal whether {@code out} is a terminal that understands {@code \r}
   * @param nanos a monotonic clock in nanoseconds ({@code System::nanoTime})
   * @param every how many nanoseconds at least between two lines
   */
  public Progress(
      String verb, long total, PrintStream out, boolean terminal, LongSupplier nanos, long every) {
    this.verb = verb;
    this.total = Math.max(0, total);
    this.out = out;
    this.terminal = terminal;
    this.nanos = nanos;
    this.every = every;
    this.started = nanos.getAsLong();
    this.lastPrint = started;
  }

  /** Progress on standard error, in place on a terminal, plain lines every 5 s otherwise. */
  public static Progress start(String verb, long total) {
    boolean terminal = onTerminal();
    return new Progress(
        verb,
        total,
        System.err,
        terminal,
        System::nanoTime,
        terminal ? TERMINAL_EVERY_NANOS : plainEveryNanos);
  }

  /** Whether standard error is an interactive terminal that can redraw a line. */
  static boolean onTerminal() {
    String term = CliSupport.env.get("TERM");
    return System.console() != null && term != null && !term.isBlank() && !"dumb".equals(term);
  }

  /** The total became known or changed (an estimate, e.g. from the bytes of a file read so far). */
  public void total(long newTotal) {
    this.total = Math.max(0, newTotal);
  }

  public long count() {
    return count;
  }

  /** {@code n} more events are done; prints when the last line is old enough. */
  public void add(long n) {
    count += n;
    long now = nanos.getAsLong();
    if (now - lastPrint >= every) {
      lastPrint = now;
      emit(terminal ? terminalLine(now) : plainLine(now), false);
    }
  }

  /**
   * The work is finished: the summary line (off a terminal only when the work was long enough to
   * report on).
   */
  public void done() {
    long now = nanos.getAsLong();
    if (terminal || now - started >= every) {
      emit(summary(now), true);
    }
  }

  /**
   * The work is finished and its summary is the news, however short it was (an export written to a
   * file or a pipe: how many events it holds).
   */
  public void doneWithSummary() {
    emit(summary(nanos.getAsLong()), true);
  }

  private void emit(String line, boolean end) {
    if (terminal) {
      // Pad over the remains of a longer previous line.
      String padded = line.length() < drawn ? line + " ".repeat(drawn - line.length()) : line;
      drawn = end ? 0 : line.length();
      out.print("\r" + padded + (end ? "\n" : ""));
    } else {
      out.println(line);
    }
    out.flush();
  }

  // ---------------------------------------------------------------- formatting

  /** Events per second so far. */
  double rate(long now) {
    double secs = (now - started) / 1e9;
    return secs <= 0 ? 0 : count / secs;
  }

  /** Seconds left at the rate so far; negative when unknown (no total, or nothing done yet). */
  double etaSeconds(long now) {
    double r = rate(now);
    if (total <= 0 || r <= 0) {
      return -1;
    }
    return Math.max(0, total - count) / r;
  }

  /** {@code verified [#####-------] 42% 4,200/10,000 events 1,234 events/s ETA 0:05}. */
  String terminalLine(long now) {
    StringBuilder b = new StringBuilder(verb).append(' ');
    if (total > 0) {
      double fraction = Math.min(1, count / (double) total);
      int filled = (int) Math.floor(fraction * BAR);
      b.append('[')
          .append("#".repeat(filled))
          .append("-".repeat(BAR - filled))
          .append("] ")
          .append(String.format(Locale.ROOT, "%3d%%  ", (int) Math.floor(fraction * 100)))
          .append(String.format(Locale.ROOT, "%,d/%,d events  ", count, total));
    } else {
      b.append(String.format(Locale.ROOT, "%,d events  ", count));
    }
    b.append(formatRate(rate(now))).append(" events/s");
    if (total > 0) {
      b.append("  ETA ").append(formatEta(etaSeconds(now)));
    }
    return b.toString();
  }

  /** {@code verified 4,200 of 10,000 events (42%), 1,234 events/s, ETA 0:05}. */
  String plainLine(long now) {
    StringBuilder b = new StringBuilder(verb).append(' ');
    if (total > 0) {
      b.append(
          String.format(
              Locale.ROOT,
              "%,d of %,d events (%d%%), ",
              count,
              total,
              (int) Math.floor(Math.min(1, count / (double) total) * 100)));
    } else {
      b.append(String.format(Locale.ROOT, "%,d events, ", count));
    }
    b.append(formatRate(rate(now))).append(" events/s");
    if (total > 0) {
      b.append(", ETA ").append(formatEta(etaSeconds(now)));
    }
    return b.toString();
  }

  /** {@code verified 10,000 events in 8.1 s (1,234 events/s)}. */
  String summary(long now) {
    double secs = Math.max(0, (now - started) / 1e9);
    return String.format(
        Locale.ROOT,
        "%s %,d events in %.1f s (%s events/s)",
        verb,
        count,
        secs,
        formatRate(rate(now)));
  }

  /**
   * Whole events per second with grouping; one decimal below 10 so that a slow start is not "0".
   */
  static String formatRate(double perSecond) {
    return perSecond < 10
        ? String.format(Locale.ROOT, "%.1f", perSecond)
        : String.format(Locale.ROOT, "%,.0f", perSecond);
  }

  /** {@code m:ss} below an hour, {@code h:mm:ss} above, {@code --:--} when unknown; rounded up. */
  static String formatEta(double seconds) {
    if (seconds < 0 || Double.isNaN(seconds) || Double.isInfinite(seconds)) {
      return "--:--";
    }
    long s = (long) Math.ceil(seconds);
    if (s >= 3600) {
      return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s % 3600) / 60, s % 60);
    }
    return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
  }
}
