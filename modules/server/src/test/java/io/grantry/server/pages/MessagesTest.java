package io.grantry.server.pages;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.MessageFormat;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The two bundles say the same things: exactly the same keys, no empty value, patterns that parse
 * and take the same arguments in both languages; every key the templates and the code name exists;
 * German is read as UTF-8; and an argument with markup is escaped in German as in English.
 */
class MessagesTest {
  static final String DIR = "/io/grantry/server/pages/";

  /** Keys named in templates ({@code t.text("…")}, {@code t.html("…")}) and code. */
  static final Pattern TEMPLATE_KEY = Pattern.compile("t\\.(?:text|html)\\(\"([^\"]+)\"");

  static final Pattern CODE_KEY = Pattern.compile("Text\\.of\\(\\s*\"([^\"]+)\"");
  static final Pattern PLACEHOLDER = Pattern.compile("\\{(\\d+)");

  static Properties bundle(String file) throws IOException {
    Properties p = new Properties();
    try (InputStream in = MessagesTest.class.getResourceAsStream(DIR + file)) {
      assertThat(in).as(file).isNotNull();
      p.load(new InputStreamReader(in, StandardCharsets.UTF_8));
    }
    return p;
  }

  @Test
  void bothBundlesHaveExactlyTheSameKeysAndNoEmptyValue() throws IOException {
    Properties en = bundle("messages.properties");
    Properties de = bundle("messages_de.properties");
    assertThat(en.stringPropertyNames()).hasSizeGreaterThan(100);
    assertThat(new TreeSet<>(de.stringPropertyNames()))
        .isEqualTo(new TreeSet<>(en.stringPropertyNames()));
    for (Properties p : List.of(en, de)) {
      for (String key : p.stringPropertyNames()) {
        assertThat(p.getProperty(key)).as(key).isNotBlank();
      }
    }
  }

  /**
   * A translation is not a copy: only names, codes and patterns may read the same in both (a
   * placeholder left in English would pass the key check).
   */
  @Test
  void theGermanBundleIsATranslation() throws IOException {
    Properties en = bundle("messages.properties");
    Properties de = bundle("messages_de.properties");
    Set<String> same = new TreeSet<>();
    for (String key : en.stringPropertyNames()) {
      if (en.getProperty(key).equals(de.getProperty(key))) {
        same.add(key);
      }
    }
    assertThat(same)
        .containsExactlyInAnyOrder(
            "page.title", "format.timeOfDay", "dev.state", "dev.responseError");
  }

  @Test
  void everyPatternParsesAndTakesTheSameArgumentsInBothLanguages() throws IOException {
    Properties en = bundle("messages.properties");
    Properties de = bundle("messages_de.properties");
    for (String key : en.stringPropertyNames()) {
      if (key.startsWith("format.")) {
        continue;
      }
      for (Properties p : List.of(en, de)) {
        String v = p.getProperty(key);
        new MessageFormat(v); // throws on a broken pattern
        // A lone quote starts a quoted part in MessageFormat and vanishes: write it twice.
        assertThat(v.replace("''", "")).as(key).doesNotContain("'");
      }
      assertThat(placeholders(de.getProperty(key)))
          .as(key)
          .isEqualTo(placeholders(en.getProperty(key)));
    }
  }

  @Test
  void everyKeyTheTemplatesAndTheCodeNameExistsInBothLanguages() throws IOException {
    Set<String> used = new TreeSet<>();
    for (Path f : files(Path.of("src/main/jte"), ".jte")) {
      collect(TEMPLATE_KEY, Files.readString(f), used);
    }
    int fromTemplates = used.size();
    for (Path f : files(Path.of("src/main/java"), ".java")) {
      collect(CODE_KEY, Files.readString(f), used);
    }
    assertThat(fromTemplates).as("keys named in the templates").isGreaterThan(60);
    assertThat(used.size() - fromTemplates).as("keys named only in code").isGreaterThan(20);
    List<String> missing = new ArrayList<>();
    for (String key : used) {
      for (Messages m : Messages.ALL) {
        if (!m.has(key)) {
          missing.add(m.lang() + ": " + key);
        }
      }
    }
    assertThat(missing).isEmpty();
  }

  @Test
  void germanIsReadAsUtf8() {
    assertThat(Messages.GERMAN.text("consent.about")).isEqualTo("Über diese App");
    assertThat(Messages.GERMAN.text("scope.other.title", "api")).isEqualTo("„api“ verwenden");
    assertThat(Messages.GERMAN.dateTime(Instant.parse("2025-03-03T14:05:00Z")))
        .isEqualTo("3. März 2025, 14:05 UTC");
    assertThat(Messages.ENGLISH.dateTime(Instant.parse("2025-03-03T14:05:00Z")))
        .isEqualTo("3 March 2025, 14:05 UTC");
  }

  @Test
  void quotesSurviveTheFormat() {
    assertThat(Messages.ENGLISH.text("logout.explain", "ann"))
        .isEqualTo(
            "Signed in as <strong>ann</strong>. Signing out ends this browser's session on every"
                + " application that uses it.");
  }

  /**
   * An argument with markup is escaped in German exactly as in English, in a pattern with markup of
   * its own ({@code <strong>{0}</strong>}), in plain text and in an attribute.
   */
  @Test
  void anArgumentWithMarkupIsEscapedInGerman() {
    String hostile = "<img src=x onerror=alert(1)> & \"Co\"";
    String page =
        Pages.render(
            "consent.jte",
            new ConsentPage(
                hostile,
                null,
                null,
                hostile,
                ScopeTexts.inReadingOrder(io.grantry.domain.oauth.Scopes.parse("openid <b>x</b>")),
                "csrf-token",
                "sealed"),
            Messages.GERMAN,
            Look.DEFAULT);
    assertThat(page).contains("<html lang=\"de\">");
    assertThat(page).doesNotContain("<img src=x").doesNotContain("<b>x</b>");
    // In element text jte escapes <, > and &, as it always has; quotes only in attributes.
    assertThat(page)
        .contains(
            "Angemeldet als <strong>&lt;img src=x onerror=alert(1)&gt; &amp; \"Co\"</strong>.")
        .contains("<h1>&lt;img src=x onerror=alert(1)&gt; &amp; \"Co\" möchte Zugriff</h1>")
        .contains("Nicht &lt;img src=x onerror=alert(1)&gt; &amp; \"Co\"? Konto wechseln")
        .contains("„&lt;b&gt;x&lt;/b&gt;“ verwenden")
        .contains("Sie anmelden");
    assertThat(page).contains("<title>Zugriff erlauben · Grantry</title>");
    assertThat(page).contains("Geschützt durch Grantry");
  }

  @Test
  void anAttributeAndAnErrorWithMarkupAreEscapedInGerman() {
    String page =
        Pages.render(
            "login.jte",
            new LoginPage(
                "<i>App</i>",
                null,
                "\"><script>alert(1)</script>",
                Text.verbatim("<b>not bold</b>"),
                "csrf-token",
                "sealed"),
            Messages.GERMAN,
            Look.DEFAULT);
    assertThat(page)
        .contains("weiter zu <strong>&lt;i&gt;App&lt;/i&gt;</strong>")
        .contains("value=\"&#34;>&lt;script>alert(1)&lt;/script>\"")
        .contains("&lt;b&gt;not bold&lt;/b&gt;")
        .doesNotContain("<script>")
        .doesNotContain("<i>App");
  }

  @Test
  void theDomainsErrorWordsAreTranslatedAndUnknownOnesShownAsTheyCame() {
    Text unknownClient =
        Messages.described("The application that sent you here is not known to this server.");
    assertThat(Messages.GERMAN.text(unknownClient))
        .isEqualTo(
            "Die Anwendung, die Sie hierher geschickt hat, ist diesem Server nicht bekannt.");
    assertThat(Messages.ENGLISH.text(unknownClient))
        .isEqualTo("The application that sent you here is not known to this server.");
    Text other = Messages.described("max_age must be a number of seconds <b>");
    assertThat(Messages.GERMAN.text(other)).isEqualTo("max_age must be a number of seconds <b>");
  }

  private static Set<String> placeholders(String pattern) {
    Set<String> out = new TreeSet<>();
    Matcher m = PLACEHOLDER.matcher(pattern);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  private static void collect(Pattern p, String text, Set<String> into) {
    Matcher m = p.matcher(text);
    while (m.find()) {
      into.add(m.group(1));
    }
  }

  private static List<Path> files(Path root, String suffix) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      return s.filter(f -> f.toString().endsWith(suffix)).toList();
    }
  }
}
