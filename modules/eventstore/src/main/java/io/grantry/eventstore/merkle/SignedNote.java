package io.grantry.eventstore.merkle;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A signed note (C2SP {@code signed-note}): a UTF-8 text ending in a newline, a blank line, then
 * one or more signature lines {@code — <key name> <base64(4-byte key ID || signature)>}. The
 * signatures cover the text including its final newline. Grantry's tree heads are notes whose text
 * is a C2SP {@code tlog-checkpoint} ({@link TreeHead}); a witness adds its cosignature as one more
 * line.
 *
 * <p>Only the format here: which keys to trust and the signatures themselves are {@link NoteKey}'s.
 */
public record SignedNote(String text, List<Line> signatures) {
  /** Em dash (U+2014) and a space: how every signature line begins. */
  static final String DASH = "\u2014 ";

  /** The most signature lines a note may carry (the spec asks to accept at least 16). */
  static final int MAX_SIGNATURES = 100;

  /** The most bytes a note may have. */
  static final int MAX_BYTES = 64 * 1024;

  /** One signature line: the key's name, its 4-byte id and the signature bytes after it. */
  public record Line(String name, int keyId, byte[] signature) {
    public String encode() {
      byte[] b = ByteBuffer.allocate(4 + signature.length).putInt(keyId).put(signature).array();
      return DASH + name + " " + Base64.getEncoder().encodeToString(b) + "\n";
    }
  }

  public SignedNote {
    signatures = List.copyOf(signatures);
  }

  /** The whole note: text, blank line, signature lines. */
  public String encode() {
    StringBuilder sb = new StringBuilder(text).append('\n');
    signatures.forEach(s -> sb.append(s.encode()));
    return sb.toString();
  }

  public SignedNote with(Line signature) {
    List<Line> all = new ArrayList<>(signatures);
    all.add(signature);
    return new SignedNote(text, all);
  }

  /**
   * Parses a note; the text is separated from the signatures by the last blank line.
   *
   * @throws IllegalArgumentException when it is not a well-formed signed note
   */
  public static SignedNote parse(String note) {
    if (note.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      throw new IllegalArgumentException("the note is longer than " + MAX_BYTES + " bytes");
    }
    for (int i = 0; i < note.length(); i++) {
      char c = note.charAt(i);
      if (c < 0x20 && c != '\n') {
        throw new IllegalArgumentException("a note holds no control characters but newlines");
      }
    }
    if (!note.endsWith("\n")) {
      throw new IllegalArgumentException("a note ends with a newline");
    }
    int split = note.lastIndexOf("\n\n");
    if (split < 0) {
      throw new IllegalArgumentException("a note has a blank line before its signatures");
    }
    String text = note.substring(0, split + 1);
    String[] lines = note.substring(split + 2).split("\n", -1);
    List<Line> sigs = new ArrayList<>();
    // split leaves an empty string after the final newline
    for (int i = 0; i < lines.length - 1; i++) {
      sigs.add(line(lines[i]));
    }
    if (sigs.isEmpty()) {
      throw new IllegalArgumentException("a note has at least one signature line");
    }
    if (sigs.size() > MAX_SIGNATURES) {
      throw new IllegalArgumentException("a note has too many signatures");
    }
    return new SignedNote(text, sigs);
  }

  /** One signature line without its final newline (e.g. from a witness's answer). */
  public static Line line(String line) {
    if (!line.startsWith(DASH)) {
      throw new IllegalArgumentException("a signature line starts with an em dash and a space");
    }
    String rest = line.substring(DASH.length());
    int space = rest.indexOf(' ');
    if (space <= 0 || rest.indexOf(' ', space + 1) >= 0) {
      throw new IllegalArgumentException("a signature line is '— <name> <signature>'");
    }
    String name = rest.substring(0, space);
    byte[] b;
    try {
      b = Base64.getDecoder().decode(rest.substring(space + 1));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("a signature is standard base64");
    }
    if (b.length < 5) {
      throw new IllegalArgumentException("a signature has a key ID and signature bytes");
    }
    ByteBuffer bb = ByteBuffer.wrap(b);
    int id = bb.getInt();
    byte[] sig = new byte[b.length - 4];
    bb.get(sig);
    return new Line(name, id, sig);
  }
}
