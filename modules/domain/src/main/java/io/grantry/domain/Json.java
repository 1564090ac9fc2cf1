package io.grantry.domain;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * Strict readers for event payloads: a missing or mistyped field is an {@link
 * EventCodecException} naming the event type and the field, never a silent default.
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
    try {
      return Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw problem(type, field, "is not an ISO-8601 instant");
    }
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
    if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte) {
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
  public static <T> T wireEnum(String type, JsonObject payload, String field, Function<String, Optional<T>> byWireName) {
    String text = string(type, payload, field);
    return byWireName.apply(text).orElseThrow(() -> problem(type, field, "has an unknown value '" + text + "'"));
  }

  public static EventCodecException problem(String type, String field, String what) {
    return new EventCodecException(type + ": field '" + field + "' " + what);
  }
}
