package io.grantry.cli;

import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.eventstore.audit.ArchiveManifest;
import io.grantry.eventstore.audit.ArchivedEvent;
import io.grantry.eventstore.audit.LedgerVerifier;
import io.grantry.eventstore.audit.LedgerVerifier.Problem;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Verification of archived history next to the database: the archive files named by the ledger's
 * manifests (when a directory holding them is given) and, for archives not at hand, which ranges of
 * the ledger are proven only through their stubs' hashes in the signed digest.
 *
 * <p>With a file, each stub's event is taken from it: the event must be there (else removed), its
 * hash must be the one the ledger kept (else edited), and the verifier then checks its content,
 * chain and digest like any event. Events in the file that the ledger never archived are inserted;
 * lines out of commit order are reordered; a file whose SHA-256 differs from its manifest's was
 * altered even if every event still checks (e.g. its header).
 */
final class ArchiveFiles {
  private final Map<String, ArchiveManifest> manifests = new LinkedHashMap<>();
  private final Map<String, Loaded> loaded = new LinkedHashMap<>();
  private final Map<String, List<GlobalPosition[]>> uncheckedRanges = new LinkedHashMap<>();
  private final Map<String, Long> uncheckedCounts = new LinkedHashMap<>();
  private final Map<String, Long> checkedCounts = new LinkedHashMap<>();
  private String openRun;

  private static final class Loaded {
    final ArchiveManifest manifest;
    final Path file;
    final Map<Long, RecordedEvent> events = new HashMap<>();
    final String sha256;

    Loaded(ArchiveManifest manifest, Path file, String sha256) {
      this.manifest = manifest;
      this.file = file;
      this.sha256 = sha256;
    }
  }

  /**
   * The manifests recorded in the ledger, and the files of those found in {@code dir} (null: none).
   * A malformed file fails {@code v} at once.
   */
  static ArchiveFiles open(List<RecordedEvent> manifestEvents, Path dir, LedgerVerifier v)
      throws IOException {
    ArchiveFiles a = new ArchiveFiles();
    for (RecordedEvent e : manifestEvents) {
      if (!ArchiveManifest.isManifest(e)) {
        continue;
      }
      ArchiveManifest m;
      try {
        m = ArchiveManifest.fromPayload(e.payload());
      } catch (IllegalArgumentException ex) {
        v.reject(e.commitOrder(), Problem.MALFORMED, ex.getMessage());
        return a;
      }
      a.manifests.put(m.archiveId(), m);
      if (dir != null && Files.isRegularFile(dir.resolve(m.fileName()))) {
        if (!a.load(m, dir.resolve(m.fileName()), v)) {
          return a;
        }
      }
    }
    if (dir != null && !Files.isDirectory(dir)) {
      throw new CliFailure(2, dir + " is not a directory");
    }
    return a;
  }

  private boolean load(ArchiveManifest m, Path file, LedgerVerifier v) throws IOException {
    MessageDigest sha = EventHash.sha256();
    Loaded l;
    try (InputStream raw = Files.newInputStream(file);
        DigestInputStream in = new DigestInputStream(raw, sha);
        BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String first = r.readLine();
      JsonObject header = first == null ? null : parse(first);
      if (header == null
          || !ArchiveManifest.FORMAT.equals(header.getString("format"))
          || !m.archiveId().equals(header.getString("archive_id"))) {
        v.reject(
            m.through(),
            Problem.MALFORMED,
            file
                + " is not the archive "
                + m.archiveId()
                + " (its header is not a "
                + ArchiveManifest.FORMAT
                + " header naming it)");
        return false;
      }
      List<RecordedEvent> events = new ArrayList<>();
      String line;
      GlobalPosition last = GlobalPosition.START;
      while ((line = r.readLine()) != null) {
        if (line.isBlank()) {
          continue;
        }
        JsonObject j = parse(line);
        if (j == null) {
          v.reject(
              last, Problem.MALFORMED, "a line of " + file + " after " + last + " is not JSON");
          return false;
        }
        RecordedEvent e;
        try {
          e = AuditCommand.fromJson(j);
        } catch (CliFailure ex) {
          v.reject(last, Problem.MALFORMED, file + ": " + ex.getMessage());
          return false;
        }
        if (e.commitOrder().compareTo(last) <= 0) {
          v.reject(
              e.commitOrder(),
              Problem.REORDERED,
              "in "
                  + file
                  + " the event at "
                  + e.commitOrder()
                  + " comes after "
                  + last
                  + " but sorts before it in commit order");
          return false;
        }
        last = e.commitOrder();
        events.add(e);
      }
      // Read to the end so the digest covers the whole file.
      in.transferTo(OutputStream.nullOutputStream());
      l = new Loaded(m, file, HexFormat.of().formatHex(sha.digest()));
      events.forEach(e -> l.events.put(e.position(), e));
    }
    loaded.put(m.archiveId(), l);
    return true;
  }

  private static JsonObject parse(String line) {
    try {
      return new JsonObject(line);
    } catch (RuntimeException ex) {
      return null;
    }
  }

  /** An event still in the database: it ends a run of unchecked archived events. */
  void kept(RecordedEvent e, LedgerVerifier v) {
    openRun = null;
    others(e.position(), e.hash(), null, v);
  }

  /**
   * Copies of one event in files other than the one it is checked from (an archival interrupted and
   * run again leaves events in two files): each must be the same event.
   */
  private void others(long position, byte[] hash, String except, LedgerVerifier v) {
    for (Loaded l : loaded.values()) {
      if (l.manifest.archiveId().equals(except)) {
        continue;
      }
      RecordedEvent copy = l.events.remove(position);
      if (copy != null && !Arrays.equals(copy.hash(), hash)) {
        v.reject(
            copy.commitOrder(),
            Problem.EDITED,
            "the event at "
                + copy.commitOrder()
                + " in "
                + l.file
                + " differs from the one the ledger holds");
      }
    }
  }

  /** A stub: checked against its archive file when there is one, else by its hashes alone. */
  boolean archived(ArchivedEvent stub, LedgerVerifier v) {
    GlobalPosition at = stub.commitOrder();
    others(stub.position(), stub.hash(), stub.archiveId(), v);
    if (!manifests.containsKey(stub.archiveId())) {
      v.reject(
          at,
          Problem.REMOVED,
          stub.streamId()
              + " v"
              + stub.version()
              + " was removed as archived in "
              + stub.archiveId()
              + ", but the ledger records no such archive");
      return false;
    }
    Loaded l = loaded.get(stub.archiveId());
    if (l == null) {
      if (!stub.archiveId().equals(openRun)) {
        uncheckedRanges
            .computeIfAbsent(stub.archiveId(), k -> new ArrayList<>())
            .add(new GlobalPosition[] {at, at});
        openRun = stub.archiveId();
      } else {
        List<GlobalPosition[]> runs = uncheckedRanges.get(stub.archiveId());
        runs.get(runs.size() - 1)[1] = at;
      }
      uncheckedCounts.merge(stub.archiveId(), 1L, Long::sum);
      return v.acceptArchived(stub);
    }
    openRun = null;
    RecordedEvent e = l.events.remove(stub.position());
    if (e == null) {
      v.reject(
          at,
          Problem.REMOVED,
          stub.streamId()
              + " v"
              + stub.version()
              + " is archived in "
              + l.file
              + ", but the file does not hold it");
      return false;
    }
    if (e.txid() != stub.txid()
        || !e.streamId().equals(stub.streamId())
        || e.version() != stub.version()
        || !MessageDigest.isEqual(e.hash(), stub.hash())) {
      v.reject(
          at,
          Problem.EDITED,
          "the event at "
              + at
              + " in "
              + l.file
              + " is not the one the ledger archived there (its hash, stream or version differ)");
      return false;
    }
    checkedCounts.merge(stub.archiveId(), 1L, Long::sum);
    return v.accept(e);
  }

  /**
   * After the last entry: events left over in a file were never archived; a file must match its
   * manifest.
   */
  void finish(LedgerVerifier v) {
    for (Loaded l : loaded.values()) {
      if (!l.events.isEmpty()) {
        RecordedEvent first =
            l.events.values().stream()
                .min((a, b) -> a.commitOrder().compareTo(b.commitOrder()))
                .orElseThrow();
        v.reject(
            first.commitOrder(),
            Problem.INSERTED,
            l.file
                + " holds "
                + l.events.size()
                + " event(s) the ledger"
                + " never archived, the first at "
                + first.commitOrder());
      }
      if (!l.sha256.equals(l.manifest.sha256())) {
        v.reject(
            l.manifest.through(),
            Problem.EDITED,
            l.file
                + " has SHA-256 "
                + l.sha256
                + ", but the manifest of "
                + l.manifest.archiveId()
                + " in the ledger records "
                + l.manifest.sha256()
                + " (the file was altered)");
      }
    }
  }

  /** What the verification said about each archive, a line each. */
  List<String> report(int maxRanges) {
    List<String> out = new ArrayList<>();
    for (ArchiveManifest m : manifests.values()) {
      long checked = checkedCounts.getOrDefault(m.archiveId(), 0L);
      long unchecked = uncheckedCounts.getOrDefault(m.archiveId(), 0L);
      if (loaded.containsKey(m.archiveId())) {
        out.add(
            "archive "
                + m.archiveId()
                + ": "
                + checked
                + " archived events checked against "
                + loaded.get(m.archiveId()).file
                + " (SHA-256 as in its manifest)");
      } else if (unchecked > 0) {
        List<GlobalPosition[]> runs = uncheckedRanges.get(m.archiveId());
        StringBuilder ranges = new StringBuilder();
        for (int i = 0; i < runs.size() && i < maxRanges; i++) {
          GlobalPosition[] r = runs.get(i);
          ranges
              .append(i == 0 ? "" : ", ")
              .append(r[0])
              .append(r[0].equals(r[1]) ? "" : ".." + r[1]);
        }
        if (runs.size() > maxRanges) {
          ranges.append(", ... (").append(runs.size() - maxRanges).append(" more)");
        }
        out.add(
            "archive "
                + m.archiveId()
                + ": "
                + unchecked
                + " archived events in "
                + runs.size()
                + " commit-order range(s) are covered only by their hashes in the signed digest and by the archive's"
                + " SHA-256 "
                + m.sha256()
                + " (pass --archives with the directory holding "
                + m.fileName()
                + " to check their content): "
                + ranges);
      } else {
        out.add("archive " + m.archiveId() + ": no archived event left in the database");
      }
    }
    return out;
  }

  long unchecked() {
    return uncheckedCounts.values().stream().mapToLong(Long::longValue).sum();
  }
}
