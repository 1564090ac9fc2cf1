package io.grantry.eventstore.merkle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Signed notes (C2SP signed-note, tlog-checkpoint, tlog-cosignature): a note signed by Go's
 * reference implementation verifies here, ours verify, and tampering or an unknown key does not.
 */
class SignedNoteTest {
  /** The example of Go's golang.org/x/mod/sumdb/note: a verifier key and a note it signed. */
  static final String GO_VKEY =
      "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";

  static final String GO_NOTE =
      "This is an example message.\n\n"
          + "\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";

  @Test
  void aNoteSignedByTheGoReferenceImplementationVerifies() {
    NoteKey key = NoteKey.verifier(GO_VKEY);
    assertThat(key.name()).isEqualTo("example.com/foo");
    assertThat(key.keyIdHex()).isEqualTo("530d903a");
    SignedNote note = SignedNote.parse(GO_NOTE);
    assertThat(note.text()).isEqualTo("This is an example message.\n");
    assertThat(NoteKey.open(note, List.of(key))).containsExactly(key);
    assertThat(note.encode()).isEqualTo(GO_NOTE);
    // One changed letter of the text.
    SignedNote changed = SignedNote.parse(GO_NOTE.replace("example message", "exemple message"));
    assertThatThrownBy(() -> NoteKey.open(changed, List.of(key)))
        .hasMessageContaining("does not verify");
  }

  @Test
  void aTreeHeadNoteSignedHereVerifiesWithItsVerifierKeyAndNotWithAnother() {
    NoteKey log = NoteKey.generate("grantry.example/ledger", NoteKey.ED25519);
    TreeHead head = new TreeHead(log.name(), 20852163, new byte[32]);
    SignedNote note = new SignedNote(head.text(), List.of(log.sign(head.text())));
    SignedNote back = SignedNote.parse(note.encode());
    NoteKey verifier = NoteKey.verifier(log.verifierKey());
    assertThat(NoteKey.open(back, List.of(verifier))).containsExactly(verifier);
    assertThat(TreeHead.parse(back.text()).sameAs(head)).isTrue();
    assertThat(back.text())
        .isEqualTo("grantry.example/ledger\n20852163\n" + "A".repeat(43) + "=\n");

    NoteKey stranger = NoteKey.generate("grantry.example/ledger", NoteKey.ED25519);
    assertThatThrownBy(() -> NoteKey.open(back, List.of(NoteKey.verifier(stranger.verifierKey()))))
        .hasMessageContaining("not signed by a trusted key");
    // The same key under another name is another key.
    assertThatThrownBy(() -> NoteKey.verifier(log.verifierKey().replace("grantry.example", "x.y")))
        .hasMessageContaining("does not match");
  }

  @Test
  void aWitnessCosignatureIsATimestampedSecondSignatureLine() {
    NoteKey log = NoteKey.generate("grantry.example/ledger", NoteKey.ED25519);
    NoteKey witness = NoteKey.generate("witness.example/w1", NoteKey.COSIGNATURE);
    String text = new TreeHead(log.name(), 5, new byte[32]).text();
    SignedNote note =
        new SignedNote(text, List.of(log.sign(text))).with(witness.signLine(text, 1679315147));
    SignedNote back = SignedNote.parse(note.encode());
    NoteKey w = NoteKey.verifier(witness.verifierKey());
    assertThat(w.type()).isEqualTo(NoteKey.COSIGNATURE);
    assertThat(NoteKey.open(back, List.of(NoteKey.verifier(log.verifierKey()), w))).hasSize(2);
    assertThat(NoteKey.timestamp(back.signatures().get(1))).isEqualTo(1679315147L);
    // A cosignature is over "cosignature/v1", the time and the text: the log's key type cannot
    // stand in for it, nor can its time be changed.
    SignedNote.Line line = back.signatures().get(1);
    byte[] sig = line.signature().clone();
    sig[7]++;
    SignedNote moved =
        new SignedNote(text, List.of(new SignedNote.Line(line.name(), line.keyId(), sig)));
    assertThatThrownBy(() -> NoteKey.open(moved, List.of(w)))
        .hasMessageContaining("does not verify");
  }

  @Test
  void malformedNotesAreRefused() {
    assertThatThrownBy(() -> SignedNote.parse("no blank line\n\u2014 a AAAA\n"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SignedNote.parse("text\n\n- a AAAAAA==\n"))
        .hasMessageContaining("em dash");
    assertThatThrownBy(() -> SignedNote.parse("text\n\n"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> TreeHead.parse("origin\n012\nAAAA\n"))
        .hasMessageContaining("leading zeros");
    assertThatThrownBy(() -> TreeHead.parse("origin\n12\n")).hasMessageContaining("three lines");
    assertThatThrownBy(() -> NoteKey.verifier("name+1234+AAAA"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
