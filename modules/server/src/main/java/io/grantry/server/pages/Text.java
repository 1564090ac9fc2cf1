package io.grantry.server.pages;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Words a page shows, named by their key in the pages' bundles ({@code messages.properties}) with
 * the arguments of their pattern, and put into words in the page's language only when the page is
 * rendered ({@link Messages}). So a handler says what to tell the person, never in which language.
 *
 * <p>An argument is a {@code String} or a number (escaped where it is shown, as every value a
 * template shows), another {@code Text} (put into words in the same language), an {@code Instant}
 * (its time of day, {@code 14:05 UTC}), or, only for {@link Messages#html}, markup a page made
 * ({@link Messages#time}). A verbatim text ({@link #verbatim}) has no key: its one argument is
 * shown as it came, in every language (a user agent no rule recognised, a description the bundles
 * do not know).
 *
 * @param key the bundle key, or null for a verbatim text
 */
public record Text(String key, List<Object> args) {

  public Text {
    args = Collections.unmodifiableList(new ArrayList<>(args));
  }

  /** The bundle's words under {@code key}, with {@code args} put into its pattern. */
  public static Text of(String key, Object... args) {
    List<Object> given = new ArrayList<>(args.length);
    for (Object a : args) {
      given.add(a == null ? "" : a);
    }
    return new Text(key, given);
  }

  /** {@code words} as they are, in every language. */
  public static Text verbatim(String words) {
    return new Text(null, List.of(words == null ? "" : words));
  }

  public boolean isVerbatim() {
    return key == null;
  }
}
