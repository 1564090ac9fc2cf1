package io.grantry.eventstore;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * A canonical JSON encoding for hashing: object keys sorted by code point, no white space, numbers
 * in their shortest plain decimal form, strings escaped only where JSON requires.
 *
 * <p>Written here rather than taken from a library because the hash chain must not change when a
 * library changes its output: PostgreSQL's jsonb reorders keys and may print numbers differently,
 * so the bytes we hash are produced from the parsed value, the same way on append and on verify.
 */
public final class CanonicalJson {
  private CanonicalJson() {}

  public static byte[] bytes(Object value) {
    StringBuilder sb = new StringBuilder(256);
    write(sb, value);
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  public static String string(Object value) {
    StringBuilder sb = new StringBuilder(256);
    write(sb, value);
    return sb.toString();
  }

  @SuppressWarnings("unchecked")
  private static void write(StringBuilder sb, Object v) {
    if (v == null) {
      sb.append("null");
    } else if (v instanceof JsonObject o) {
      writeObject(sb, o.getMap());
    } else if (v instanceof Map<?, ?> m) {
      writeObject(sb, (Map<String, Object>) m);
    } else if (v instanceof JsonArray a) {
      writeArray(sb, a.getList());
    } else if (v instanceof List<?> l) {
      writeArray(sb, l);
    } else if (v instanceof CharSequence s) {
      writeString(sb, s.toString());
    } else if (v instanceof Boolean b) {
      sb.append(b ? "true" : "false");
    } else if (v instanceof Integer
        || v instanceof Long
        || v instanceof Short
        || v instanceof Byte
        || v instanceof BigInteger) {
      sb.append(v);
    } else if (v instanceof Number n) {
      BigDecimal d = n instanceof BigDecimal bd ? bd : new BigDecimal(n.toString());
      d = d.stripTrailingZeros();
      sb.append(d.signum() == 0 ? "0" : d.toPlainString());
    } else if (v instanceof Enum<?> e) {
      writeString(sb, e.name());
    } else {
      writeString(sb, v.toString());
    }
  }

  private static void writeObject(StringBuilder sb, Map<String, Object> m) {
    List<String> keys = new ArrayList<>(m.keySet());
    Collections.sort(keys);
    sb.append('{');
    boolean first = true;
    for (String k : keys) {
      if (!first) {
        sb.append(',');
      }
      first = false;
      writeString(sb, k);
      sb.append(':');
      write(sb, m.get(k));
    }
    sb.append('}');
  }

  private static void writeArray(StringBuilder sb, List<?> l) {
    sb.append('[');
    for (int i = 0; i < l.size(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      write(sb, l.get(i));
    }
    sb.append(']');
  }

  /** Appends a string value, escaped as {@link #bytes} escapes it. */
  static void appendText(StringBuilder sb, String s) {
    writeString(sb, s);
  }

  private static final JsonFactory FACTORY = new JsonFactory();

  /**
   * Appends the canonical encoding of a JSON text (UTF-8) straight from its tokens, without
   * building the parsed value: what {@link #bytes} gives for the value Vert.x parses from the same
   * text (strings, integers, booleans, null, arrays and objects, members sorted the same way).
   * Returns false, having appended part of it, for what it leaves to the parsed path: a number with
   * a fraction or an exponent (parsed as a double there), a repeated member name, a malformed text.
   * Used by bulk verification, where parsing every payload into a map cost most of the time.
   */
  public static boolean appendText(StringBuilder sb, byte[] utf8) {
    try (JsonParser p = FACTORY.createParser(utf8)) {
      JsonToken t = p.nextToken();
      return t != null && appendValue(sb, p, t) && p.nextToken() == null;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean appendValue(StringBuilder sb, JsonParser p, JsonToken t)
      throws IOException {
    switch (t) {
      case START_OBJECT -> {
        return appendObject(sb, p);
      }
      case START_ARRAY -> {
        sb.append('[');
        boolean first = true;
        for (t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
          if (t == null) {
            return false;
          }
          if (!first) {
            sb.append(',');
          }
          first = false;
          if (!appendValue(sb, p, t)) {
            return false;
          }
        }
        sb.append(']');
        return true;
      }
      case VALUE_STRING -> {
        writeString(sb, p.getText());
        return true;
      }
      case VALUE_NUMBER_INT -> {
        // Integer, Long or BigInteger by size, as the parsed value holds it: its decimal form.
        sb.append(p.getNumberValue());
        return true;
      }
      case VALUE_TRUE -> {
        sb.append("true");
        return true;
      }
      case VALUE_FALSE -> {
        sb.append("false");
        return true;
      }
      case VALUE_NULL -> {
        sb.append("null");
        return true;
      }
      default -> {
        return false;
      }
    }
  }

  /**
   * Members are written as they come, each span remembered, then put in key order in place (jsonb
   * gives them shortest key first, so they rarely come sorted).
   */
  private static boolean appendObject(StringBuilder sb, JsonParser p) throws IOException {
    sb.append('{');
    int objectStart = sb.length();
    List<String> keys = null;
    int[] starts = null;
    String previous = null;
    boolean sorted = true;
    int n = 0;
    for (JsonToken t = p.nextToken(); t != JsonToken.END_OBJECT; t = p.nextToken()) {
      if (t != JsonToken.FIELD_NAME) {
        return false;
      }
      String key = p.currentName();
      if (previous != null) {
        int c = key.compareTo(previous);
        if (c == 0) {
          return false;
        }
        sorted &= c > 0;
      }
      if (keys == null) {
        keys = new ArrayList<>(8);
        starts = new int[8];
      } else if (n == starts.length) {
        starts = Arrays.copyOf(starts, n * 2);
      }
      keys.add(key);
      starts[n++] = sb.length();
      writeString(sb, key);
      sb.append(':');
      if (!appendValue(sb, p, p.nextToken())) {
        return false;
      }
      sb.append(',');
      previous = key;
    }
    if (n > 0) {
      if (!sorted) {
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
          order[i] = i;
        }
        List<String> k = keys;
        Arrays.sort(order, (a, b) -> k.get(a).compareTo(k.get(b)));
        for (int i = 1; i < n; i++) {
          if (k.get(order[i - 1]).equals(k.get(order[i]))) {
            return false; // a repeated name: the parsed value keeps one of them
          }
        }
        int end = sb.length();
        char[] copy = new char[end - objectStart];
        sb.getChars(objectStart, end, copy, 0);
        sb.setLength(objectStart);
        for (int i = 0; i < n; i++) {
          int from = starts[order[i]] - objectStart;
          int to = (order[i] + 1 < n ? starts[order[i] + 1] : end) - objectStart;
          sb.append(copy, from, to - from);
        }
      }
      sb.setLength(sb.length() - 1); // the last comma
    }
    sb.append('}');
    return true;
  }

  private static void writeString(StringBuilder sb, String s) {
    sb.append('"');
    // Most strings (ids, hashes, times) need no escape: append them whole, not a char at a time
    // (hashing on replay spent most of its time here).
    int clean = 0;
    int n = s.length();
    while (clean < n) {
      char c = s.charAt(clean);
      if (c < 0x20 || c == '"' || c == '\\') {
        break;
      }
      clean++;
    }
    sb.append(s, 0, clean);
    for (int i = clean; i < n; i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
