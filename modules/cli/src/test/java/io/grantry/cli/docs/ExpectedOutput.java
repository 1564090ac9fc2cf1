package io.grantry.cli.docs;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks a command's output against the answer a document shows under it.
 *
 * <ul>
 *   <li>An answer that starts with {@code {} or {@code [} is JSON: every key it names must be in a
 *       JSON value the command printed (at any depth), and every key shown with a string, number,
 *       boolean or null must have that value there. A string with {@code ...} (or {@code …}) in it
 *       matches any text in their place ({@code "eyJ..."}: starts with eyJ); keys shown with an
 *       object or array only need to be there.
 *   <li>Any other answer is lines of text: each must be found in the output, in order, as a line
 *       that holds its parts between {@code ...} in order (runs of blanks count as one).
 * </ul>
 *
 * {@code http://localhost:8080}, the development server's address in the documents, stands for the
 * issuer of the server the examples run against.
 */
final class ExpectedOutput {
  static final String DOCUMENTED_ISSUER = "http://localhost:8080";

  private static final Pattern ELLIPSIS = Pattern.compile("\\.\\.\\.|…");
  private static final String STRING = "\"((?:[^\"\\\\]|\\\\.)*)\"";
  private static final Pattern KEY = Pattern.compile(STRING + "\\s*:");
  private static final Pattern SCALAR =
      Pattern.compile(
          STRING
              + "\\s*:\\s*("
              + STRING
              + "|-?\\d+(?:\\.\\d+)?(?:[eE][+-]?\\d+)?|true|false|null)(?=\\s*[,}\\]]|\\s*$)");

  private ExpectedOutput() {}

  /** Empty when {@code output} gives the {@code expected} answer, else what is wrong. */
  static Optional<String> mismatch(List<String> expected, String output, String issuer) {
    if (expected.isEmpty()) {
      return Optional.empty();
    }
    List<String> lines = expected.stream().map(l -> l.replace(DOCUMENTED_ISSUER, issuer)).toList();
    String first = lines.get(0).strip();
    return first.startsWith("{") || first.startsWith("[")
        ? jsonMismatch(String.join("\n", lines), output)
        : textMismatch(lines, output);
  }

  // ------------------------------------------------------------------ JSON

  private static Optional<String> jsonMismatch(String expected, String output) {
    List<Object> values = jsonValues(output);
    if (values.isEmpty()) {
      return Optional.of(
          "expected JSON like " + oneLine(expected) + ", but the output holds no JSON");
    }
    Map<String, List<Object>> found = new HashMap<>();
    values.forEach(v -> flatten(v, found));
    List<String> problems = new ArrayList<>();
    Matcher keys = KEY.matcher(expected);
    while (keys.find()) {
      String key = unescape(keys.group(1));
      if (!found.containsKey(key)) {
        problems.add("no \"" + key + "\"");
      }
    }
    Matcher pairs = SCALAR.matcher(expected);
    while (pairs.find()) {
      String key = unescape(pairs.group(1));
      String shown = pairs.group(2);
      List<Object> actual = found.getOrDefault(key, List.of());
      if (!actual.isEmpty() && actual.stream().noneMatch(a -> sameValue(shown, a))) {
        problems.add(
            "\""
                + key
                + "\" is "
                + Json.encode(actual.size() == 1 ? actual.get(0) : actual)
                + ", not "
                + shown);
      }
    }
    return problems.isEmpty()
        ? Optional.empty()
        : Optional.of(
            "the JSON differs from the one shown ("
                + String.join("; ", problems)
                + "); shown: "
                + oneLine(expected));
  }

  private static boolean sameValue(String shown, Object actual) {
    if (shown.startsWith("\"")) {
      String text = unescape(shown.substring(1, shown.length() - 1));
      return actual instanceof String s && globMatches(text, s);
    }
    if (shown.equals("null")) {
      return actual == null;
    }
    if (shown.equals("true") || shown.equals("false")) {
      return actual instanceof Boolean b && b == Boolean.parseBoolean(shown);
    }
    return actual instanceof Number n
        && new BigDecimal(shown).compareTo(new BigDecimal(n.toString())) == 0;
  }

  /** {@code pattern} with {@code ...} standing for any text, matched against all of {@code s}. */
  static boolean globMatches(String pattern, String s) {
    StringBuilder regex = new StringBuilder();
    for (String part : ELLIPSIS.split(pattern, -1)) {
      if (regex.length() > 0) {
        regex.append(".*");
      }
      regex.append(Pattern.quote(part));
    }
    // Pattern.quote of an empty part is \Q\E, which matches nothing: fine.
    return Pattern.compile(regex.toString(), Pattern.DOTALL).matcher(s).matches();
  }

  /**
   * The JSON values in {@code output}: the whole of it, or values starting at the beginning of a
   * line and running over one or more lines (a pretty-printed object).
   */
  static List<Object> jsonValues(String output) {
    List<Object> out = new ArrayList<>();
    Optional<Object> whole = parse(output.strip());
    if (whole.isPresent()) {
      out.add(whole.get());
      return out;
    }
    String[] lines = output.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String start = lines[i].strip();
      if (!(start.startsWith("{") || start.startsWith("["))) {
        continue;
      }
      StringBuilder text = new StringBuilder();
      for (int j = i; j < lines.length && j < i + 2000; j++) {
        text.append(lines[j]).append('\n');
        Optional<Object> v = parse(text.toString().strip());
        if (v.isPresent()) {
          out.add(v.get());
          i = j;
          break;
        }
      }
    }
    return out;
  }

  private static Optional<Object> parse(String text) {
    if (!(text.startsWith("{") || text.startsWith("["))) {
      return Optional.empty();
    }
    try {
      return Optional.of(Json.decodeValue(text));
    } catch (DecodeException e) {
      return Optional.empty();
    }
  }

  private static void flatten(Object value, Map<String, List<Object>> into) {
    if (value instanceof JsonObject o) {
      for (Map.Entry<String, Object> e : o) {
        into.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).add(e.getValue());
        flatten(e.getValue(), into);
      }
    } else if (value instanceof JsonArray a) {
      a.forEach(v -> flatten(v, into));
    }
  }

  private static String unescape(String s) {
    try {
      return (String) Json.decodeValue("\"" + s + "\"");
    } catch (DecodeException e) {
      return s;
    }
  }

  // ------------------------------------------------------------------ text

  private static Optional<String> textMismatch(List<String> expected, String output) {
    List<String> lines = output.lines().map(ExpectedOutput::blanks).toList();
    int from = 0;
    for (String e : expected) {
      List<String> parts = new ArrayList<>();
      for (String p : ELLIPSIS.split(blanks(e), -1)) {
        if (!p.isBlank()) {
          parts.add(p.strip());
        }
      }
      int at = -1;
      for (int i = from; i < lines.size() && at < 0; i++) {
        if (holdsInOrder(lines.get(i), parts)) {
          at = i;
        }
      }
      if (at < 0) {
        return Optional.of(
            "no line "
                + (from > 0 ? "after the previous one " : "")
                + "of the output reads like '"
                + e.strip()
                + "'");
      }
      from = at + 1;
    }
    return Optional.empty();
  }

  private static boolean holdsInOrder(String line, List<String> parts) {
    int at = 0;
    for (String p : parts) {
      int i = line.indexOf(p, at);
      if (i < 0) {
        return false;
      }
      at = i + p.length();
    }
    return true;
  }

  private static String blanks(String s) {
    return s.replaceAll("[ \\t]+", " ").strip();
  }

  private static String oneLine(String s) {
    String one = s.replaceAll("\\s+", " ").strip();
    return one.length() > 300 ? one.substring(0, 297) + "..." : one;
  }
}
