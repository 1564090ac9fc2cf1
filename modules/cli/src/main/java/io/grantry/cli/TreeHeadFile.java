package io.grantry.cli;

import io.grantry.eventstore.audit.LedgerVerifier;
import io.grantry.eventstore.merkle.NoteKey;
import io.grantry.eventstore.merkle.SignedNote;
import io.grantry.eventstore.merkle.TreeHead;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A signed tree head an auditor kept: a file holding a C2SP tlog-checkpoint note (a copy of {@code
 * /ledger/checkpoint}, of a witness's state, or of {@code heads/<size>} of the publish directory),
 * or a proof whose {@code checkpoint} is one.
 */
record TreeHeadFile(Path file, SignedNote note, TreeHead head) {

  static TreeHeadFile read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new CliFailure(2, "cannot read " + file + ": " + CliSupport.oneLine(e));
    }
    return parse(file, text);
  }

  static TreeHeadFile parse(Path file, String text) {
    try {
      if (text.stripLeading().startsWith("{")) {
        String note = new JsonObject(text).getString("checkpoint");
        if (note == null) {
          throw new IllegalArgumentException("the JSON has no \"checkpoint\" note");
        }
        text = note;
      }
      SignedNote note = SignedNote.parse(text);
      return new TreeHeadFile(file, note, TreeHead.parse(note.text()));
    } catch (RuntimeException e) {
      throw new CliFailure(
          2, file + " is not a signed tree head (C2SP tlog-checkpoint note): " + e.getMessage());
    }
  }

  LedgerVerifier.Pin pin() {
    return new LedgerVerifier.Pin(head.size(), head.root(), file.toString());
  }

  /** The note must be signed by one of {@code keys} (exit 2 if not). */
  void checkSignature(List<NoteKey> keys) {
    try {
      NoteKey.open(note, keys);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(
          2, "the tree head in " + file + " is not one of this ledger's: " + e.getMessage());
    }
  }
}
