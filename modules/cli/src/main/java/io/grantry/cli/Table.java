package io.grantry.cli;

import java.io.PrintStream;
import java.util.List;

/** A plain text table: columns padded to their widest cell, the last column left ragged. */
final class Table {
  private Table() {}

  static void print(PrintStream out, List<String[]> rows) {
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
    for (String[] r : rows) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < cols; i++) {
        String cell = r[i] == null ? "" : r[i];
        sb.append(cell);
        if (i < cols - 1) {
          sb.append(" ".repeat(width[i] - cell.length() + 2));
        }
      }
      out.println(sb.toString().stripTrailing());
    }
  }
}
