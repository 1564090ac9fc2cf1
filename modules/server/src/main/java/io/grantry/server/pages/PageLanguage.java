package io.grantry.server.pages;

import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The language of a page: the first language of the request's {@code ui_locales} the pages speak
 * (OIDC Core §3.1.2.1: a space-separated list of BCP 47 tags in order of preference), else the
 * browser's {@code Accept-Language} in the order of its q-values (RFC 9110 §12.5.4), else English.
 * A tag counts by its primary language ({@code de-CH} is German).
 *
 * <p>Both come from the request, so both are read as hostile: only the first {@link #MAX_TAGS}
 * entries are looked at (a {@code ui_locales} of 10,000 entries costs what 20 do), a tag that is
 * not of BCP 47's shape ({@code ../../etc}) or a q-value that is not RFC 9110's is skipped, and a
 * tag only ever selects one of {@link Messages#ALL}: it names no file.
 *
 * <p>The authorization flow's steps call {@link #prefer} with the request's {@code ui_locales} (the
 * first step's parameters, then the pending request the forms carry), so the consent page and an
 * error page after sign-in speak the language the application asked for.
 */
public final class PageLanguage {
  /** Entries of a {@code ui_locales} or an {@code Accept-Language} looked at, the rest ignored. */
  static final int MAX_TAGS = 20;

  /** The longest tag looked at: BCP 47's longest well-formed tags of practical use are 35. */
  static final int MAX_TAG_LENGTH = 35;

  private static final String CHOSEN = "grantry.pageLanguage";

  private PageLanguage() {}

  /** The languages {@code ui_locales} may ask for, as discovery lists them. */
  public static List<String> supported() {
    return Messages.ALL.stream().map(Messages::lang).toList();
  }

  /**
   * Remembers the language {@code uiLocales} (a request's {@code ui_locales}, or null) asks for,
   * when the pages speak one of its languages, for every page this request renders.
   */
  public static void prefer(RoutingContext ctx, String uiLocales) {
    fromUiLocales(uiLocales).ifPresent(m -> ctx.put(CHOSEN, m));
  }

  /** The language of the page this request renders. */
  public static Messages of(RoutingContext ctx) {
    Messages chosen = ctx.get(CHOSEN);
    if (chosen != null) {
      return chosen;
    }
    return fromAcceptLanguage(ctx.request().getHeader("Accept-Language")).orElse(Messages.ENGLISH);
  }

  /** The first language of {@code uiLocales} the pages speak. */
  static Optional<Messages> fromUiLocales(String uiLocales) {
    if (uiLocales == null) {
      return Optional.empty();
    }
    String[] tags = uiLocales.split(" ", MAX_TAGS + 1);
    for (int i = 0; i < Math.min(tags.length, MAX_TAGS); i++) {
      Optional<Messages> m = spoken(tags[i]);
      if (m.isPresent()) {
        return m;
      }
    }
    return Optional.empty();
  }

  /**
   * The language of {@code header} with the highest q-value the pages speak (the earlier one among
   * equals); {@code *} stands for English; a range with {@code q=0} is one the browser refuses.
   */
  static Optional<Messages> fromAcceptLanguage(String header) {
    if (header == null) {
      return Optional.empty();
    }
    record Range(String tag, int q, int position) {}
    List<Range> ranges = new ArrayList<>();
    String[] parts = header.split(",", MAX_TAGS + 1);
    for (int i = 0; i < Math.min(parts.length, MAX_TAGS); i++) {
      String[] fields = parts[i].split(";", -1);
      String tag = fields[0].strip();
      int q = 1000;
      for (int f = 1; f < fields.length; f++) {
        String param = fields[f].strip();
        if (param.startsWith("q=") || param.startsWith("Q=")) {
          q = qValue(param.substring(2));
        }
      }
      if (q > 0) {
        ranges.add(new Range(tag, q, i));
      }
    }
    ranges.sort(Comparator.comparingInt((Range r) -> -r.q()).thenComparingInt(Range::position));
    for (Range r : ranges) {
      Optional<Messages> m = "*".equals(r.tag()) ? Optional.of(Messages.ENGLISH) : spoken(r.tag());
      if (m.isPresent()) {
        return m;
      }
    }
    return Optional.empty();
  }

  /**
   * RFC 9110 §12.4.2: {@code 0}, {@code 0.} and up to three digits, or {@code 1}, {@code 1.} and up
   * to three zeros; in thousandths, or -1 when it is not a q-value.
   */
  static int qValue(String s) {
    if (s.isEmpty() || s.length() > 5 || (s.charAt(0) != '0' && s.charAt(0) != '1')) {
      return -1;
    }
    if (s.length() > 1 && s.charAt(1) != '.') {
      return -1;
    }
    int value = (s.charAt(0) - '0') * 1000;
    int scale = 100;
    for (int i = 2; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value += (c - '0') * scale;
      scale /= 10;
    }
    return value > 1000 ? -1 : value;
  }

  /** The pages' language for {@code tag}, if it is a well-formed tag of a language they speak. */
  static Optional<Messages> spoken(String tag) {
    if (!wellFormed(tag)) {
      return Optional.empty();
    }
    int dash = tag.indexOf('-');
    String primary = (dash < 0 ? tag : tag.substring(0, dash)).toLowerCase(Locale.ROOT);
    return Messages.forLang(primary);
  }

  /**
   * BCP 47's shape, loosely: subtags of 1 to 8 letters and digits separated by single dashes, the
   * first of letters only; at most {@link #MAX_TAG_LENGTH} characters.
   */
  static boolean wellFormed(String tag) {
    if (tag.isEmpty() || tag.length() > MAX_TAG_LENGTH) {
      return false;
    }
    int subtag = 0;
    boolean first = true;
    for (int i = 0; i < tag.length(); i++) {
      char c = tag.charAt(i);
      if (c == '-') {
        if (subtag == 0) {
          return false;
        }
        subtag = 0;
        first = false;
      } else if ((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (!first && c >= '0' && c <= '9')) {
        if (++subtag > 8) {
          return false;
        }
      } else {
        return false;
      }
    }
    return subtag > 0;
  }
}
