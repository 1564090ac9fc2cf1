package io.grantry.cli;

import java.io.PrintStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A plain text table: columns padded to their widest cell, the last column left ragged. Unless
 * asked for everything ({@code --wide}), a table is kept within {@value #WIDTH} columns: the widest
 * columns give up width first, and a value longer than its column is cut with {@code …}. The first
 * column (what names the row: an id, a field) and timestamps are never cut, since they are what an
 * operator copies; a table that cannot fit without cutting them is printed wider. A table may wrap
 * long values over several lines instead of cutting them ({@code audit history}).
 */
final class Table {
  static final int WIDTH = 120;

  /** A column is never cut below this, or below its header. */
  private static final int MIN_COLUMN = 12;

  private static final String CUT = "…";
  private static final DateTimeFormatter MILLIS =
      DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);
  private static final Pattern ISO_INSTANT =
      Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d(:\\d\\d(\\.\\d{1,9})?)?Z");

  private Table() {}

  static void print(PrintStream out, List<String[]> rows) {
    print(out, rows, false);
  }

  /**
   * @param wide every value whole, however wide the table
   */
  static void print(PrintStream out, List<String[]> rows, boolean wide) {
    print(out, rows, wide, false);
  }

  /**
   * @param wide every value whole on one line, however wide the table
   * @param wrap within {@value #WIDTH} columns, a value longer than its column goes on over the
   *     next lines (broken after a separator such as {@code . : - , space} where one is near)
   *     instead of being cut: every character is shown
   */
  static void print(PrintStream out, List<String[]> rows, boolean wide, boolean wrap) {
    if (rows.isEmpty()) {
      return;
    }
    int cols = rows.get(0).length;
    int[] width = new int[cols];
    for (String[] r : rows) {
      for (int i = 0; i < cols; i++) {
        width[i] = Math.max(width[i], r[i] == null ? 0 : r[i].length());
      }
    }
    if (!wide) {
      fit(width, floors(rows, width));
    }
    for (String[] r : rows) {
      List<List<String>> cells = new ArrayList<>(cols);
      int lines = 1;
      for (int i = 0; i < cols; i++) {
        String cell = r[i] == null ? "" : r[i];
        List<String> parts;
        if (cell.length() <= width[i] || wide) {
          parts = List.of(cell);
        } else if (wrap) {
          parts = wrapped(cell, width[i]);
        } else {
          parts = List.of(cell.substring(0, Math.max(0, width[i] - CUT.length())) + CUT);
        }
        cells.add(parts);
        lines = Math.max(lines, parts.size());
      }
      for (int line = 0; line < lines; line++) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cols; i++) {
          List<String> parts = cells.get(i);
          String cell = line < parts.size() ? parts.get(line) : "";
          sb.append(cell);
          if (i < cols - 1) {
            sb.append(" ".repeat(Math.max(0, width[i] - cell.length()) + 2));
          }
        }
        out.println(sb.toString().stripTrailing());
      }
    }
  }

  /** Where a wrapped value prefers to break: after one of these. */
  private static final String BREAK_AFTER = " ,;:./-_>)}]";

  /**
   * {@code text} in pieces of at most {@code width} characters, each ending after a separator in
   * its second half where there is one; nothing is dropped but the spaces a piece breaks at.
   */
  static List<String> wrapped(String text, int width) {
    List<String> out = new ArrayList<>();
    String rest = text;
    int w = Math.max(1, width);
    while (rest.length() > w) {
      int cut = w;
      for (int k = w; k > w / 2; k--) {
        if (BREAK_AFTER.indexOf(rest.charAt(k - 1)) >= 0) {
          cut = k;
          break;
        }
      }
      out.add(rest.substring(0, cut).stripTrailing());
      rest = rest.substring(cut);
    }
    out.add(rest);
    return out;
  }

  /**
   * How narrow each column may become: the first column and a column holding a timestamp not at
   * all, any other no narrower than its first row (the header) or {@link #MIN_COLUMN}.
   */
  private static int[] floors(List<String[]> rows, int[] width) {
    int[] floor = new int[width.length];
    String[] header = rows.get(0);
    for (int i = 0; i < width.length; i++) {
      floor[i] = Math.max(MIN_COLUMN, header[i] == null ? 0 : header[i].length());
      if (i == 0) {
        floor[i] = width[i];
      }
      for (String[] r : rows) {
        if (r[i] != null && ISO_INSTANT.matcher(r[i]).matches()) {
          floor[i] = width[i];
          break;
        }
      }
    }
    return floor;
  }

  /** Narrows the widest columns, one character at a time, until the table fits {@link #WIDTH}. */
  private static void fit(int[] width, int[] floor) {
    int total = 2 * (width.length - 1);
    for (int w : width) {
      total += w;
    }
    while (total > WIDTH) {
      int widest = -1;
      for (int i = 0; i < width.length; i++) {
        if (width[i] > floor[i] && (widest < 0 || width[i] > width[widest])) {
          widest = i;
        }
      }
      if (widest < 0) {
        return; // every column at its floor: wider than WIDTH, but readable
      }
      width[widest]--;
      total--;
    }
  }

  /** An instant to the millisecond, in UTC: {@code 2026-12-07T13:20:05.120Z}. */
  static String time(Instant t) {
    return t == null ? "" : MILLIS.format(t);
  }

  /** {@code text} to the millisecond if it is an RFC 3339 UTC timestamp, else unchanged. */
  static String time(String text) {
    if (text == null || !ISO_INSTANT.matcher(text).matches()) {
      return text;
    }
    try {
      return time(Instant.parse(text));
    } catch (DateTimeParseException e) {
      return text;
    }
  }
}
