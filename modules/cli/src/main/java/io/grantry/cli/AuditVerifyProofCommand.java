package io.grantry.cli;

import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.eventstore.audit.EventJson;
import io.grantry.eventstore.merkle.ConsistencyProof;
import io.grantry.eventstore.merkle.InclusionProof;
import io.grantry.eventstore.merkle.MerkleTree;
import io.grantry.eventstore.merkle.NoteKey;
import io.grantry.eventstore.merkle.SignedNote;
import io.grantry.eventstore.merkle.TreeHead;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code grantry audit verify-proof}: checks a proof written by {@code audit prove} (or the admin
 * API) offline, from files alone, with no database: the tree head's note against the log's verifier
 * key (and witnesses' cosignatures against theirs), then the proof against the head's root by RFC
 * 9162's algorithms; for an inclusion proof also that the event's content hashes to its hash, and
 * that to the leaf hash.
 */
@Command(
    name = "verify-proof",
    mixinStandardHelpOptions = true,
    description =
        "Check an inclusion or consistency proof (JSON, from `audit prove` or the admin API) offline:"
            + " the signed tree head against the log's verifier key, the proof against its root; exits "
            + AuditCommand.TAMPERED
            + " if anything does not verify.")
final class AuditVerifyProofCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "PROOF", description = "The proof (JSON).")
  Path proofFile;

  @Option(
      names = "--key",
      paramLabel = "VKEY",
      description = "The log's note verifier key (as /ledger/key gives it). Repeatable.")
  List<String> keys = new ArrayList<>();

  @Option(
      names = "--key-file",
      paramLabel = "FILE",
      description = "A file of note verifier keys, one a line (e.g. saved from /ledger/key).")
  Path keyFile;

  @Option(
      names = "--witness-key",
      paramLabel = "VKEY",
      description =
          "A witness's verifier key: the tree head must carry its valid cosignature. Repeatable.")
  List<String> witnessKeys = new ArrayList<>();

  @Option(
      names = "--first",
      paramLabel = "FILE",
      description =
          "For a consistency proof: the earlier tree head you kept (its signed note); default the"
              + " proof's first_checkpoint.")
  Path first;

  @Override
  public Integer call() throws Exception {
    List<NoteKey> logKeys = logKeys();
    List<NoteKey> witnesses = new ArrayList<>();
    for (String w : witnessKeys) {
      witnesses.add(key("--witness-key", w));
    }
    JsonObject j;
    try {
      j = new JsonObject(Files.readString(proofFile, StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      throw new CliFailure(2, proofFile + " is not a JSON proof: " + CliSupport.oneLine(e));
    }
    String result;
    if (j.containsKey("leaf_index")) {
      result = inclusion(j, logKeys, witnesses);
    } else if (j.containsKey("first_tree_size")) {
      result = consistency(j, logKeys, witnesses);
    } else {
      throw new CliFailure(2, proofFile + " is neither an inclusion nor a consistency proof");
    }
    System.out.println("OK: " + result);
    return 0;
  }

  private String inclusion(JsonObject j, List<NoteKey> logKeys, List<NoteKey> witnesses) {
    InclusionProof p;
    try {
      p = InclusionProof.fromJson(j);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(AuditCommand.TAMPERED, e.getMessage());
    }
    TreeHead head = head(p.checkpoint(), "checkpoint", logKeys, witnesses);
    if (head.size() != p.treeSize()) {
      throw bad(
          "the proof is for a tree of "
              + p.treeSize()
              + " leaves, its checkpoint says "
              + head.size());
    }
    JsonObject e = p.event();
    if (e == null) {
      throw bad("the proof carries no event");
    }
    MessageDigest md = EventHash.sha256();
    String what;
    byte[] eventHash;
    if (e.containsKey("archived")) {
      eventHash = hex(e.getString("hash"));
      what =
          "the archived event "
              + e.getString("commit_order")
              + " ("
              + e.getString("stream_id")
              + " v"
              + e.getLong("version")
              + "; its content is in "
              + e.getString("archived")
              + ", checked by its hash only)";
    } else {
      RecordedEvent ev;
      try {
        ev = EventJson.fromJson(e);
      } catch (IllegalArgumentException ex) {
        throw bad(ex.getMessage());
      }
      eventHash = EventHash.of(ev);
      if (!MessageDigest.isEqual(eventHash, ev.hash())) {
        throw bad("the event's content does not match its hash (the event was altered)");
      }
      what =
          "event "
              + ev.commitOrder()
              + " ("
              + ev.streamId()
              + " v"
              + ev.version()
              + ", "
              + ev.type()
              + ", recorded "
              + ev.recordedAt()
              + ")";
    }
    if (!MessageDigest.isEqual(MerkleTree.leafHash(md, eventHash), p.leafHash())) {
      throw bad("the leaf hash is not SHA-256(0x00 || the event's hash)");
    }
    if (!p.verify(head.root())) {
      throw bad(
          "the inclusion path does not lead from leaf "
              + p.leafIndex()
              + " to the root of the signed tree head of size "
              + head.size());
    }
    return what
        + " is leaf "
        + p.leafIndex()
        + " of the tree head of size "
        + head.size()
        + " with root "
        + head.rootBase64()
        + ", signed by "
        + head.origin()
        + cosigned(witnesses);
  }

  private String consistency(JsonObject j, List<NoteKey> logKeys, List<NoteKey> witnesses) {
    ConsistencyProof p;
    try {
      p = ConsistencyProof.fromJson(j);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(AuditCommand.TAMPERED, e.getMessage());
    }
    TreeHead second = head(p.checkpoint(), "checkpoint", logKeys, witnesses);
    TreeHead earlier;
    if (first != null) {
      TreeHeadFile f = TreeHeadFile.read(first);
      f.checkSignature(logKeys);
      earlier = f.head();
    } else if (p.firstCheckpoint() != null) {
      earlier = head(p.firstCheckpoint(), "first_checkpoint", logKeys, List.of());
    } else {
      throw new CliFailure(
          2, "the proof names no first tree head: give the one you kept with --first FILE");
    }
    if (second.size() != p.secondSize() || earlier.size() != p.firstSize()) {
      throw bad(
          "the proof is from "
              + p.firstSize()
              + " to "
              + p.secondSize()
              + " leaves, the tree heads are of "
              + earlier.size()
              + " and "
              + second.size());
    }
    if (!earlier.origin().equals(second.origin())) {
      throw bad("the two tree heads are of different logs");
    }
    if (!p.verify(earlier.root(), second.root())) {
      throw bad(
          "the tree head of size "
              + second.size()
              + " does not extend the one of size "
              + earlier.size()
              + ": the log was rewritten (forked) or rolled back in between");
    }
    return "the tree head of size "
        + second.size()
        + " (root "
        + second.rootBase64()
        + ") extends the tree head of size "
        + earlier.size()
        + " (root "
        + earlier.rootBase64()
        + "), both signed by "
        + second.origin()
        + cosigned(witnesses);
  }

  /** The note's tree head, once its log signature (and each witness's cosignature) verifies. */
  private static TreeHead head(
      String note, String field, List<NoteKey> logKeys, List<NoteKey> witnesses) {
    if (note == null) {
      throw bad("the proof has no " + field + " (signed tree head)");
    }
    SignedNote n;
    TreeHead head;
    try {
      n = SignedNote.parse(note);
      head = TreeHead.parse(n.text());
    } catch (IllegalArgumentException e) {
      throw bad("the " + field + " is not a signed tree head: " + e.getMessage());
    }
    try {
      NoteKey.open(n, logKeys);
    } catch (IllegalArgumentException e) {
      throw bad("the " + field + "'s signature: " + e.getMessage());
    }
    for (NoteKey w : witnesses) {
      try {
        NoteKey.open(n, List.of(w));
      } catch (IllegalArgumentException e) {
        throw bad(
            "the witness " + w.name() + " did not cosign the " + field + ": " + e.getMessage());
      }
    }
    return head;
  }

  private String cosigned(List<NoteKey> witnesses) {
    if (witnesses.isEmpty()) {
      return "";
    }
    List<String> names = new ArrayList<>();
    witnesses.forEach(w -> names.add(w.name()));
    return ", cosigned by " + String.join(", ", names);
  }

  private List<NoteKey> logKeys() throws IOException {
    List<NoteKey> out = new ArrayList<>();
    for (String k : keys) {
      out.add(key("--key", k));
    }
    if (keyFile != null) {
      for (String line : Files.readAllLines(keyFile, StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          out.add(key("--key-file", line));
        }
      }
    }
    if (out.isEmpty()) {
      throw new CliFailure(
          2, "give the log's verifier key (--key or --key-file, from /ledger/key kept elsewhere)");
    }
    return out;
  }

  private static NoteKey key(String option, String vkey) {
    try {
      return NoteKey.verifier(vkey);
    } catch (IllegalArgumentException e) {
      throw new CliFailure(2, option + ": " + e.getMessage());
    }
  }

  private static byte[] hex(String s) {
    try {
      return HexFormat.of().parseHex(s);
    } catch (RuntimeException e) {
      throw bad("a hash is not hex");
    }
  }

  private static CliFailure bad(String why) {
    return new CliFailure(AuditCommand.TAMPERED, "the proof does not verify: " + why);
  }
}
