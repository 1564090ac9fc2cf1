package io.grantry.server.pages;

import gg.jte.Content;
import gg.jte.TemplateOutput;
import java.text.AttributedCharacterIterator;
import java.text.MessageFormat;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.ResourceBundle;

/**
 * The pages' words in one language: the resource bundle {@code io/grantry/server/pages/messages}
 * (English, the root bundle) or {@code messages_de} (German), UTF-8 properties whose values are
 * {@link MessageFormat} patterns, so a sentence keeps its arguments where its language puts them.
 * Templates get it as {@code t}: {@link #text} for plain text (a title, an attribute), {@link
 * #html} where the pattern holds markup of its own ({@code <strong>{0}</strong>}).
 *
 * <p>Escaping stays the template engine's: {@link #html} writes the pattern's own text as markup
 * (the bundles are part of the server) and every argument through jte's escaping for the place it
 * is written, exactly as {@code ${value}} would; {@link #text} returns a string the template
 * escapes as a whole.
 *
 * <p>Bundles are looked up only by the languages of {@link #ALL}, never by a name from a request.
 */
public final class Messages {
  private static final String BUNDLE = "io.grantry.server.pages.messages";

  public static final Messages ENGLISH = new Messages(Locale.ENGLISH);
  public static final Messages GERMAN = new Messages(Locale.GERMAN);

  /** Every language the pages speak, English (the default) first. */
  public static final List<Messages> ALL = List.of(ENGLISH, GERMAN);

  /**
   * The keys of the domain's error descriptions a page may show ({@code described.*}), by their
   * English words: {@link #described}.
   */
  private static final Map<String, String> DESCRIBED = described(ENGLISH);

  private final Locale locale;
  private final ResourceBundle bundle;
  private final DateTimeFormatter dateTime;
  private final DateTimeFormatter timeOfDay;

  private Messages(Locale locale) {
    this.locale = locale;
    // No fallback to the JVM's default locale: English is the root bundle, whatever the machine's.
    this.bundle =
        ResourceBundle.getBundle(
            BUNDLE,
            locale,
            Messages.class.getClassLoader(),
            ResourceBundle.Control.getNoFallbackControl(ResourceBundle.Control.FORMAT_PROPERTIES));
    this.dateTime =
        DateTimeFormatter.ofPattern(bundle.getString("format.dateTime"), locale)
            .withZone(ZoneOffset.UTC);
    this.timeOfDay =
        DateTimeFormatter.ofPattern(bundle.getString("format.timeOfDay"), locale)
            .withZone(ZoneOffset.UTC);
  }

  public Locale locale() {
    return locale;
  }

  /**
   * The language as {@code <html lang>} and {@code ui_locales} name it ({@code en}, {@code de}).
   */
  public String lang() {
    return locale.toLanguageTag();
  }

  /** The words of {@code key} with {@code args}, as plain text. */
  public String text(String key, Object... args) {
    return text(Text.of(key, args));
  }

  public String text(Text t) {
    if (t.isVerbatim()) {
      return String.valueOf(t.args().get(0));
    }
    return format(t).format(plain(t.args()));
  }

  /**
   * The words of {@code key} with {@code args}, the pattern's markup kept, the arguments escaped.
   */
  public Content html(String key, Object... args) {
    return html(Text.of(key, args));
  }

  public Content html(Text t) {
    if (t.isVerbatim()) {
      String words = String.valueOf(t.args().get(0));
      return out -> out.writeUserContent(words);
    }
    MessageFormat pattern = format(t);
    Object[] args = plain(t.args());
    return out -> write(out, pattern.formatToCharacterIterator(args), args);
  }

  /**
   * {@code at} for people in this language, in a {@code <time>} element that gives it in ISO 8601
   * too: an argument of {@link #html} ({@code Allowed {0}}).
   */
  public Content time(Instant at) {
    String iso = at.toString();
    String shown = dateTime(at);
    return out -> {
      out.writeContent("<time datetime=\"");
      out.writeUserContent(iso);
      out.writeContent("\">");
      out.writeUserContent(shown);
      out.writeContent("</time>");
    };
  }

  /** An instant for people, in this language ("3 March 2025, 14:05 UTC"). */
  public String dateTime(Instant at) {
    return dateTime.format(at);
  }

  /**
   * The words for a description of the domain's (an {@code OAuthError}'s, a sign-out's): the
   * bundle's when it knows these English words ({@code described.*}), else the words as they came.
   */
  public static Text described(String description) {
    String key = description == null ? null : DESCRIBED.get(description);
    return key == null ? Text.verbatim(description) : Text.of(key);
  }

  /** Whether the bundle has {@code key} (the tests' check of the templates' keys). */
  boolean has(String key) {
    return bundle.containsKey(key);
  }

  private MessageFormat format(Text t) {
    return new MessageFormat(bundle.getString(t.key()), locale);
  }

  /**
   * Arguments as MessageFormat takes them: a nested text in words of this language, an instant as
   * its time of day.
   */
  private Object[] plain(List<Object> args) {
    Object[] out = new Object[args.size()];
    for (int i = 0; i < out.length; i++) {
      Object a = args.get(i);
      if (a instanceof Text nested) {
        out[i] = text(nested);
      } else if (a instanceof Instant at) {
        out[i] = timeOfDay.format(at);
      } else {
        out[i] = a;
      }
    }
    return out;
  }

  /**
   * The pattern's own runs as markup; each argument's run escaped by the template output, or, for
   * an argument that is markup of a page's own ({@link #time}), written as it is.
   */
  private static void write(
      TemplateOutput out, AttributedCharacterIterator formatted, Object[] args) {
    StringBuilder run = new StringBuilder();
    for (char c = formatted.first(); c != AttributedCharacterIterator.DONE; ) {
      Object argument = formatted.getAttribute(MessageFormat.Field.ARGUMENT);
      int limit = formatted.getRunLimit(MessageFormat.Field.ARGUMENT);
      run.setLength(0);
      while (formatted.getIndex() < limit) {
        run.append(c);
        c = formatted.next();
      }
      if (argument == null) {
        out.writeContent(run.toString());
      } else if (args[(Integer) argument] instanceof Content markup) {
        markup.writeTo(out);
      } else {
        out.writeUserContent(run.toString());
      }
    }
  }

  private static Map<String, String> described(Messages english) {
    Map<String, String> keys = new HashMap<>();
    for (String key : english.bundle.keySet()) {
      if (key.startsWith("described.")) {
        keys.put(english.text(key), key);
      }
    }
    return Map.copyOf(keys);
  }

  /** The language named {@code lang} ({@link #lang}), if the pages speak it. */
  public static Optional<Messages> forLang(String lang) {
    for (Messages m : ALL) {
      if (m.lang().equals(lang)) {
        return Optional.of(m);
      }
    }
    return Optional.empty();
  }
}
