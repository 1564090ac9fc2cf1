package io.grantry.cli;

import picocli.CommandLine.Option;

/** The paging options of the list commands, and the admin API query they stand for. */
final class PageOptions {
  @Option(
      names = "--limit",
      defaultValue = "50",
      description = "Page size, 1-200 (default ${DEFAULT-VALUE}).")
  int limit;

  @Option(names = "--cursor", description = "Continue after the previous page (its next_cursor).")
  String cursor;

  /** {@code ?limit=…[&cursor=…]} for the admin API's list endpoints. */
  String query() {
    return "?limit=" + limit + (cursor == null ? "" : "&cursor=" + AdminApi.segment(cursor));
  }
}
