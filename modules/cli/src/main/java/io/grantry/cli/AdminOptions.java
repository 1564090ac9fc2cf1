package io.grantry.cli;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/**
 * What every admin API command takes ({@code --url}, {@code --token}, {@code --json}) and how it
 * prints.
 */
final class AdminOptions {
  @Option(
      names = "--url",
      paramLabel = "URL",
      description =
          "The server's base URL (default: GRANTRY_ADMIN_URL, else " + AdminApi.DEFAULT_URL + ").")
  String url;

  @Option(
      names = "--token",
      paramLabel = "TOKEN",
      description =
          "The admin token (default: GRANTRY_ADMIN_TOKEN; prefer the variable, a flag shows in the process list).")
  String token;

  @Option(names = "--json", description = "Print the API's JSON answer instead of a table.")
  boolean json;

  @Option(
      names = "--wide",
      description =
          "Show every value whole; tables are otherwise kept within 120 columns, long values cut"
              + " with …")
  boolean wide;

  AdminApi api() {
    return AdminApi.connect(url, token);
  }

  // ---------------------------------------------------------------- printing

  /** One object as {@code field value} lines, or its JSON. */
  void printObject(JsonObject object) {
    if (json) {
      System.out.println(object.encodePrettily());
      return;
    }
    List<String[]> rows = new ArrayList<>();
    for (Map.Entry<String, Object> e : object) {
      rows.add(new String[] {e.getKey(), text(e.getValue())});
    }
    Table.print(System.out, rows, wide);
  }

  /**
   * A page of {@code items} as a table of {@code columns}, with how to get the next page; or the
   * JSON.
   */
  void printPage(JsonObject page, String[] headers, String[] fields, String next) {
    if (json) {
      System.out.println(page.encodePrettily());
      return;
    }
    JsonArray items = page.getJsonArray("items", new JsonArray());
    if (items.isEmpty()) {
      System.out.println("None.");
    } else {
      List<String[]> rows = new ArrayList<>();
      rows.add(headers);
      for (Object o : items) {
        JsonObject item = (JsonObject) o;
        String[] row = new String[fields.length];
        for (int i = 0; i < fields.length; i++) {
          row[i] = text(item.getValue(fields[i]));
        }
        rows.add(row);
      }
      Table.print(System.out, rows, wide);
    }
    String cursor = page.getString("next_cursor");
    if (cursor != null && next != null) {
      System.out.println("More: " + next + " --cursor " + cursor);
    }
  }

  static String text(Object value) {
    if (value == null) {
      return "";
    }
    if (value instanceof JsonArray a) {
      List<String> parts = new ArrayList<>();
      a.forEach(v -> parts.add(String.valueOf(v)));
      return String.join(" ", parts);
    }
    return value instanceof String s ? Table.time(s) : String.valueOf(value);
  }

  static void warnSecretShownOnce(PrintStream out, String what) {
    out.println("The " + what + " is shown only now; Grantry keeps only a hash of it.");
  }

  // ---------------------------------------------------------------- input

  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})([smhd]?)");

  /** {@code 90}, {@code 90s}, {@code 15m}, {@code 24h} or {@code 7d}. */
  static Duration duration(String option, String value) {
    Matcher m = DURATION.matcher(value == null ? "" : value.strip());
    if (!m.matches()) {
      throw new CliFailure(
          2, option + " must be a duration like 90s, 15m, 24h or 7d, got '" + value + "'");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      case "d" -> Duration.ofDays(n);
      default -> Duration.ofSeconds(n);
    };
  }

  /** A password: one line from standard input, generated, or typed at the terminal without echo. */
  static String password(boolean fromStdin, boolean generate) {
    if (fromStdin && generate) {
      throw new CliFailure(2, "give either --password-stdin or --generate-password, not both");
    }
    if (generate) {
      byte[] b = new byte[18];
      new SecureRandom().nextBytes(b);
      return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }
    if (fromStdin) {
      try {
        String line =
            new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        if (line == null || line.isEmpty()) {
          throw new CliFailure(2, "--password-stdin read no password");
        }
        return line;
      } catch (IOException e) {
        throw new CliFailure(1, "cannot read the password from standard input");
      }
    }
    Console console = System.console();
    if (console == null) {
      throw new CliFailure(
          2, "no terminal to ask for the password: use --password-stdin or --generate-password");
    }
    char[] first = console.readPassword("Password: ");
    char[] second = console.readPassword("Again: ");
    if (first == null || second == null || !Arrays.equals(first, second)) {
      throw new CliFailure(2, "the passwords differ");
    }
    return new String(first);
  }
}
