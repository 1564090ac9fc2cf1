package io.grantry.eventstore;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Properties of {@link CanonicalBytes} against the reference, {@link CanonicalJson#bytes} of the
 * value Vert.x parses: random JSON texts written with every freedom JSON gives (escaped or raw
 * characters, white space, member order), names and values with escapes, control characters,
 * non-ASCII and supplementary characters (whose UTF-16 order differs from their code points'), big
 * and negative integers, deep nesting; texts that must go to the parsed path (fractions, repeated
 * names) are refused; and mutated texts are either refused or encoded as the reference encodes
 * them. Fixed seeds, so a failure repeats.
 */
class CanonicalBytesPropertyTest {
  /**
   * Characters chosen for their edges: escapes, controls, DEL, the ends of UTF-8's 2- and 3-byte
   * forms, a private-use character above the surrogates (U+E000: after them in UTF-16 order, before
   * U+1F600 in code-point order), U+FFFF, and supplementary characters.
   */
  private static final String[] CHARS = {
    "a",
    "b",
    "z",
    "A",
    "Z",
    "0",
    "9",
    "_",
    "-",
    " ",
    ":",
    ",",
    "{",
    "[",
    "\"",
    "\\",
    "/",
    "\n",
    "\t",
    "\r",
    "\b",
    "\f",
    "\u0001",
    "\u001f",
    "\u007f",
    "\u0080",
    "é",
    "\u07ff",
    "\u0800",
    "中",
    "\ue000",
    "\ufffd",
    "\uffff",
    "😀",
    "\ud800\udc00",
    "\udbff\udfff",
    "𝄞"
  };

  private static final String[] WHITE = {"", "", "", " ", "  ", "\n", "\t", "\r\n"};

  /** A random text and what it must give: a refusal, or the parsed value's encoding. */
  private static final class Gen {
    final Random random;
    final StringBuilder text = new StringBuilder();
    boolean refused; // a fraction or a repeated name: left to the parsed path

    Gen(long seed) {
      random = new Random(seed);
    }

    void white() {
      text.append(WHITE[random.nextInt(WHITE.length)]);
    }

    String randomString(int max) {
      StringBuilder s = new StringBuilder();
      int n = random.nextInt(max + 1);
      for (int i = 0; i < n; i++) {
        s.append(
            random.nextInt(3) == 0
                ? CHARS[random.nextInt(CHARS.length)]
                : String.valueOf((char) ('a' + random.nextInt(26))));
      }
      return s.toString();
    }

    /** A string literal of {@code s}, each character written raw or escaped at random. */
    void literal(String s) {
      text.append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        int how = random.nextInt(4);
        switch (c) {
          case '"' -> text.append(how == 0 ? "\\u0022" : "\\\"");
          case '\\' -> text.append(how == 0 ? "\\u005C" : "\\\\");
          case '/' -> text.append(how == 0 ? "\\/" : "/");
          case '\n' -> text.append(how == 0 ? "\\u000a" : "\\n");
          case '\t' -> text.append(how == 0 ? "\\u0009" : "\\t");
          case '\r' -> text.append(how == 0 ? "\\u000D" : "\\r");
          case '\b' -> text.append(how == 0 ? "\\u0008" : "\\b");
          case '\f' -> text.append(how == 0 ? "\\u000c" : "\\f");
          default -> {
            if (Character.isHighSurrogate(c)) {
              // a pair: both halves escaped, or the character raw (its 4-byte UTF-8 form)
              char low = s.charAt(++i);
              text.append(
                  how == 0
                      ? String.format("\\u%04x\\u%04X", (int) c, (int) low)
                      : new String(new char[] {c, low}));
            } else if (c < 0x20 || how == 0) {
              String hex = String.format("%04x", (int) c);
              text.append("\\u").append(random.nextBoolean() ? hex : hex.toUpperCase());
            } else {
              text.append(c);
            }
          }
        }
      }
      text.append('"');
    }

    void integer() {
      switch (random.nextInt(8)) {
        case 0 -> text.append(random.nextInt(10));
        case 1 -> text.append(-random.nextInt(1000));
        case 2 -> text.append(random.nextBoolean() ? "-0" : "0");
        case 3 -> text.append(random.nextBoolean() ? Long.MAX_VALUE : Long.MIN_VALUE);
        case 4 -> text.append(random.nextBoolean() ? Integer.MAX_VALUE + 1L : Integer.MIN_VALUE);
        case 5 -> {
          // a big integer: 19 to 120 digits, either sign
          if (random.nextBoolean()) {
            text.append('-');
          }
          text.append(1 + random.nextInt(9));
          int n = 18 + random.nextInt(102);
          for (int i = 0; i < n; i++) {
            text.append(random.nextInt(10));
          }
        }
        default -> text.append(random.nextLong());
      }
    }

    void value(int depth) {
      int kind = random.nextInt(depth > 6 ? 6 : 9);
      switch (kind) {
        case 0 -> text.append("true");
        case 1 -> text.append("false");
        case 2 -> text.append("null");
        case 3, 4 -> literal(randomString(12));
        case 5 -> {
          if (random.nextInt(40) == 0) {
            // a fraction or an exponent: a double in the parsed value
            text.append(random.nextBoolean() ? "1.5" : random.nextBoolean() ? "-2e3" : "0.0");
            refused = true;
          } else {
            integer();
          }
        }
        case 6, 7 -> object(depth + 1);
        default -> array(depth + 1);
      }
    }

    void array(int depth) {
      text.append('[');
      white();
      int n = random.nextInt(5);
      for (int i = 0; i < n; i++) {
        if (i > 0) {
          white();
          text.append(',');
          white();
        }
        value(depth);
      }
      white();
      text.append(']');
    }

    void object(int depth) {
      text.append('{');
      white();
      int n = random.nextInt(7);
      Set<String> names = new HashSet<>();
      List<String> written = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String name;
        if (!written.isEmpty() && random.nextInt(60) == 0) {
          name = written.get(random.nextInt(written.size())); // repeated, maybe spelt otherwise
        } else {
          name = random.nextInt(3) == 0 ? CHARS[random.nextInt(CHARS.length)] : randomString(6);
        }
        if (!names.add(name)) {
          refused = true;
        }
        written.add(name);
        if (i > 0) {
          white();
          text.append(',');
          white();
        }
        literal(name);
        white();
        text.append(':');
        white();
        value(depth);
      }
      white();
      text.append('}');
    }
  }

  /** A text for a failure message: controls and non-ASCII as escapes. */
  private static String show(Object text) {
    String s = text instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : (String) text;
    StringBuilder sb = new StringBuilder();
    for (char ch : s.toCharArray()) {
      sb.append(ch < 0x20 || ch > 0x7e ? String.format("<%04x>", (int) ch) : String.valueOf(ch));
    }
    return sb.toString();
  }

  private static byte[] encode(CanonicalBytes c, byte[] text) {
    return c.clear().appendText(text) ? Arrays.copyOf(c.array(), c.length()) : null;
  }

  @Test
  void randomTextsGiveTheBytesOfTheirParsedValueOrGoToTheParsedPath() {
    CanonicalBytes c = new CanonicalBytes(); // one buffer for all, as a verifying thread uses it
    int refusedSeen = 0;
    for (long seed = 0; seed < 4000; seed++) {
      Gen g = new Gen(seed);
      g.white();
      if (seed % 10 == 0) {
        g.value(0);
      } else {
        g.object(0);
      }
      g.white();
      String text = g.text.toString();
      byte[] got = encode(c, text.getBytes(StandardCharsets.UTF_8));
      if (g.refused) {
        refusedSeen++;
        assertThat(got).as("seed %d: %s", seed, show(text)).isNull();
      } else {
        byte[] expected = CanonicalJson.bytes(Json.decodeValue(text));
        assertThat(got == null ? null : show(got))
            .as("seed %d: %s", seed, show(text))
            .isEqualTo(show(expected));
      }
    }
    assertThat(refusedSeen).as("the generator also makes texts to refuse").isGreaterThan(50);
  }

  @Test
  void aMutatedTextIsRefusedOrEncodedAsItsParsedValue() {
    byte[] interesting = {
      '"',
      '\\',
      'u',
      'd',
      '8',
      '0',
      ',',
      ':',
      '{',
      '}',
      '[',
      ']',
      ' ',
      '-',
      '.',
      'e',
      't',
      0,
      0x1f,
      0x7f,
      (byte) 0x80,
      (byte) 0xbf,
      (byte) 0xc0,
      (byte) 0xc2,
      (byte) 0xe0,
      (byte) 0xed,
      (byte) 0xef,
      (byte) 0xf0,
      (byte) 0xf4,
      (byte) 0xf5,
      (byte) 0xff
    };
    CanonicalBytes c = new CanonicalBytes();
    int accepted = 0;
    for (long seed = 0; seed < 6000; seed++) {
      Gen g = new Gen(seed);
      g.object(0);
      byte[] text = g.text.toString().getBytes(StandardCharsets.UTF_8);
      Random r = new Random(~seed);
      for (int k = 1 + r.nextInt(3); k > 0 && text.length > 0; k--) {
        int at = r.nextInt(text.length);
        byte b = interesting[r.nextInt(interesting.length)];
        text =
            switch (r.nextInt(3)) {
              case 0 -> { // replace a byte
                byte[] t = text.clone();
                t[at] = b;
                yield t;
              }
              case 1 -> { // insert one
                byte[] t = new byte[text.length + 1];
                System.arraycopy(text, 0, t, 0, at);
                t[at] = b;
                System.arraycopy(text, at, t, at + 1, text.length - at);
                yield t;
              }
              default -> { // delete one
                byte[] t = new byte[text.length - 1];
                System.arraycopy(text, 0, t, 0, at);
                System.arraycopy(text, at + 1, t, at, text.length - at - 1);
                yield t;
              }
            };
      }
      byte[] got = encode(c, text);
      if (got != null) {
        accepted++;
        // What was accepted is well-formed UTF-8 and JSON: the parsed path reads the same value.
        Object parsed = Json.decodeValue(new String(text, StandardCharsets.UTF_8));
        assertThat(got).as("seed %d: %s", seed, show(text)).isEqualTo(CanonicalJson.bytes(parsed));
      }
    }
    assertThat(accepted).as("some mutations leave valid JSON").isGreaterThan(100);
  }

  @Test
  void nestingUpToItsLimitIsEncodedDeeperGoesToTheParsedPath() {
    for (int depth : new int[] {1, 50, CanonicalBytes.MAX_DEPTH, CanonicalBytes.MAX_DEPTH + 1}) {
      StringBuilder text = new StringBuilder();
      for (int i = 0; i < depth; i++) {
        text.append(i % 2 == 0 ? "{\"k\u00e9\": " : "[1, ");
      }
      text.append("\"\\ud83d\\ude00\"");
      for (int i = depth - 1; i >= 0; i--) {
        text.append(i % 2 == 0 ? ", \"b\": -0}" : "]");
      }
      byte[] got = encode(new CanonicalBytes(), text.toString().getBytes(StandardCharsets.UTF_8));
      if (depth <= CanonicalBytes.MAX_DEPTH) {
        assertThat(got)
            .as("depth %d", depth)
            .isEqualTo(CanonicalJson.bytes(Json.decodeValue(text.toString())));
      } else {
        assertThat(got).as("depth %d", depth).isNull();
      }
    }
  }

  @Test
  void namesAreOrderedByUtf16CodeUnitsNotCodePoints() {
    // U+E000 sorts after U+1F600 by code point (and by UTF-8 bytes), before it in UTF-16.
    String text = "{\"\ue000\": 1, \"😀\": 2, \"\\ud83d\\ude01\": 3, \"\uffff\": 4, \"z\": 5}";
    byte[] got = encode(new CanonicalBytes(), text.getBytes(StandardCharsets.UTF_8));
    assertThat(new String(got, StandardCharsets.UTF_8))
        .isEqualTo("{\"z\":5,\"😀\":2,\"😁\":3,\"\ue000\":1,\"\uffff\":4}");
    assertThat(got).isEqualTo(CanonicalJson.bytes(new JsonObject(text)));
  }

  @Test
  void eventHashesFromTextEqualTheHashesOfTheParsedEvents() {
    EventHash.FromText hasher = new EventHash.FromText(); // reused, big events and small
    Random r = new Random(42);
    for (long seed = 0; seed < 1500; seed++) {
      Gen payload = new Gen(seed);
      payload.object(0);
      Gen metadata = new Gen(seed + 100_000);
      metadata.object(0);
      String stream =
          switch (r.nextInt(4)) {
            case 0 -> payload.randomString(10); // escapes and non-ASCII in a stream id
            default -> "grant:" + UUID.randomUUID();
          };
      String type = r.nextInt(4) == 0 ? metadata.randomString(8) : "grant.issued.v1";
      long version = r.nextInt(5) == 0 ? r.nextLong() : r.nextInt(100);
      long micros = r.nextInt(5) == 0 ? r.nextLong() / 1000 : 1_765_000_000_000_000L + r.nextInt();
      UUID id = new UUID(r.nextLong(), r.nextLong());
      byte[] prev = new byte[EventHash.LENGTH];
      r.nextBytes(prev);
      String p = payload.text.toString();
      String m = metadata.text.toString();
      byte[] got =
          hasher.hash(
              prev,
              stream,
              version,
              id,
              type,
              micros,
              p.getBytes(StandardCharsets.UTF_8),
              m.getBytes(StandardCharsets.UTF_8));
      if (payload.refused || metadata.refused) {
        assertThat(got).as("seed %d", seed).isNull();
        continue;
      }
      java.time.Instant at =
          java.time.Instant.ofEpochSecond(
              Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
      assertThat(got)
          .as("seed %d: %s %s", seed, show(p), show(m))
          .isEqualTo(
              EventHash.of(
                  prev, stream, version, id, type, at, new JsonObject(p), new JsonObject(m)));
    }
  }
}
