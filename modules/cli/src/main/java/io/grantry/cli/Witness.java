package io.grantry.cli;

import io.grantry.eventstore.merkle.MerkleTree;
import io.grantry.eventstore.merkle.NoteKey;
import io.grantry.eventstore.merkle.SignedNote;
import io.grantry.eventstore.merkle.TreeHead;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * A witness of Grantry ledgers (C2SP tlog-witness semantics): it keeps, per log (origin), the last
 * tree head it cosigned, accepts a new one only when the log's signature verifies with the log key
 * it was configured with and a consistency proof shows the new tree extends the one it holds, and
 * then cosigns it (C2SP tlog-cosignature v1: a timestamped Ed25519 signature line) with its own
 * key. A smaller tree, another root at the same size, or a proof that does not verify is a rollback
 * or a fork: refused, and recorded.
 *
 * <p>State in a directory: {@code witness.json} (its name and key; the private key is in the clear,
 * mode 0600: the directory is the witness's own), and per origin {@code logs/<origin>/checkpoint}
 * (the last cosigned note, with its cosignature) and {@code logs/<origin>/log} (a line per
 * decision).
 */
final class Witness {
  /** What became of an offered tree head. */
  enum Outcome {
    COSIGNED,
    UNCHANGED,
    /** The caller's old size is not the one this witness holds (answer its size). */
    CONFLICT,
    /** Not consistent with what this witness cosigned: a fork or a rollback. */
    INCONSISTENT,
    /** Not signed by the configured log key. */
    FORBIDDEN,
    UNKNOWN_ORIGIN,
    BAD_REQUEST
  }

  record Decision(Outcome outcome, String message, SignedNote.Line cosignature, long size) {}

  private final Path state;
  private final NoteKey key;
  private final List<NoteKey> logKeys;

  private Witness(Path state, NoteKey key, List<NoteKey> logKeys) {
    this.state = state;
    this.key = key;
    this.logKeys = logKeys;
  }

  /** Opens the state directory, making the witness key (named {@code name}) on the first run. */
  static Witness open(Path state, String name, List<NoteKey> logKeys) throws IOException {
    Files.createDirectories(state);
    Path file = state.resolve("witness.json");
    NoteKey key;
    if (Files.exists(file)) {
      JsonObject j = new JsonObject(Files.readString(file));
      key =
          NoteKey.signing(
              j.getString("verifier_key"), Base64.getDecoder().decode(j.getString("private_key")));
    } else {
      key = NoteKey.generate(name, NoteKey.COSIGNATURE);
      Path tmp = state.resolve("witness.json.tmp");
      Files.deleteIfExists(tmp);
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      Files.writeString(
          tmp,
          new JsonObject()
              .put("verifier_key", key.verifierKey())
              .put("private_key", Base64.getEncoder().encodeToString(key.pkcs8()))
              .encodePrettily(),
          StandardOpenOption.TRUNCATE_EXISTING);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    }
    return new Witness(state, key, logKeys);
  }

  NoteKey key() {
    return key;
  }

  /** The last tree head cosigned for {@code origin}. */
  synchronized Optional<TreeHead> latest(String origin) throws IOException {
    Path f = dir(origin).resolve("checkpoint");
    if (!Files.exists(f)) {
      return Optional.empty();
    }
    return Optional.of(TreeHead.parse(SignedNote.parse(Files.readString(f)).text()));
  }

  /**
   * Offers a tree head with the consistency proof from {@code oldSize} (which must be the size this
   * witness holds, 0 if none).
   */
  synchronized Decision offer(SignedNote note, long oldSize, List<byte[]> proof)
      throws IOException {
    TreeHead head;
    try {
      head = TreeHead.parse(note.text());
    } catch (IllegalArgumentException e) {
      return new Decision(Outcome.BAD_REQUEST, "not a checkpoint: " + e.getMessage(), null, 0);
    }
    List<NoteKey> keys = logKeys.stream().filter(k -> k.name().equals(head.origin())).toList();
    if (keys.isEmpty()) {
      return new Decision(Outcome.UNKNOWN_ORIGIN, "unknown log " + head.origin(), null, 0);
    }
    try {
      NoteKey.open(note, keys);
    } catch (IllegalArgumentException e) {
      return new Decision(Outcome.FORBIDDEN, e.getMessage(), null, 0);
    }
    Optional<TreeHead> held = latest(head.origin());
    long heldSize = held.map(TreeHead::size).orElse(0L);
    if (oldSize != heldSize) {
      return oldSize > head.size()
          ? new Decision(Outcome.BAD_REQUEST, "old size " + oldSize + " > " + head.size(), null, 0)
          : new Decision(Outcome.CONFLICT, "this witness holds size " + heldSize, null, heldSize);
    }
    if (held.isPresent() && head.size() < heldSize) {
      return record(
          head,
          new Decision(
              Outcome.INCONSISTENT,
              "rollback: the log shows "
                  + head.size()
                  + " events, fewer than the "
                  + heldSize
                  + " this witness cosigned",
              null,
              heldSize));
    }
    if (held.isPresent() && head.size() == heldSize) {
      if (MessageDigest.isEqual(head.root(), held.get().root())) {
        return new Decision(Outcome.UNCHANGED, "already cosigned", null, heldSize);
      }
      return record(
          head,
          new Decision(
              Outcome.INCONSISTENT,
              "fork: another root at size " + heldSize + " than the one this witness cosigned",
              null,
              heldSize));
    }
    if (held.isPresent()
        && !MerkleTree.verifyConsistency(
            heldSize, head.size(), held.get().root(), head.root(), proof)) {
      return record(
          head,
          new Decision(
              Outcome.INCONSISTENT,
              "fork: the tree head of size "
                  + head.size()
                  + " does not extend the one of size "
                  + heldSize
                  + " this witness cosigned (the consistency proof does not verify)",
              null,
              heldSize));
    }
    SignedNote.Line cosignature = key.sign(note.text());
    SignedNote kept =
        new SignedNote(note.text(), List.of()).with(logLine(note, keys)).with(cosignature);
    Path dir = dir(head.origin());
    Path tmp = dir.resolve("checkpoint.tmp");
    Files.writeString(tmp, kept.encode(), StandardCharsets.UTF_8);
    Files.move(
        tmp,
        dir.resolve("checkpoint"),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    return record(
        head,
        new Decision(
            Outcome.COSIGNED,
            "cosigned size " + head.size() + " root " + head.rootBase64(),
            cosignature,
            head.size()));
  }

  /** The log's own signature line (the one that verified). */
  private static SignedNote.Line logLine(SignedNote note, List<NoteKey> keys) {
    for (SignedNote.Line l : note.signatures()) {
      for (NoteKey k : keys) {
        if (k.matches(l)) {
          return l;
        }
      }
    }
    throw new IllegalStateException("no log signature");
  }

  private Decision record(TreeHead head, Decision d) throws IOException {
    Files.writeString(
        dir(head.origin()).resolve("log"),
        Instant.now()
            + " "
            + d.outcome()
            + " size "
            + head.size()
            + " root "
            + head.rootBase64()
            + ": "
            + d.message()
            + "\n",
        StandardCharsets.UTF_8,
        StandardOpenOption.CREATE,
        StandardOpenOption.APPEND);
    return d;
  }

  private Path dir(String origin) throws IOException {
    // The origin is a name without spaces or '+'; keep it a single safe path segment.
    Path d = state.resolve("logs").resolve(origin.replaceAll("[^A-Za-z0-9._-]", "_"));
    Files.createDirectories(d);
    return d;
  }
}
