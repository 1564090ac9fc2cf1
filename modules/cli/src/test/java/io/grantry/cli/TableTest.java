package io.grantry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Tables that wrap long values instead of cutting them keep within 120 columns and lose nothing.
 */
class TableTest {

  @Test
  void aWrappedValueBreaksAfterSeparatorsAndKeepsEveryCharacter() {
    String stream = "grant:0f8e9a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5b";
    List<String> pieces = Table.wrapped(stream, 16);
    assertThat(pieces).allSatisfy(p -> assertThat(p.length()).isLessThanOrEqualTo(16));
    assertThat(String.join("", pieces)).isEqualTo(stream);
    assertThat(pieces.get(0)).isEqualTo("grant:0f8e9a1b-");
    // No separator near: cut at the width.
    assertThat(Table.wrapped("x".repeat(25), 10))
        .containsExactly("x".repeat(10), "x".repeat(10), "x".repeat(5));
    // A space it breaks at is the only thing left out.
    assertThat(Table.wrapped("svc-a for alice, act svc-a", 12))
        .containsExactly("svc-a for", "alice, act", "svc-a");
  }

  @Test
  void aWrappingTableFitsItsWidthAndShowsEveryValue() {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"ORDER", "RECORDED_AT", "STREAM", "TYPE", "CHANGES"});
    String changes =
        "{\"scope\":\"openid profile\",\"client_id\":\"cli-app\",\"redirect_uri\":\"https://app.example/cb\"}";
    rows.add(
        new String[] {
          "812:1043",
          "2026-12-07T13:20:05.120Z",
          "grant:0f8e9a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5b",
          "grant.authorization_code_issued.v1",
          changes
        });
    String narrow = print(rows, false);
    assertThat(narrow.lines()).allSatisfy(l -> assertThat(l.length()).isLessThanOrEqualTo(120));
    assertThat(narrow.lines().count()).isGreaterThan(2);
    // The first column and the timestamp are whole, on the event's first line.
    assertThat(narrow.lines().toList().get(1)).startsWith("812:1043  2026-12-07T13:20:05.120Z  ");
    // Every character of the changes is there, over the lines of the last column.
    List<String> lines = narrow.lines().toList();
    int at = lines.get(0).indexOf("CHANGES");
    StringBuilder joined = new StringBuilder();
    for (String l : lines.subList(1, lines.size())) {
      joined.append(l.length() > at ? l.substring(at) : "");
    }
    assertThat(joined.toString().replace(" ", "")).isEqualTo(changes.replace(" ", ""));

    String wide = print(rows, true);
    assertThat(wide.lines()).hasSize(2);
    assertThat(wide).contains(changes, "grant:0f8e9a1b-2c3d-4e5f-8a9b-0c1d2e3f4a5b");
  }

  private static String print(List<String[]> rows, boolean wide) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Table.print(new PrintStream(bytes, true, StandardCharsets.UTF_8), rows, wide, true);
    return bytes.toString(StandardCharsets.UTF_8);
  }
}
