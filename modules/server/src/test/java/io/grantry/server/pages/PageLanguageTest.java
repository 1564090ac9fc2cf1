package io.grantry.server.pages;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Choosing the pages' language from what a request says: {@code ui_locales} in order, {@code
 * Accept-Language} by its q-values, and both read as hostile (path-like tags, 10,000 entries,
 * garbage q-values).
 */
class PageLanguageTest {

  static Optional<String> ui(String uiLocales) {
    return PageLanguage.fromUiLocales(uiLocales).map(Messages::lang);
  }

  static Optional<String> accept(String header) {
    return PageLanguage.fromAcceptLanguage(header).map(Messages::lang);
  }

  @Test
  void theFirstSpokenLanguageOfUiLocalesWins() {
    assertThat(ui("de")).hasValue("de");
    assertThat(ui("fr-CA de-CH en")).hasValue("de");
    assertThat(ui("en de")).hasValue("en");
    assertThat(ui("DE-at")).hasValue("de");
    assertThat(ui("fr ja")).isEmpty();
    assertThat(ui("")).isEmpty();
    assertThat(ui(null)).isEmpty();
  }

  @Test
  void uiLocalesThatAreNotTagsAreSkipped() {
    assertThat(ui("../../etc")).isEmpty();
    assertThat(ui("../../etc/passwd de")).hasValue("de");
    assertThat(ui("de/../../x")).isEmpty();
    assertThat(ui("de_DE")).isEmpty();
    assertThat(ui("de--CH")).isEmpty();
    assertThat(ui("-de")).isEmpty();
    assertThat(ui("de-")).isEmpty();
    assertThat(ui("1de")).isEmpty();
    assertThat(ui("de-" + "x".repeat(40))).isEmpty();
    assertThat(ui("deutschland")).isEmpty();
    assertThat(ui("de%00")).isEmpty();
    assertThat(ui("de\u0000")).isEmpty();
    assertThat(ui("  de")).hasValue("de");
  }

  /** 10,000 entries: only the first {@link PageLanguage#MAX_TAGS} are looked at. */
  @Test
  void aListOfTenThousandEntriesIsLookedAtOnlyToItsTwentieth() {
    assertThat(ui("de ".repeat(10_000))).hasValue("de");
    assertThat(ui("xx ".repeat(PageLanguage.MAX_TAGS - 1) + "de")).hasValue("de");
    assertThat(ui("xx ".repeat(PageLanguage.MAX_TAGS) + "de")).isEmpty();
    assertThat(ui("xx ".repeat(10_000) + "de")).isEmpty();
    assertThat(ui("../../etc ".repeat(10_000))).isEmpty();
  }

  @Test
  void acceptLanguageIsReadByItsQValues() {
    assertThat(accept("de")).hasValue("de");
    assertThat(accept("de-DE,de;q=0.9,en-US;q=0.8,en;q=0.7")).hasValue("de");
    assertThat(accept("en-US,en;q=0.9,de;q=0.8")).hasValue("en");
    assertThat(accept("fr;q=0.9, de;q=0.8, en;q=0.7")).hasValue("de");
    assertThat(accept("en;q=0.5, de")).hasValue("de");
    assertThat(accept("en;q=0.5,de;q=0.500")).hasValue("en");
    assertThat(accept("de;Q=1.000")).hasValue("de");
    assertThat(accept("fr, *;q=0.1")).hasValue("en");
    assertThat(accept("fr, ja")).isEmpty();
  }

  @Test
  void aRangeWithQZeroIsRefusedNotChosen() {
    assertThat(accept("de;q=0")).isEmpty();
    assertThat(accept("de;q=0.000, en;q=0.1")).hasValue("en");
  }

  @Test
  void garbageIsSkippedNeverThrown() {
    assertThat(accept("de;q=abc, en;q=0.2")).hasValue("en");
    assertThat(accept("de;q=1.5, en;q=0.2")).hasValue("en");
    assertThat(accept("de;q=0.1234, en;q=0.2")).hasValue("en");
    assertThat(accept("de;q=-1, en;q=0.2")).hasValue("en");
    assertThat(accept("de;q=, en;q=0.2")).hasValue("en");
    assertThat(accept("de;q=0.5;q=x")).isEmpty();
    assertThat(accept("%%%,;;;=,q=,;q=1,../../etc;q=1")).isEmpty();
    assertThat(accept(",,,,")).isEmpty();
    assertThat(accept(";")).isEmpty();
    assertThat(accept("")).isEmpty();
    assertThat(accept(null)).isEmpty();
    assertThat(accept("\u00e4\u00f6\u00fc, de")).hasValue("de");
    assertThat(accept("x".repeat(16_000))).isEmpty();
    assertThat(accept(",".repeat(16_000) + "de")).isEmpty();
    assertThat(accept("fr;q=0.9,".repeat(2_000) + "de")).isEmpty();
  }

  @Test
  void qValuesAreRfc9110s() {
    assertThat(PageLanguage.qValue("1")).isEqualTo(1000);
    assertThat(PageLanguage.qValue("1.")).isEqualTo(1000);
    assertThat(PageLanguage.qValue("1.000")).isEqualTo(1000);
    assertThat(PageLanguage.qValue("0.8")).isEqualTo(800);
    assertThat(PageLanguage.qValue("0.125")).isEqualTo(125);
    assertThat(PageLanguage.qValue("0")).isEqualTo(0);
    assertThat(PageLanguage.qValue("1.001")).isEqualTo(-1);
    assertThat(PageLanguage.qValue("2")).isEqualTo(-1);
    assertThat(PageLanguage.qValue("0.1234")).isEqualTo(-1);
    assertThat(PageLanguage.qValue(".5")).isEqualTo(-1);
    assertThat(PageLanguage.qValue("0,5")).isEqualTo(-1);
  }

  @Test
  void discoveryListsWhatThePagesSpeak() {
    assertThat(PageLanguage.supported()).containsExactly("en", "de");
  }
}
