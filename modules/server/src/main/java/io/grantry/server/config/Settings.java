package io.grantry.server.config;

import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads GRANTRY_* settings from the flat object the loader gathered (environment, then the JSON
 * file), each once, typed and bounded: a value out of range or of the wrong form stops the start
 * with one {@link ConfigException} that names the setting. Remembers which keys it read, so that
 * {@link GrantryConfig#from} can name the ones nobody reads (a typo, usually).
 */
final class Settings {
  private final JsonObject in;
  private final Set<String> read = new TreeSet<>();

  Settings(JsonObject in) {
    this.in = in;
  }

  /** The setting's text, trimmed; empty when absent or blank. */
  Optional<String> text(String key) {
    read.add(key);
    Object v = in.getValue(key);
    if (v == null) {
      return Optional.empty();
    }
    String s = String.valueOf(v).trim();
    return s.isEmpty() ? Optional.empty() : Optional.of(s);
  }

  String text(String key, String dflt) {
    return text(key).orElse(dflt);
  }

  long whole(String key, long dflt, long min, long max) {
    Optional<Long> v = optionalWhole(key, min, max);
    return v.orElse(dflt);
  }

  int integer(String key, int dflt, int min, int max) {
    return (int) whole(key, dflt, min, max);
  }

  Optional<Long> optionalWhole(String key, long min, long max) {
    Optional<String> text = text(key);
    if (text.isEmpty()) {
      return Optional.empty();
    }
    long v;
    try {
      v = Long.parseLong(text.get());
    } catch (NumberFormatException e) {
      throw new ConfigException(key + " must be a whole number, got '" + text.get() + "'");
    }
    if (v < min || v > max) {
      throw new ConfigException(key + " must be between " + min + " and " + max + ", got " + v);
    }
    return Optional.of(v);
  }

  Duration seconds(String key, long dflt, long min, long max) {
    return Duration.ofSeconds(whole(key, dflt, min, max));
  }

  Duration millis(String key, long dflt, long min, long max) {
    return Duration.ofMillis(whole(key, dflt, min, max));
  }

  /**
   * A share from 0 to 1 (a decimal number), {@code dflt} when absent; anything else stops the start
   * with "KEY must be a number from 0 ({@code none}) to 1 ({@code all}), e.g. {@code example}".
   */
  double share(String key, double dflt, String none, String all, String example) {
    Optional<String> text = text(key);
    if (text.isEmpty()) {
      return dflt;
    }
    double share;
    try {
      share = Double.parseDouble(text.get());
    } catch (NumberFormatException e) {
      share = Double.NaN;
    }
    if (!(share >= 0 && share <= 1)) {
      throw new ConfigException(
          key
              + " must be a number from 0 ("
              + none
              + ") to 1 ("
              + all
              + "), e.g. "
              + example
              + ", got '"
              + text.get()
              + "'");
    }
    return share;
  }

  /** {@code true} or {@code false} (any case). */
  boolean bool(String key, boolean dflt) {
    Optional<String> v = text(key);
    if (v.isEmpty()) {
      return dflt;
    }
    if (v.get().equalsIgnoreCase("true")) {
      return true;
    }
    if (v.get().equalsIgnoreCase("false")) {
      return false;
    }
    throw new ConfigException(key + " must be true or false, got '" + v.get() + "'");
  }

  /** One of {@code allowed} (compared without case), returned as spelled there. */
  String oneOf(String key, String dflt, Set<String> allowed) {
    Optional<String> v = text(key);
    if (v.isEmpty()) {
      return dflt;
    }
    for (String a : allowed) {
      if (a.equalsIgnoreCase(v.get())) {
        return a;
      }
    }
    throw new ConfigException(
        key
            + " must be one of "
            + String.join(", ", new TreeSet<>(allowed))
            + ", got '"
            + v.get()
            + "'");
  }

  /** The GRANTRY_* keys given that no reader asked for. */
  Set<String> unread() {
    Set<String> out = new TreeSet<>();
    for (String k : in.fieldNames()) {
      if (k.startsWith("GRANTRY_") && !read.contains(k)) {
        out.add(k);
      }
    }
    return out;
  }
}
