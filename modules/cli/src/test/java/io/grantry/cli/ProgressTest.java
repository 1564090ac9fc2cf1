package io.grantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The progress line's arithmetic and layout, on a clock the test moves. */
class ProgressTest {
  private static final long SECOND = 1_000_000_000L;

  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
  private long now = 1_000 * SECOND;

  private String written() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  @Test
  void rateIsEventsOverElapsedTimeAndEtaIsWhatIsLeftAtThatRate() {
    Progress p = new Progress("verified", 10_000, out, false, () -> now, 5 * SECOND);
    now += 4 * SECOND;
    p.add(1_000);
    assertThat(p.rate(now)).isEqualTo(250.0);
    assertThat(p.etaSeconds(now)).isEqualTo(36.0);
    assertThat(p.plainLine(now))
        .isEqualTo("verified 1,000 of 10,000 events (10%), 250 events/s, ETA 0:36");
  }

  @Test
  void etaIsUnknownWithoutATotalOrBeforeAnythingIsDone() {
    Progress unknownTotal = new Progress("exported", 0, out, false, () -> now, 5 * SECOND);
    Progress nothingYet = new Progress("exported", 100, out, false, () -> now, 5 * SECOND);
    now += 2 * SECOND;
    unknownTotal.add(50);
    assertThat(unknownTotal.etaSeconds(now)).isNegative();
    assertThat(unknownTotal.plainLine(now)).isEqualTo("exported 50 events, 25 events/s");
    assertThat(nothingYet.terminalLine(now)).endsWith("0.0 events/s  ETA --:--");
  }

  @Test
  void etaFormatsAsMinutesAndSecondsThenHoursRoundedUp() {
    assertThat(Progress.formatEta(0)).isEqualTo("0:00");
    assertThat(Progress.formatEta(0.2)).isEqualTo("0:01");
    assertThat(Progress.formatEta(59)).isEqualTo("0:59");
    assertThat(Progress.formatEta(61)).isEqualTo("1:01");
    assertThat(Progress.formatEta(3599)).isEqualTo("59:59");
    assertThat(Progress.formatEta(3600)).isEqualTo("1:00:00");
    assertThat(Progress.formatEta(36_000 + 62)).isEqualTo("10:01:02");
    assertThat(Progress.formatEta(-1)).isEqualTo("--:--");
    assertThat(Progress.formatEta(Double.POSITIVE_INFINITY)).isEqualTo("--:--");
  }

  @Test
  void rateHasGroupingAndADecimalOnlyWhenSmall() {
    assertThat(Progress.formatRate(123_456.7)).isEqualTo("123,457");
    assertThat(Progress.formatRate(10)).isEqualTo("10");
    assertThat(Progress.formatRate(9.94)).isEqualTo("9.9");
    assertThat(Progress.formatRate(0)).isEqualTo("0.0");
  }

  @Test
  void theTerminalLineIsABarWithCountRateAndEta() {
    Progress p =
        new Progress("rebuilt", 2_000_000, out, true, () -> now, Progress.TERMINAL_EVERY_NANOS);
    now += 10 * SECOND;
    p.add(500_000);
    assertThat(p.terminalLine(now))
        .isEqualTo(
            "rebuilt [######------------------]  25%  500,000/2,000,000 events  50,000 events/s  ETA 0:30");
    p.add(1_500_000);
    assertThat(p.terminalLine(now))
        .startsWith("rebuilt [########################] 100%  2,000,000/2,000,000 events")
        .endsWith("ETA 0:00");
  }

  @Test
  void onATerminalTheLineIsRedrawnInPlaceAndTheSummaryEndsIt() {
    Progress p = new Progress("verified", 100, out, true, () -> now, Progress.TERMINAL_EVERY_NANOS);
    p.add(10); // too soon: nothing drawn
    assertThat(written()).isEmpty();
    now += SECOND;
    p.add(10);
    now += SECOND;
    p.add(80);
    p.done();
    String[] draws = written().split("\r", -1);
    assertThat(draws[0]).isEmpty();
    assertThat(draws).hasSize(4);
    assertThat(draws[1]).contains("20/100 events").doesNotContain("\n");
    assertThat(draws[2]).contains("100/100 events");
    // The summary is shorter than the bar line it replaces: padded over it, then a newline.
    assertThat(draws[3]).startsWith("verified 100 events in 2.0 s (50 events/s)").endsWith(" \n");
    assertThat(draws[3].length()).isEqualTo(draws[2].length() + 1);
  }

  @Test
  void offATerminalThereArePlainLinesAtTheIntervalAndASummaryOnlyAfterALongRun() {
    Progress quick = new Progress("exported", 0, out, false, () -> now, 5 * SECOND);
    quick.add(5);
    now += SECOND;
    quick.done();
    assertThat(written()).isEmpty();

    Progress slow = new Progress("exported", 0, out, false, () -> now, 5 * SECOND);
    for (int i = 0; i < 12; i++) {
      now += SECOND;
      slow.add(1_000);
    }
    slow.done();
    assertThat(written())
        .doesNotContain("\r")
        .isEqualTo(
            """
        exported 5,000 events, 1,000 events/s
        exported 10,000 events, 1,000 events/s
        exported 12,000 events in 12.0 s (1,000 events/s)
        """);
  }

  @Test
  void aDumbTerminalIsNoTerminal() {
    var saved = CliSupport.env;
    try {
      CliSupport.env = Map.of("TERM", "dumb");
      assertThat(Progress.onTerminal()).isFalse();
    } finally {
      CliSupport.env = saved;
    }
  }
}
