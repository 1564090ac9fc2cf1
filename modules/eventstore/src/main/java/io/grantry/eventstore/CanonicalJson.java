package io.grantry.eventstore;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
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
 * Bulk verification writes the same bytes straight from the JSON text with {@link CanonicalBytes}.
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
  static void writeString(StringBuilder sb, String s) {
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
