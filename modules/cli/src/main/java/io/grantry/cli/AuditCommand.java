package io.grantry.cli;

import io.grantry.domain.key.SigningKeyGenerated;
import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.LedgerCopy;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.eventstore.audit.ArchiveManifest;
import io.grantry.eventstore.audit.ArchivedEvent;
import io.grantry.eventstore.audit.Checkpoint;
import io.grantry.eventstore.audit.CheckpointSignatures;
import io.grantry.eventstore.audit.EventJson;
import io.grantry.eventstore.audit.LedgerReader;
import io.grantry.eventstore.audit.LedgerVerifier;
import io.grantry.eventstore.merkle.MerkleTree;
import io.grantry.eventstore.merkle.NoteKey;
import io.grantry.server.audit.LedgerCheckpoints;
import io.grantry.server.audit.LedgerNoteKeys;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The auditor's tools. Tamper evidence: verify the ledger (in the database or an export file) and
 * export it. History and as-of are {@link AuditHistoryCommand} and {@link AuditAsOfCommand};
 * archival of long-dead grants is {@link ArchiveCommand}.
 *
 * <p>Why one long file: it holds the two subcommands that read the whole ledger, {@code verify} and
 * {@code export}, which share the export file format, the streaming reader and the progress
 * display; history and as-of already live in files of their own.
 */
@Command(
    name = "audit",
    mixinStandardHelpOptions = true,
    description =
        "Verify and export the ledger; a grant's, user's or client's history; the state as of an instant.",
    subcommands = {
      AuditCommand.Verify.class,
      AuditCommand.Export.class,
      AuditProveCommand.class,
      AuditVerifyProofCommand.class,
      AuditHistoryCommand.class,
      AuditAsOfCommand.class,
      ArchiveCommand.class
    })
final class AuditCommand {
  static final String FORMAT = "grantry-audit-export/1";
  static final int PAGE = 5000;

  /** Exit code of a verification that found tampering. */
  static final int TAMPERED = 4;

  @Command(
      name = "verify",
      mixinStandardHelpOptions = true,
      description =
          "Check every event hash, every stream chain, the running digest and every signed checkpoint,"
              + " in the database or in an export file (offline); exits "
              + TAMPERED
              + " naming the first bad position.")
  static final class Verify implements Callable<Integer> {
    @Option(
        names = "--file",
        paramLabel = "FILE",
        description = "Verify this export (JSON Lines) instead of the database.")
    Path file;

    @Option(
        names = "--jwks",
        paramLabel = "FILE",
        description =
            "Trust only these public keys ({\"keys\": [...]}, e.g. saved from /jwks). Default: the keys the"
                + " ledger itself published (or the export's header).")
    Path jwks;

    @Option(
        names = "--archives",
        paramLabel = "DIR",
        description =
            "A directory holding archive files written by `audit archive`: the archived events found there"
                + " are checked too. Without it, archived events are checked by the hashes the ledger kept, and the"
                + " ranges whose content only the archives hold are listed.")
    Path archives;

    @Option(
        names = "--expect",
        paramLabel = "FILE",
        description =
            "A signed tree head kept from an earlier look at this ledger (a copy of /ledger/checkpoint,"
                + " a witness's, or one a proof carried): the ledger must extend it. Catches a ledger whose"
                + " newest part was cut off (truncated, rolled back) or that was rewritten (forked). Repeatable.")
    List<Path> expect = new ArrayList<>();

    @Option(
        names = "--note-key",
        paramLabel = "VKEY",
        description =
            "Trust only this verifier key for the tree heads' signed notes (from /ledger/key, kept"
                + " elsewhere). Default: the note keys the ledger itself published (or the export's JWKS)."
                + " Repeatable.")
    List<String> noteKeys = new ArrayList<>();

    @Option(
        names = "--tiles",
        description =
            "Check only the stored copy of the Merkle tree that proofs are read from (every node of"
                + " ledger_tree_nodes and every tile's leaf hashes in ledger_tree_tile_leaves) against the"
                + " newest signed checkpoint, without reading the events: seconds where the full verification"
                + " takes minutes; names a changed node or tile row.")
    boolean tiles;

    @Override
    public Integer call() throws Exception {
      JsonObject pinned = jwks == null ? null : new JsonObject(Files.readString(jwks));
      if (tiles) {
        if (file != null || archives != null || !expect.isEmpty() || !noteKeys.isEmpty()) {
          throw new CliFailure(
              2,
              "--tiles checks the database's stored tree against its newest signed checkpoint;"
                  + " --file, --archives, --expect and --note-key are for the full verification");
        }
        return StoredTree.verify(pinned);
      }
      List<NoteKey> pinnedNoteKeys = new ArrayList<>();
      for (String k : noteKeys) {
        try {
          pinnedNoteKeys.add(NoteKey.verifier(k));
        } catch (IllegalArgumentException e) {
          throw new CliFailure(2, "--note-key: " + e.getMessage());
        }
      }
      List<TreeHeadFile> heads = new ArrayList<>();
      for (Path f : expect) {
        heads.add(TreeHeadFile.read(f));
      }
      if (file != null && archives != null) {
        throw new CliFailure(
            2,
            "--archives is for verifying the database; an export lists archived events by their hashes");
      }
      List<String> notes = new ArrayList<>();
      Trust trust = new Trust(pinned, pinnedNoteKeys, heads);
      LedgerVerifier.Result r =
          file != null ? verifyFile(file, trust, notes) : verifyDatabase(trust, archives, notes);
      if (r.ok()) {
        trust.checkHeads();
      }
      System.out.println(r.summary());
      if (r.ok() && r.root() != null) {
        System.out.println(
            "Merkle tree (RFC 9162) over the " + r.treeSize() + " events: root " + r.rootBase64());
      }
      notes.forEach(System.out::println);
      if (!r.ok()) {
        throw new CliFailure(
            TAMPERED,
            "the ledger does not verify: first bad position "
                + r.firstBad()
                + " ("
                + r.problem().name().toLowerCase()
                + ")");
      }
      return 0;
    }

    private static LedgerVerifier.Result verifyDatabase(
        Trust trust, Path archives, List<String> notes) throws Exception {
      try (CliSupport.Db db = CliSupport.Db.open()) {
        EventStore store = EventStore.create(db.vertx, db.pool, EventStoreOptions.defaults());
        LedgerCheckpoints.FromLedger learned = new LedgerCheckpoints.FromLedger();
        LedgerVerifier v =
            new LedgerVerifier(
                trust.jwks != null ? LedgerCheckpoints.verifier(trust.jwks) : learned);
        trust.apply(v, learned::noteKeys);
        v.expectStreams(streamsFitInMemory(db));
        // A database whose server predates the stored tiles (V24) has no such table: its ledger
        // verifies all the same, and there is nothing stored to check against it.
        boolean tilesTable = StoredTree.hasTileRows(db);
        if (tilesTable) {
          v.storedTiles(new StoredTiles(db.pool));
        }
        v.storedNodes(new StoredNodes(db.pool));
        ArchiveFiles files =
            ArchiveFiles.open(
                CliSupport.await(store.readStream(ArchiveManifest.STREAM)), archives, v);
        Progress progress = Progress.start("verified", countEvents(db, GlobalPosition.START, null));
        verifyPipeline(db, store, v, learned, files, progress);
        progress.done();
        files.finish(v);
        notes.addAll(files.report(20));
        LedgerVerifier.Result r = v.finish();
        if (r.ok() && !tilesTable) {
          notes.add(
              "This database has no stored tiles of the Merkle tree (its schema predates them);"
                  + " the tree was checked from the events");
        }
        if (r.ok() && v.tilesChecked() + v.tilesNotStored() > 0) {
          notes.add(
              "Stored tiles of the Merkle tree (what proofs are read from): "
                  + v.tilesChecked()
                  + " match the events"
                  + (v.tilesNotStored() > 0
                      ? "; "
                          + v.tilesNotStored()
                          + " complete tile(s) have none stored yet (the server stores them after"
                          + " its next checkpoints; proofs read their events meanwhile)"
                      : ""));
        }
        if (r.ok() && v.nodesChecked() + v.nodesNotStored() > 0) {
          notes.add(
              "Stored nodes of the Merkle tree: "
                  + v.nodesChecked()
                  + " match the events"
                  + (v.nodesNotStored() > 0
                      ? "; "
                          + v.nodesNotStored()
                          + " not stored (those after the newest tree head are stored with the next"
                          + " checkpoint)"
                      : ""));
        }
        return r;
      }
    }

    /**
     * The leaf hashes the server stored for complete tiles (ledger_tree_tile_leaves), read {@value
     * #TILES} tiles at a time in the order the verifier asks for them.
     */
    private static final class StoredTiles implements LedgerVerifier.StoredTiles {
      static final int TILES = 512;
      private final Pool pool;
      private final Map<Long, byte[]> page = new HashMap<>();
      private long pageEnd = -1;

      StoredTiles(Pool pool) {
        this.pool = pool;
      }

      @Override
      public byte[] leaves(long tile) throws Exception {
        if (tile >= pageEnd || !page.isEmpty() && tile < pageEnd - TILES) {
          page.clear();
          for (Row r :
              CliSupport.await(
                  pool.preparedQuery(
                          "SELECT tile, leaves FROM ledger_tree_tile_leaves"
                              + " WHERE tile >= $1 AND tile < $2")
                      .execute(Tuple.of(tile, tile + TILES)))) {
            page.put(r.getLong(0), r.getBuffer(1).getBytes());
          }
          pageEnd = tile + TILES;
        }
        return page.get(tile);
      }
    }

    /**
     * The nodes the server stored (ledger_tree_nodes), read {@value #NODES} of a level at a time in
     * the order the verifier asks for them (increasing index per level).
     */
    private static final class StoredNodes implements LedgerVerifier.StoredNodes {
      static final int NODES = 1024;
      private final Pool pool;
      private final Map<Integer, Map<Long, byte[]>> pages = new HashMap<>();
      private final Map<Integer, long[]> ranges = new HashMap<>();

      StoredNodes(Pool pool) {
        this.pool = pool;
      }

      @Override
      public byte[] node(int level, long index) throws Exception {
        long[] range = ranges.get(level);
        if (range == null || index < range[0] || index >= range[1]) {
          Map<Long, byte[]> page = new HashMap<>();
          for (Row r :
              CliSupport.await(
                  pool.preparedQuery(
                          "SELECT idx, hash FROM ledger_tree_nodes"
                              + " WHERE level = $1 AND idx >= $2 AND idx < $3")
                      .execute(Tuple.of((short) level, index, index + NODES)))) {
            page.put(r.getLong(0), r.getBuffer(1).getBytes());
          }
          pages.put(level, page);
          ranges.put(level, new long[] {index, index + NODES});
        }
        return pages.get(level).get(index);
      }
    }

    /**
     * The events stream in with one COPY (see {@link LedgerCopy}); each page's JSON is parsed and
     * its hashes checked against the events' content on every core, and the verifier's sequential
     * part (chains, digest, checkpoints) takes the pages in commit order, the stubs of archived
     * events merged in by their own COPY-free read (there are few, and they are read in pages).
     */
    static void verifyPipeline(
        CliSupport.Db db,
        EventStore store,
        LedgerVerifier v,
        LedgerCheckpoints.FromLedger learned,
        ArchiveFiles files,
        Progress progress)
        throws Exception {
      Stubs stubs = new Stubs(new LedgerReader(store));
      int threads = Math.max(1, Runtime.getRuntime().availableProcessors());
      try (Connection c = db.jdbc()) {
        c.setAutoCommit(false);
        c.setReadOnly(true);
        LedgerCopy.pipeline(
            c,
            GlobalPosition.START,
            LedgerCopy.Columns.FULL,
            PAGE,
            threads,
            raws -> {
              EventHash.FromText hasher = new EventHash.FromText();
              MessageDigest md = hasher.digest();
              List<RecordedEvent> events = new ArrayList<>(raws.size());
              boolean[] hashOk = new boolean[raws.size()];
              byte[][] leaves = new byte[raws.size()][];
              for (int i = 0; i < raws.size(); i++) {
                LedgerCopy.Raw r = raws.get(i);
                byte[] h =
                    hasher.hash(
                        r.prevHash(),
                        r.streamId(),
                        r.version(),
                        r.eventId(),
                        r.type(),
                        r.recordedAtPgMicros() + LedgerCopy.PG_EPOCH_MICROS,
                        r.payload(),
                        r.metadata());
                if (h != null && Arrays.equals(h, r.hash()) && !readsJson(r.streamId())) {
                  // Verified from the text; nothing after this reads the JSON of such an event.
                  events.add(r.withoutJson());
                  hashOk[i] = true;
                } else {
                  // Parsed as everywhere else; a mismatch is decided here, by the reference
                  // encoding.
                  RecordedEvent e = r.decode();
                  events.add(e);
                  hashOk[i] = Arrays.equals(EventHash.of(e), e.hash());
                }
                // The Merkle leaf hash needs nothing but the event's hash: here, on every core.
                leaves[i] = MerkleTree.leafHash(md, r.hash());
              }
              return new Checked(events, hashOk, leaves);
            },
            (raws, page) -> {
              for (int i = 0; i < page.events.size(); i++) {
                RecordedEvent e = page.events.get(i);
                if (!stubs.acceptBefore(e.commitOrder(), files, v)) {
                  return false;
                }
                learned.observe(e);
                files.kept(e, v);
                if (!v.accept(e, page.hashOk[i], page.leaves[i])) {
                  return false;
                }
              }
              progress.add(page.events.size());
              return true;
            });
        // Read-only, so nothing to commit. When the verifier stops at a bad event, the reader's
        // COPY is cancelled, and the server's answer to the cancel (57014, "canceling statement
        // due to user request", or whatever a late cancel does to the next statement) comes with
        // the next statement: it must not replace the finding (seen on a 5M-event ledger, where
        // the COPY is still sending when the first page is checked). The connection is closed
        // after it.
        try {
          c.rollback();
        } catch (SQLException e) {
          if (!v.failed()) {
            throw e;
          }
        }
      }
      if (!v.failed()) {
        stubs.acceptBefore(null, files, v);
      }
    }

    private record Checked(List<RecordedEvent> events, boolean[] hashOk, byte[][] leaves) {}

    /**
     * The streams whose events' content the sequential part reads: checkpoints (the verifier) and
     * signing keys (the keys it learns). Every other event is handed on without its JSON.
     */
    private static boolean readsJson(String streamId) {
      return Checkpoint.STREAM.equals(streamId)
          || "keys".equals(streamId)
          || LedgerNoteKeys.STREAM.equals(streamId);
    }

    /**
     * The stubs of archived events in commit order, read a page at a time as the events pass them.
     */
    private static final class Stubs {
      private final LedgerReader reader;
      private List<ArchivedEvent> page = List.of();
      private int next;
      private GlobalPosition after = GlobalPosition.START;
      private boolean exhausted;

      Stubs(LedgerReader reader) {
        this.reader = reader;
      }

      /**
       * Checks every stub before {@code at} (every one left when null); false once verification
       * failed.
       */
      boolean acceptBefore(GlobalPosition at, ArchiveFiles files, LedgerVerifier v)
          throws Exception {
        while (true) {
          if (next == page.size()) {
            if (exhausted) {
              return true;
            }
            page = CliSupport.await(reader.stubs(after, PAGE));
            next = 0;
            // Archived events are all committed long ago: a short page is the end.
            exhausted = page.size() < PAGE;
            if (page.isEmpty()) {
              return true;
            }
            after = page.get(page.size() - 1).commitOrder();
          }
          ArchivedEvent s = page.get(next);
          if (at != null && s.commitOrder().compareTo(at) >= 0) {
            return true;
          }
          next++;
          if (!files.archived(s, v)) {
            return false;
          }
        }
      }
    }

    static LedgerVerifier.Result verifyFile(Path file, Trust trust, List<String> notes)
        throws Exception {
      try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        String first = in.readLine();
        JsonObject header = first == null ? null : new JsonObject(first);
        if (header == null || !FORMAT.equals(header.getString("format"))) {
          throw new CliFailure(
              2, file + " is not a grantry audit export (no " + FORMAT + " header)");
        }
        JsonObject headerJwks = header.getJsonObject("jwks", new JsonObject());
        CheckpointSignatures signatures =
            LedgerCheckpoints.verifier(trust.jwks != null ? trust.jwks : headerJwks);
        JsonObject anchor = header.getJsonObject("anchor");
        LedgerVerifier v =
            anchor == null
                ? new LedgerVerifier(signatures)
                : new LedgerVerifier(signatures, Checkpoint.fromPayload(anchor));
        List<NoteKey> fromHeader;
        try {
          fromHeader = LedgerCheckpoints.noteKeys(headerJwks);
        } catch (IllegalArgumentException e) {
          throw new CliFailure(TAMPERED, "the export's note keys are malformed: " + e.getMessage());
        }
        trust.apply(v, () -> fromHeader);
        Progress progress = Progress.start("verified", 0);
        long size = Files.size(file);
        long bytes = first.length() + 1L;
        String line;
        int n = 0;
        while (!v.failed() && (line = in.readLine()) != null) {
          bytes += line.length() + 1L;
          if (line.isBlank()) {
            continue;
          }
          JsonObject j = parse(line);
          if (j.containsKey("archived")) {
            // An archived event: its hashes stand in for it (its content is in the archive file).
            try {
              v.acceptArchived(ArchivedEvent.fromJson(j));
            } catch (IllegalArgumentException ex) {
              throw new CliFailure(TAMPERED, CliSupport.oneLine(ex));
            }
          } else {
            v.accept(fromJson(j));
          }
          if (++n == PAGE) {
            // The total is estimated from the share of the file read so far (characters as bytes:
            // the lines are almost all ASCII, and an estimate is all an ETA needs).
            progress.total(
                Math.max(
                    progress.count() + n,
                    (long) ((progress.count() + n) * (size / (double) bytes))));
            progress.add(n);
            n = 0;
          }
        }
        progress.add(n);
        progress.done();
        if (v.archivedUnchecked() > 0) {
          notes.add(
              v.archivedUnchecked()
                  + " archived events were checked by the hashes the ledger kept"
                  + " (their content is in the archive files; verify the database with --archives to check it)");
        }
        return v.finish();
      }
    }
  }

  @Command(
      name = "export",
      mixinStandardHelpOptions = true,
      description =
          "Write the ledger as JSON Lines in commit order: a header with the public JWKS (and the signed"
              + " checkpoint the export starts after), then one event a line with its hashes, checkpoints included.")
  static final class Export implements Callable<Integer> {
    @Option(
        names = "--from",
        paramLabel = "TXID:POSITION",
        description =
            "Start at this commit-order position; the export begins right after the last signed checkpoint"
                + " before it, so that it can be verified (default: the start of the ledger).")
    String from;

    @Option(
        names = "--to",
        paramLabel = "TXID:POSITION",
        description = "Last event to export, inclusive (default: the newest).")
    String to;

    @Option(
        names = {"-o", "--output"},
        paramLabel = "FILE",
        description = "Write here instead of standard output.")
    Path output;

    @Override
    public Integer call() throws Exception {
      GlobalPosition start = from == null ? null : GlobalPosition.parse(from);
      GlobalPosition end = to == null ? null : GlobalPosition.parse(to);
      try (CliSupport.Db db = CliSupport.Db.open();
          Writer out =
              output != null
                  ? Files.newBufferedWriter(output, StandardCharsets.UTF_8)
                  : new BufferedWriter(
                      new OutputStreamWriter(new NoClose(System.out), StandardCharsets.UTF_8))) {
        EventStore store = EventStore.create(db.vertx, db.pool, EventStoreOptions.defaults());
        JsonArray keys = new JsonArray();
        for (RecordedEvent e : CliSupport.await(store.readStream("keys"))) {
          if (SigningKeyGenerated.TYPE.equals(e.type())
              && e.payload().getJsonObject("public_jwk") != null) {
            keys.add(e.payload().getJsonObject("public_jwk"));
          }
        }
        // The note keys that sign the tree heads, besides the token signing keys.
        LedgerNoteKeys.jwks(CliSupport.await(store.readStream(LedgerNoteKeys.STREAM)))
            .forEach(keys::add);
        JsonObject anchor = null;
        if (start != null) {
          for (RecordedEvent e : CliSupport.await(store.readStream(Checkpoint.STREAM))) {
            Checkpoint c = Checkpoint.fromPayload(e.payload());
            if (c.position().compareTo(start) < 0) {
              anchor = e.payload();
            }
          }
        }
        GlobalPosition at =
            anchor == null ? GlobalPosition.START : Checkpoint.fromPayload(anchor).position();
        JsonObject header =
            new JsonObject()
                .put("format", FORMAT)
                .put("from", at.toString())
                .put("to", end == null ? null : end.toString())
                .put("exported_at", Instant.now().toString())
                .put("jwks", new JsonObject().put("keys", keys))
                .put("anchor", anchor);
        out.write(header.encode());
        out.write('\n');
        Progress progress = Progress.start("exported", countEvents(db, at, end));
        LedgerReader reader = new LedgerReader(store);
        while (true) {
          // Archived events appear as their stubs (hashes, no content), so the export still
          // verifies.
          List<LedgerReader.Entry> page = CliSupport.await(reader.read(at, PAGE));
          boolean past = false;
          int n = 0;
          for (LedgerReader.Entry e : page) {
            if (end != null && e.commitOrder().compareTo(end) > 0) {
              past = true;
              break;
            }
            out.write((e.event() != null ? toJson(e.event()) : e.archived().toJson()).encode());
            out.write('\n');
            n++;
          }
          progress.add(n);
          if (past || page.isEmpty()) {
            break;
          }
          at = page.get(page.size() - 1).commitOrder();
        }
        progress.doneWithSummary();
      }
      return 0;
    }
  }

  /**
   * Events after {@code from} up to {@code to} (inclusive; null: all), for the progress bar's
   * total.
   */
  /**
   * What verification keeps besides the stream heads, at most: the pages of events in flight on
   * every core, the running digest's history since the last checkpoint, the tree's frontier
   * (measured: a 5M-event ledger verifies in -Xmx448m, its heads taking 308 MB).
   */
  static final long VERIFY_RESERVE_BYTES = 64L << 20;

  /**
   * The ledger's stream count, once it is clear the heads of that many streams fit in this JVM's
   * heap (every stream's head is kept to the end: any stream may get its next event at any later
   * position). Refuses up front, naming the -Xmx to use, rather than failing with an
   * OutOfMemoryError part of the way through a long verification.
   */
  static long streamsFitInMemory(CliSupport.Db db) throws Exception {
    long streams =
        CliSupport.await(db.pool.query("SELECT count(*) FROM streams").execute())
            .iterator()
            .next()
            .getLong(0);
    long need = LedgerVerifier.headsBytes(streams) + VERIFY_RESERVE_BYTES;
    long max = Runtime.getRuntime().maxMemory();
    if (max < need) {
      // -Xmx names more than maxMemory() reports (a survivor space is left out of it): ask for a
      // fifth more, in steps of 64 MB.
      long mb = ((need + need / 5) >> 26) + 1 << 6;
      throw new CliFailure(
          CliFailure.FAILED,
          "verifying this ledger needs about "
              + mb
              + " MB of heap (its "
              + streams
              + " streams' heads and the events in flight), and this JVM may use "
              + (max >> 20)
              + " MB: run it as java -Xmx"
              + mb
              + "m -jar grantry.jar audit verify ...");
    }
    return streams;
  }

  static long countEvents(CliSupport.Db db, GlobalPosition from, GlobalPosition to)
      throws Exception {
    return countRows(db, "events", from, to) + countRows(db, "archived_events", from, to);
  }

  private static long countRows(
      CliSupport.Db db, String table, GlobalPosition from, GlobalPosition to) throws Exception {
    var rows =
        CliSupport.await(
            to == null
                ? db.pool
                    .preparedQuery(
                        "SELECT count(*) FROM " + table + " WHERE (txid, position) > ($1, $2)")
                    .execute(Tuple.of(from.txid(), from.position()))
                : db.pool
                    .preparedQuery(
                        "SELECT count(*) FROM "
                            + table
                            + " WHERE (txid, position) > ($1, $2)"
                            + " AND (txid, position) <= ($3, $4)")
                    .execute(Tuple.of(from.txid(), from.position(), to.txid(), to.position())));
    return rows.iterator().next().getLong(0);
  }

  static JsonObject toJson(RecordedEvent e) {
    return EventJson.toJson(e);
  }

  private static JsonObject parse(String line) {
    try {
      return new JsonObject(line);
    } catch (RuntimeException ex) {
      throw new CliFailure(TAMPERED, "a line of the export is not JSON: " + CliSupport.oneLine(ex));
    }
  }

  static RecordedEvent fromJson(JsonObject j) {
    try {
      return EventJson.fromJson(j);
    } catch (IllegalArgumentException ex) {
      throw new CliFailure(TAMPERED, CliSupport.oneLine(ex));
    }
  }

  /**
   * What an audit trusts besides the ledger itself: pinned token keys (a JWKS), pinned note keys,
   * and tree heads the ledger must extend.
   */
  static final class Trust {
    final JsonObject jwks;
    final List<NoteKey> noteKeys;
    final List<TreeHeadFile> heads;

    Trust(JsonObject jwks, List<NoteKey> noteKeys, List<TreeHeadFile> heads) {
      this.jwks = jwks;
      this.noteKeys = noteKeys;
      this.heads = heads;
    }

    private Supplier<List<NoteKey>> keys;

    /**
     * Sets the note keys (the pinned ones, else {@code learned}) and the pinned heads on {@code v}.
     * A pinned head must be signed by a pinned note key: checked now (by a learned one: checked by
     * {@link #checkHeads()} once the ledger was read).
     */
    void apply(LedgerVerifier v, Supplier<List<NoteKey>> learned) {
      keys = noteKeys.isEmpty() ? learned : () -> noteKeys;
      v.noteKeys(keys);
      for (TreeHeadFile h : heads) {
        if (!noteKeys.isEmpty()) {
          h.checkSignature(noteKeys);
        }
        v.expect(h.pin());
      }
    }

    /** Every pinned head is signed by a note key of the ledger (exit 2 if not). */
    void checkHeads() {
      for (TreeHeadFile h : heads) {
        h.checkSignature(keys.get());
      }
    }
  }

  /** Standard output, left open when the writer over it closes. */
  private static final class NoClose extends FilterOutputStream {
    NoClose(OutputStream out) {
      super(out);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
