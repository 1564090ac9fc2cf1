package io.grantry.domain;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Strict readers for event payloads: a missing or mistyped field is an {@link EventCodecException}
 * naming the event type and the field, never a silent default.
 */
public final class Json {
  private Json() {}

  public static String string(String type, JsonObject payload, String field) {
    Object value = payload.getValue(field);
    if (value instanceof String s) {
      return s;
    }
    throw problem(type, field, value == null ? "is missing" : "is not a string");
  }

  public static Optional<String> optionalString(String type, JsonObject payload, String field) {
    Object value = payload.getValue(field);
    if (value == null) {
      return Optional.empty();
    }
    if (value instanceof String s) {
      return Optional.of(s);
    }
    throw problem(type, field, "is not a string");
  }

  public static boolean bool(String type, JsonObject payload, String field) {
    Object value = payload.getValue(field);
    if (value instanceof Boolean b) {
      return b;
    }
    throw problem(type, field, value == null ? "is missing" : "is not a boolean");
  }

  public static Instant instant(String type, JsonObject payload, String field) {
    String text = string(type, payload, field);
    Instant fast = parseUtc(text);
    if (fast != null) {
      return fast;
    }
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw problem(type, field, "is not an ISO-8601 instant");
    }
  }

  /**
   * {@code uuuu-MM-ddTHH:mm:ss[.fraction]Z}, the form {@link Instant#toString()} writes, parsed by
   * hand: replaying millions of events spent most of its decoding in {@link Instant#parse}. Null
   * for any other text (then {@link Instant#parse} decides, so what is accepted is unchanged).
   */
  static Instant parseUtc(String s) {
    int n = s.length();
    if (n < 20
        || n > 30
        || s.charAt(4) != '-'
        || s.charAt(7) != '-'
        || s.charAt(10) != 'T'
        || s.charAt(13) != ':'
        || s.charAt(16) != ':'
        || s.charAt(n - 1) != 'Z') {
      return null;
    }
    int year = digits(s, 0, 4);
    int month = digits(s, 5, 7);
    int day = digits(s, 8, 10);
    int hour = digits(s, 11, 13);
    int minute = digits(s, 14, 16);
    int second = digits(s, 17, 19);
    if (year < 0
        || month < 1
        || month > 12
        || day < 1
        || hour < 0
        || hour > 23
        || minute < 0
        || minute > 59
        || second < 0
        || second > 59
        || day > YearMonth.of(year, month).lengthOfMonth()) {
      return null;
    }
    int nanos = 0;
    if (n > 20) {
      int digitsEnd = n - 1;
      if (s.charAt(19) != '.' || digitsEnd - 20 < 1 || digitsEnd - 20 > 9) {
        return null;
      }
      int f = digits(s, 20, digitsEnd);
      if (f < 0) {
        return null;
      }
      nanos = f;
      for (int i = digitsEnd - 20; i < 9; i++) {
        nanos *= 10;
      }
    } else if (s.charAt(19) != 'Z') {
      return null;
    }
    long days = LocalDate.of(year, month, day).toEpochDay();
    return Instant.ofEpochSecond(days * 86_400L + hour * 3600L + minute * 60L + second, nanos);
  }

  /** The decimal number in {@code s[from, to)}, or -1 when a character is not a digit. */
  private static int digits(String s, int from, int to) {
    int v = 0;
    for (int i = from; i < to; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }

  public static Optional<Instant> optionalInstant(String type, JsonObject payload, String field) {
    if (payload.getValue(field) == null) {
      return Optional.empty();
    }
    return Optional.of(instant(type, payload, field));
  }

  /** An optional whole number; a fraction or a value outside {@code long} is a codec error. */
  public static Optional<Long> optionalLong(String type, JsonObject payload, String field) {
    Object value = payload.getValue(field);
    if (value == null) {
      return Optional.empty();
    }
    if (value instanceof Integer
        || value instanceof Long
        || value instanceof Short
        || value instanceof Byte) {
      return Optional.of(((Number) value).longValue());
    }
    throw problem(type, field, "is not a whole number");
  }

  public static JsonObject object(String type, JsonObject payload, String field) {
    Object value = payload.getValue(field);
    if (value instanceof JsonObject o) {
      return o.copy();
    }
    throw problem(type, field, value == null ? "is missing" : "is not an object");
  }

  public static List<String> strings(String type, JsonObject payload, String field) {
    Object value = payload.getValue(field);
    if (!(value instanceof JsonArray array)) {
      throw problem(type, field, value == null ? "is missing" : "is not an array");
    }
    List<String> out = new ArrayList<>(array.size());
    for (Object item : array) {
      if (!(item instanceof String s)) {
        throw problem(type, field, "holds a non-string element");
      }
      out.add(s);
    }
    return out;
  }

  /** Reads an enum by its wire name; an unknown name is a codec error, not a default. */
  public static <T> T wireEnum(
      String type, JsonObject payload, String field, Function<String, Optional<T>> byWireName) {
    String text = string(type, payload, field);
    return byWireName
        .apply(text)
        .orElseThrow(() -> problem(type, field, "has an unknown value '" + text + "'"));
  }

  public static EventCodecException problem(String type, String field, String what) {
    return new EventCodecException(type + ": field '" + field + "' " + what);
  }
}
