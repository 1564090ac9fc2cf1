package io.grantry.eventstore;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;

/**
 * The canonical encoding of {@link CanonicalJson#bytes}, written as UTF-8 into a buffer that is
 * reused from one event to the next, and taken straight from JSON text (as PostgreSQL sends jsonb)
 * without building strings or a parsed value. For bulk verification: re-encoding Jackson's tokens
 * into a {@link StringBuilder} per event, then copying it out as UTF-8, cost most of {@code audit
 * verify}'s time.
 *
 * <p>Why the bytes are the same as those of the parsed value (the property tests compare them on
 * random texts): a JSON string without escapes is copied as it is, once its UTF-8 is checked to be
 * well formed (then decoding and re-encoding it is the identity); an escape is decoded to its
 * UTF-16 code unit(s) and written as {@code CanonicalJson} writes that unit; an integer is its
 * digits, as {@code Integer}, {@code Long} and {@code BigInteger} print them, since JSON allows no
 * leading zero ({@code -0} prints as {@code 0}); members are put in {@link String#compareTo} order
 * (UTF-16 code units: for ASCII names that is byte order, any other name is compared as the {@code
 * String} Jackson decodes). Whatever else the text holds makes {@link #appendText} return false and
 * leaves the event to the parsed path: a fraction or an exponent (a double there), a repeated
 * member name (the parsed value keeps one), a lone surrogate, malformed UTF-8 or JSON, nesting
 * deeper than {@value #MAX_DEPTH}, an integer of more than {@value #MAX_DIGITS} digits.
 *
 * <p>Not thread-safe: one per thread.
 */
public final class CanonicalBytes {
  static final int MAX_DEPTH = 500;
  static final int MAX_DIGITS = 500;

  /**
   * Jackson refuses a name of more than 50,000 characters and a string value of more than 20
   * million (its StreamReadConstraints; 5 million in 2.15.0): the parsed path fails there, so this
   * leaves such texts to it, in bytes, which are never fewer than the characters.
   */
  static final int MAX_NAME = 40_000;

  static final int MAX_STRING = 5_000_000;
  private static final JsonFactory FACTORY = new JsonFactory();
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private byte[] out = new byte[1024];
  private int len;

  /** The members of the objects being written: output offsets of each name's start and end. */
  private int[] members = new int[64];

  private int top;
  private int[] order = new int[32];
  private byte[] scratch = new byte[1024];

  // The text being read.
  private byte[] in;
  private int pos;
  private int end;

  /** The encoding so far: {@link #length()} bytes from offset 0. */
  public byte[] array() {
    return out;
  }

  public int length() {
    return len;
  }

  public CanonicalBytes clear() {
    len = 0;
    top = 0;
    return this;
  }

  /** Appends one ASCII character of the encoding's structure ({@code [ , ]}). */
  public CanonicalBytes append(char structural) {
    ensure(1);
    out[len++] = (byte) structural;
    return this;
  }

  /** Appends a string value as {@link CanonicalJson#bytes} encodes it. */
  public CanonicalBytes appendString(String s) {
    int n = s.length();
    ensure(n + 2);
    int at = len;
    out[at++] = '"';
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
        // Escapes or non-ASCII (rare in ids and types): the reference encoding, then its bytes.
        StringBuilder sb = new StringBuilder(n + 8);
        CanonicalJson.writeString(sb, s);
        byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
        ensure(b.length);
        System.arraycopy(b, 0, out, len, b.length);
        len += b.length;
        return this;
      }
      out[at++] = (byte) c;
    }
    out[at++] = '"';
    len = at;
    return this;
  }

  /** Appends an integer in decimal, as {@code Long.toString} prints it. */
  public CanonicalBytes appendLong(long v) {
    if (v < 0) {
      byte[] b = Long.toString(v).getBytes(StandardCharsets.US_ASCII);
      ensure(b.length);
      System.arraycopy(b, 0, out, len, b.length);
      len += b.length;
      return this;
    }
    int digits = 1;
    for (long x = v; x >= 10; x /= 10) {
      digits++;
    }
    ensure(digits);
    for (int i = len + digits - 1; i >= len; i--) {
      out[i] = (byte) ('0' + v % 10);
      v /= 10;
    }
    len += digits;
    return this;
  }

  /** Appends a UUID as the string {@link UUID#toString} gives (lower-case hex, 8-4-4-4-12). */
  public CanonicalBytes appendUuid(UUID id) {
    ensure(38);
    long msb = id.getMostSignificantBits();
    long lsb = id.getLeastSignificantBits();
    out[len++] = '"';
    hex(msb >>> 32, 8);
    out[len++] = '-';
    hex(msb >>> 16, 4);
    out[len++] = '-';
    hex(msb, 4);
    out[len++] = '-';
    hex(lsb >>> 48, 4);
    out[len++] = '-';
    hex(lsb, 12);
    out[len++] = '"';
    return this;
  }

  private void hex(long v, int digits) {
    for (int i = len + digits - 1; i >= len; i--) {
      out[i] = HEX[(int) (v & 0xf)];
      v >>>= 4;
    }
    len += digits;
  }

  /**
   * Appends the canonical encoding of the value of a JSON text (UTF-8): what {@link
   * CanonicalJson#bytes} gives for the value Vert.x parses from it. False, with the buffer in an
   * unspecified state, for what is left to the parsed path (see the class comment).
   */
  public boolean appendText(byte[] utf8) {
    in = utf8;
    pos = 0;
    top = 0;
    end = utf8.length;
    // The encoding is never longer than the text (escapes only shrink, white space goes), so
    // nothing below checks for room.
    ensure(end);
    if (scratch.length < end) {
      scratch = new byte[Math.max(end, scratch.length * 2)];
    }
    try {
      return value(0) && skipSpace() == end;
    } finally {
      in = null;
    }
  }

  private boolean value(int depth) {
    if (skipSpace() == end) {
      return false;
    }
    byte b = in[pos];
    switch (b) {
      case '{' -> {
        return depth < MAX_DEPTH && object(depth + 1);
      }
      case '[' -> {
        return depth < MAX_DEPTH && array(depth + 1);
      }
      case '"' -> {
        return string(MAX_STRING) >= 0;
      }
      case 't' -> {
        return literal(TRUE);
      }
      case 'f' -> {
        return literal(FALSE);
      }
      case 'n' -> {
        return literal(NULL);
      }
      default -> {
        return integer();
      }
    }
  }

  private static final byte[] TRUE = {'t', 'r', 'u', 'e'};
  private static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};
  private static final byte[] NULL = {'n', 'u', 'l', 'l'};

  private boolean literal(byte[] word) {
    if (end - pos < word.length
        || !Arrays.equals(in, pos, pos + word.length, word, 0, word.length)) {
      return false;
    }
    System.arraycopy(word, 0, out, len, word.length);
    len += word.length;
    pos += word.length;
    // What follows must end the value here: a structural character, white space or the end
    // (checked by the caller, which accepts nothing else after a value).
    return true;
  }

  /** An integer: JSON's {@code -?(0|[1-9][0-9]*)}; a fraction or an exponent returns false. */
  private boolean integer() {
    int start = pos;
    int p = pos;
    if (in[p] == '-') {
      p++;
    }
    int firstDigit = p;
    while (p < end && in[p] >= '0' && in[p] <= '9') {
      p++;
    }
    int digits = p - firstDigit;
    if (digits == 0 || digits > MAX_DIGITS || (in[firstDigit] == '0' && digits > 1)) {
      return false;
    }
    if (p < end && (in[p] == '.' || in[p] == 'e' || in[p] == 'E')) {
      return false; // a double in the parsed value
    }
    pos = p;
    if (digits == 1 && in[firstDigit] == '0') {
      out[len++] = '0'; // -0 is the integer 0
      return true;
    }
    System.arraycopy(in, start, out, len, p - start);
    len += p - start;
    return true;
  }

  private boolean array(int depth) {
    pos++; // [
    out[len++] = '[';
    if (skipSpace() < end && in[pos] == ']') {
      pos++;
      out[len++] = ']';
      return true;
    }
    while (true) {
      if (!value(depth)) {
        return false;
      }
      if (skipSpace() == end) {
        return false;
      }
      byte b = in[pos++];
      if (b == ']') {
        out[len++] = ']';
        return true;
      }
      if (b != ',') {
        return false;
      }
      out[len++] = ',';
    }
  }

  /**
   * Members are written as they come, each followed by a comma, their names' spans remembered; then
   * put in name order in place (jsonb gives them shortest name first, so they rarely come sorted).
   */
  private boolean object(int depth) {
    pos++; // {
    out[len++] = '{';
    if (skipSpace() < end && in[pos] == '}') {
      pos++;
      out[len++] = '}';
      return true;
    }
    int objectStart = len;
    int base = top;
    boolean sorted = true;
    while (true) {
      if (skipSpace() == end || in[pos] != '"') {
        return false;
      }
      int nameStart = len;
      int plain = string(MAX_NAME);
      if (plain < 0) {
        return false;
      }
      push(nameStart, len, plain);
      int n = (top - base) / 3;
      if (n > 1) {
        int c = compareNames(top - 6, top - 3);
        if (c == 0) {
          return false; // a repeated name: the parsed value keeps one of them
        }
        sorted &= c < 0;
      }
      if (skipSpace() == end || in[pos] != ':') {
        return false;
      }
      pos++;
      out[len++] = ':';
      if (!value(depth)) {
        return false;
      }
      out[len++] = ',';
      if (skipSpace() == end) {
        return false;
      }
      byte b = in[pos++];
      if (b == '}') {
        break;
      }
      if (b != ',') {
        return false;
      }
    }
    if (!sorted && !reorder(objectStart, base)) {
      return false;
    }
    top = base;
    out[len - 1] = '}'; // in place of the last comma
    return true;
  }

  private void push(int nameStart, int nameEnd, int plain) {
    if (top + 3 > members.length) {
      members = Arrays.copyOf(members, members.length * 2);
    }
    members[top++] = nameStart;
    members[top++] = nameEnd;
    members[top++] = plain;
  }

  /** Sorts the members from {@code base} (written from {@code objectStart}) by name, in place. */
  private boolean reorder(int objectStart, int base) {
    int n = (top - base) / 3;
    if (order.length < n) {
      order = new int[Math.max(n, order.length * 2)];
    }
    int[] o = order;
    if (n <= 32) {
      // Insertion sort: objects are small, and this allocates nothing.
      for (int i = 0; i < n; i++) {
        int m = base + 3 * i;
        int j = i;
        while (j > 0 && compareNames(o[j - 1], m) > 0) {
          o[j] = o[j - 1];
          j--;
        }
        o[j] = m;
      }
    } else {
      Integer[] boxed = new Integer[n];
      for (int i = 0; i < n; i++) {
        boxed[i] = base + 3 * i;
      }
      Arrays.sort(boxed, this::compareNames);
      for (int i = 0; i < n; i++) {
        o[i] = boxed[i];
      }
    }
    for (int i = 1; i < n; i++) {
      if (compareNames(o[i - 1], o[i]) == 0) {
        return false; // a repeated name: the parsed value keeps one of them
      }
    }
    int objectEnd = len;
    System.arraycopy(out, objectStart, scratch, 0, objectEnd - objectStart);
    len = objectStart;
    for (int i = 0; i < n; i++) {
      int m = o[i];
      int from = members[m];
      int to = m + 3 < top ? members[m + 3] : objectEnd; // to the next member: its comma included
      System.arraycopy(scratch, from - objectStart, out, len, to - from);
      len += to - from;
    }
    return true;
  }

  /** Compares two members' names as {@link String#compareTo} compares them. */
  private int compareNames(int a, int b) {
    if (members[a + 2] == 1 && members[b + 2] == 1) {
      // ASCII without escapes: a byte is a UTF-16 code unit. Between the quotes:
      return Arrays.compare(
          out, members[a] + 1, members[a + 1] - 1, out, members[b] + 1, members[b + 1] - 1);
    }
    return name(a).compareTo(name(b));
  }

  /** A member's name as the parsed value holds it (a valid JSON string, as written above). */
  private String name(int m) {
    try (JsonParser p = FACTORY.createParser(out, members[m], members[m + 1] - members[m])) {
      if (p.nextToken() != JsonToken.VALUE_STRING) {
        throw new IllegalStateException("not a JSON string");
      }
      return p.getText();
    } catch (IOException e) {
      throw new IllegalStateException("a name written here is not valid JSON", e);
    }
  }

  /**
   * A string, from its opening quote: written canonically; returns 1 when it was ASCII without
   * escapes, 0 otherwise, -1 for what the parsed path must decide (also a text of more than {@code
   * max} bytes, under the length Jackson refuses).
   */
  private int string(int max) {
    int start = pos++;
    int p = pos;
    boolean ascii = true;
    // Most strings have no escape: check them, then copy them whole.
    while (true) {
      if (p == end) {
        return -1;
      }
      int b = in[p] & 0xff;
      if (b == '"') {
        p++;
        if (p - start > max) {
          return -1;
        }
        System.arraycopy(in, start, out, len, p - start);
        len += p - start;
        pos = p;
        return ascii ? 1 : 0;
      }
      if (b == '\\') {
        break;
      }
      if (b < 0x20) {
        return -1; // JSON allows no raw control character in a string
      }
      if (b >= 0x80) {
        ascii = false;
        p = utf8(p);
        if (p < 0) {
          return -1;
        }
      } else {
        p++;
      }
    }
    // An escape at p: the clean part first, then one character at a time.
    System.arraycopy(in, start, out, len, p - start);
    len += p - start;
    while (true) {
      if (p == end) {
        return -1;
      }
      int b = in[p] & 0xff;
      if (b == '"') {
        if (p + 1 - start > max) {
          return -1;
        }
        out[len++] = '"';
        pos = p + 1;
        return 0;
      }
      if (b < 0x20) {
        return -1;
      }
      if (b >= 0x80) {
        int q = utf8(p);
        if (q < 0) {
          return -1;
        }
        System.arraycopy(in, p, out, len, q - p);
        len += q - p;
        p = q;
      } else if (b != '\\') {
        out[len++] = (byte) b;
        p++;
      } else {
        if (p + 1 == end) {
          return -1;
        }
        byte e = in[p + 1];
        p += 2;
        int unit;
        switch (e) {
          case '"' -> unit = '"';
          case '\\' -> unit = '\\';
          case '/' -> unit = '/';
          case 'b' -> unit = '\b';
          case 'f' -> unit = '\f';
          case 'n' -> unit = '\n';
          case 'r' -> unit = '\r';
          case 't' -> unit = '\t';
          case 'u' -> {
            unit = hex4(p);
            if (unit < 0) {
              return -1;
            }
            p += 4;
          }
          default -> {
            return -1; // not a JSON escape
          }
        }
        if (unit >= 0xd800 && unit <= 0xdfff) {
          // A surrogate: only a high one followed by an escaped low one makes a character.
          if (unit > 0xdbff || p + 6 > end || in[p] != '\\' || in[p + 1] != 'u') {
            return -1;
          }
          int low = hex4(p + 2);
          if (low < 0xdc00 || low > 0xdfff) {
            return -1;
          }
          p += 6;
          int cp = Character.toCodePoint((char) unit, (char) low);
          out[len++] = (byte) (0xf0 | cp >>> 18);
          out[len++] = (byte) (0x80 | (cp >>> 12) & 0x3f);
          out[len++] = (byte) (0x80 | (cp >>> 6) & 0x3f);
          out[len++] = (byte) (0x80 | cp & 0x3f);
        } else {
          unit(unit);
        }
      }
    }
  }

  /** Writes one UTF-16 code unit (not a surrogate) as {@code CanonicalJson} writes it, in UTF-8. */
  private void unit(int c) {
    switch (c) {
      case '"' -> {
        out[len++] = '\\';
        out[len++] = '"';
      }
      case '\\' -> {
        out[len++] = '\\';
        out[len++] = '\\';
      }
      case '\n' -> {
        out[len++] = '\\';
        out[len++] = 'n';
      }
      case '\r' -> {
        out[len++] = '\\';
        out[len++] = 'r';
      }
      case '\t' -> {
        out[len++] = '\\';
        out[len++] = 't';
      }
      case '\b' -> {
        out[len++] = '\\';
        out[len++] = 'b';
      }
      case '\f' -> {
        out[len++] = '\\';
        out[len++] = 'f';
      }
      default -> {
        if (c < 0x20) {
          // String.format("\\u%04x", c): lower-case hex
          out[len++] = '\\';
          out[len++] = 'u';
          out[len++] = '0';
          out[len++] = '0';
          out[len++] = HEX[c >>> 4];
          out[len++] = HEX[c & 0xf];
        } else if (c < 0x80) {
          out[len++] = (byte) c;
        } else if (c < 0x800) {
          out[len++] = (byte) (0xc0 | c >>> 6);
          out[len++] = (byte) (0x80 | c & 0x3f);
        } else {
          out[len++] = (byte) (0xe0 | c >>> 12);
          out[len++] = (byte) (0x80 | (c >>> 6) & 0x3f);
          out[len++] = (byte) (0x80 | c & 0x3f);
        }
      }
    }
  }

  /** Four hex digits at {@code p} as a number, or -1. */
  private int hex4(int p) {
    if (p + 4 > end) {
      return -1;
    }
    int v = 0;
    for (int i = p; i < p + 4; i++) {
      int d = Character.digit(in[i], 16);
      if (d < 0) {
        return -1;
      }
      v = v << 4 | d;
    }
    return v;
  }

  /**
   * The end of the well-formed UTF-8 sequence at {@code p} (Unicode's Table 3-7, what Java's
   * decoder accepts: no overlong form, no surrogate, nothing above U+10FFFF), or -1.
   */
  private int utf8(int p) {
    int b = in[p] & 0xff;
    int n;
    int lo = 0x80;
    int hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
      n = 1;
    } else if (b >= 0xe0 && b <= 0xef) {
      n = 2;
      if (b == 0xe0) {
        lo = 0xa0;
      } else if (b == 0xed) {
        hi = 0x9f;
      }
    } else if (b >= 0xf0 && b <= 0xf4) {
      n = 3;
      if (b == 0xf0) {
        lo = 0x90;
      } else if (b == 0xf4) {
        hi = 0x8f;
      }
    } else {
      return -1;
    }
    if (p + n >= end) {
      return -1; // the string's closing quote must still follow
    }
    int second = in[p + 1] & 0xff;
    if (second < lo || second > hi) {
      return -1;
    }
    for (int i = p + 2; i <= p + n; i++) {
      if ((in[i] & 0xc0) != 0x80) {
        return -1;
      }
    }
    return p + n + 1;
  }

  /** Skips JSON white space; returns the position after it. */
  private int skipSpace() {
    int p = pos;
    while (p < end) {
      byte b = in[p];
      if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
        break;
      }
      p++;
    }
    pos = p;
    return p;
  }

  private void ensure(int more) {
    if (len + more > out.length) {
      out = Arrays.copyOf(out, Math.max(len + more, out.length * 2));
    }
  }
}
