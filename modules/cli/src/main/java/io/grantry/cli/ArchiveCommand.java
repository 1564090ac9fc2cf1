package io.grantry.cli;

import io.grantry.domain.grant.AccessTokenRevoked;
import io.grantry.domain.grant.AuthorizationCodeIssued;
import io.grantry.domain.grant.AuthorizationCodeRedeemed;
import io.grantry.domain.grant.AuthorizationCodeReplayed;
import io.grantry.domain.grant.ClientCredentialsIssued;
import io.grantry.domain.grant.GrantEvent;
import io.grantry.domain.grant.GrantEventCodec;
import io.grantry.domain.grant.GrantRevoked;
import io.grantry.domain.grant.GrantTokens;
import io.grantry.domain.grant.RefreshTokenReuseDetected;
import io.grantry.domain.grant.RefreshTokenRotated;
import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.EventStoreOptions;
import io.grantry.eventstore.ExpectedVersion;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.NewEvent;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.eventstore.audit.ArchiveManifest;
import io.grantry.eventstore.audit.Checkpoint;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Cursor;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import io.vertx.sqlclient.Tuple;
import java.io.BufferedWriter;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Moves the streams of long-dead grants out of the ledger into an archive file, keeping their
 * provability (ops/audit.md, Archive). A grant is dead once it is revoked, or once every code and
 * token it ever issued has expired; it is archived when that was more than {@code --older-than}
 * days ago and all its events precede the newest signed checkpoint.
 *
 * <p>The steps, each safe to interrupt: (1) scan the grant streams; (2) write the archive file (a
 * header, then every event of the chosen streams in commit order, as {@code audit export} writes
 * them), synced to disk and renamed into place; (3) append the manifest event naming the file's
 * SHA-256; (4) in transactions of a few hundred streams, copy each event's hashes into {@code
 * archived_events} and delete the event (the trigger allows exactly that, see V5), and delete the
 * grant's token-state rows. Streams that got a new event since the scan are left alone. Clients,
 * users, keys, consents and checkpoints are never archived.
 *
 * <p>Why one long file: the four steps above are one interruptible procedure whose safety argument
 * (each step can be repeated or resumed) is easier to check when they are read in order in one
 * place.
 */
@Command(
    name = "archive",
    mixinStandardHelpOptions = true,
    description =
        "Move every event of grants dead (revoked, or every token expired) for more than DAYS days, and"
            + " covered by a signed checkpoint, into DIR/<archive id>.jsonl; the ledger keeps their hashes and a"
            + " manifest with the file's SHA-256, so `audit verify` still proves them.")
final class ArchiveCommand implements Callable<Integer> {
  private static final int SCAN_PAGE = 5000;
  private static final int FETCH = 1000;
  private static final int MOVE_STREAMS = 500;
  private static final String SCAN =
      "SELECT position, txid, stream_id, version, type, payload FROM events"
          + " WHERE stream_id LIKE 'grant:%' ORDER BY stream_id, version";
  private static final String FETCH_SQL =
      "SELECT position, txid, event_id, stream_id, version, type, payload,"
          + " metadata, recorded_at, prev_hash, hash FROM events WHERE position = ANY($1) ORDER BY txid, position";

  /** Where the current time comes from (tests substitute a clock). */
  static volatile Clock clock = Clock.systemUTC();

  @Option(
      names = "--older-than",
      paramLabel = "DAYS",
      required = true,
      description = "Archive grants dead for more than this many days (at least 1).")
  int days;

  @Option(
      names = "--out",
      paramLabel = "DIR",
      required = true,
      description = "Directory to write the archive file into.")
  Path out;

  @Option(names = "--dry-run", description = "Only say what would be archived.")
  boolean dryRun;

  /** What the scan learned about one grant stream. */
  private static final class Scan {
    final String streamId;
    long version;
    Instant lastEvent = Instant.MIN;
    Instant lastExpiry = Instant.MIN;
    boolean revoked;
    boolean unreadable;
    boolean afterCheckpoint;
    final List<long[]> positions = new ArrayList<>();

    Scan(String streamId) {
      this.streamId = streamId;
    }

    Instant deadSince() {
      return revoked ? lastEvent : max(lastEvent, lastExpiry);
    }
  }

  @Override
  public Integer call() throws Exception {
    if (days < 1) {
      throw new CliFailure(2, "--older-than must be at least 1 day, got " + days);
    }
    Instant cutoff = clock.instant().minus(Duration.ofDays(days));
    try (CliSupport.Db db = CliSupport.Db.open()) {
      EventStore store = EventStore.create(db.vertx, db.pool, EventStoreOptions.defaults());
      List<RecordedEvent> checkpoints = CliSupport.await(store.readStream(Checkpoint.STREAM));
      if (checkpoints.isEmpty()) {
        throw new CliFailure(
            2,
            "the ledger has no signed checkpoint yet: only events a checkpoint covers can be"
                + " archived (the server writes one every GRANTRY_CHECKPOINT_INTERVAL_MS)");
      }
      GlobalPosition through =
          Checkpoint.fromPayload(checkpoints.get(checkpoints.size() - 1).payload()).position();

      Map<String, Scan> chosen = scan(db, through, cutoff);
      long events = chosen.values().stream().mapToLong(s -> s.positions.size()).sum();
      if (chosen.isEmpty()) {
        System.out.println(
            "Nothing to archive: no grant dead before "
                + cutoff
                + " is covered by a signed checkpoint.");
        return 0;
      }
      if (dryRun) {
        System.out.println(
            "Would archive "
                + events
                + " events of "
                + chosen.size()
                + " grants dead before "
                + cutoff
                + " (through checkpoint "
                + through
                + ").");
        return 0;
      }
      Files.createDirectories(out);
      String id =
          "archive-"
              + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
                  .withZone(ZoneOffset.UTC)
                  .format(clock.instant())
              + "-"
              + HexFormat.of().formatHex(randomBytes(3));
      List<long[]> order = new ArrayList<>();
      chosen.values().forEach(s -> order.addAll(s.positions));
      order.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0]) : Long.compare(a[1], b[1]));
      ArchiveManifest manifest =
          new ArchiveManifest(id, null, events, chosen.size(), through, cutoff);
      Path file = out.resolve(manifest.fileName());
      String sha = write(db, manifest, order, file);
      manifest = new ArchiveManifest(id, sha, events, chosen.size(), through, cutoff);
      RecordedEvent recorded =
          CliSupport.await(
                  store.append(
                      ArchiveManifest.STREAM,
                      ExpectedVersion.ANY,
                      NewEvent.of(
                          ArchiveManifest.TYPE,
                          manifest.toPayload(),
                          new JsonObject().put("actor", "cli:audit archive"))))
              .events()
              .get(0);
      long moved = move(db, id, new ArrayList<>(chosen.values()));
      System.out.println(
          "Archived "
              + moved
              + " events of "
              + chosen.size()
              + " grants dead before "
              + cutoff
              + " into "
              + file);
      System.out.println(
          "SHA-256 "
              + sha
              + ", manifest recorded at "
              + recorded.commitOrder()
              + "; keep the file: `grantry audit verify --archives "
              + out
              + "` checks it against the ledger.");
      if (moved < events) {
        System.out.println(
            (events - moved) + " events stayed in the database (their grant changed meanwhile).");
      }
      return 0;
    }
  }

  /**
   * The dead grant streams whose every event precedes {@code through}, in one pass over a cursor.
   */
  private static Map<String, Scan> scan(CliSupport.Db db, GlobalPosition through, Instant cutoff)
      throws Exception {
    Map<String, Scan> chosen = new LinkedHashMap<>();
    SqlConnection conn = CliSupport.await(db.pool.getConnection());
    try {
      Transaction tx = CliSupport.await(conn.begin());
      Cursor cursor = CliSupport.await(conn.prepare(SCAN)).cursor();
      Scan current = null;
      Progress progress = Progress.start("scanned", 0);
      do {
        RowSet<Row> rows = CliSupport.await(cursor.read(SCAN_PAGE));
        for (Row r : rows) {
          String stream = r.getString("stream_id");
          if (current == null || !current.streamId.equals(stream)) {
            choose(current, cutoff, chosen);
            current = new Scan(stream);
          }
          observe(current, r, through);
        }
        progress.add(rows.size());
      } while (cursor.hasMore());
      choose(current, cutoff, chosen);
      progress.done();
      CliSupport.await(cursor.close());
      CliSupport.await(tx.rollback());
    } finally {
      CliSupport.await(conn.close());
    }
    return chosen;
  }

  private static void choose(Scan s, Instant cutoff, Map<String, Scan> chosen) {
    if (s != null && !s.unreadable && !s.afterCheckpoint && s.deadSince().isBefore(cutoff)) {
      chosen.put(s.streamId, s);
    }
  }

  private static void observe(Scan s, Row r, GlobalPosition through) {
    GlobalPosition at = new GlobalPosition(r.getLong("txid"), r.getLong("position"));
    s.positions.add(new long[] {at.txid(), at.position()});
    s.version = r.getLong("version");
    s.afterCheckpoint |= at.compareTo(through) > 0;
    Object payload = r.getValue("payload");
    GrantEvent e;
    try {
      e =
          GrantEventCodec.INSTANCE.fromJson(
              r.getString("type"),
              payload instanceof JsonObject o ? o : new JsonObject(String.valueOf(payload)));
    } catch (RuntimeException ex) {
      s.unreadable = true; // an event this version does not know: keep the grant
      return;
    }
    if (e instanceof AuthorizationCodeIssued c) {
      s.lastEvent = max(s.lastEvent, c.issuedAt());
      s.lastExpiry = max(s.lastExpiry, c.expiresAt());
    } else if (e instanceof AuthorizationCodeRedeemed c) {
      s.lastEvent = max(s.lastEvent, c.redeemedAt());
      s.lastExpiry = max(s.lastExpiry, c.accessTokenExpiresAt());
      s.lastExpiry = max(s.lastExpiry, c.refreshTokenExpiresAt().orElse(Instant.MIN));
    } else if (e instanceof RefreshTokenRotated c) {
      s.lastEvent = max(s.lastEvent, c.rotatedAt());
      s.lastExpiry = max(s.lastExpiry, max(c.accessTokenExpiresAt(), c.refreshTokenExpiresAt()));
    } else if (e instanceof ClientCredentialsIssued c) {
      s.lastEvent = max(s.lastEvent, c.issuedAt());
      s.lastExpiry = max(s.lastExpiry, c.expiresAt());
    } else if (e instanceof GrantRevoked c) {
      s.revoked = true;
      s.lastEvent = max(s.lastEvent, c.revokedAt());
    } else if (e instanceof AccessTokenRevoked c) {
      s.lastEvent = max(s.lastEvent, c.revokedAt());
    } else if (e instanceof RefreshTokenReuseDetected c) {
      s.lastEvent = max(s.lastEvent, c.detectedAt());
    } else if (e instanceof AuthorizationCodeReplayed c) {
      s.lastEvent = max(s.lastEvent, c.replayedAt());
    } else {
      s.unreadable = true;
    }
  }

  /**
   * Writes the archive file (via a temporary file, synced, then renamed); answers its hex SHA-256.
   */
  private static String write(CliSupport.Db db, ArchiveManifest m, List<long[]> order, Path file)
      throws Exception {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    MessageDigest sha = EventHash.sha256();
    try (FileChannel ch =
        FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      OutputStream raw = Channels.newOutputStream(ch);
      Writer w =
          new BufferedWriter(
              new OutputStreamWriter(new DigestOutputStream(raw, sha), StandardCharsets.UTF_8));
      w.write(
          new JsonObject()
              .put("format", ArchiveManifest.FORMAT)
              .put("archive_id", m.archiveId())
              .put("through", m.through().toString())
              .put("cutoff", m.cutoff().toString())
              .put("events", m.events())
              .put("streams", m.streams())
              .put("created_at", clock.instant().toString())
              .encode());
      w.write('\n');
      Progress progress = Progress.start("archived", order.size());
      for (int i = 0; i < order.size(); i += FETCH) {
        List<long[]> chunk = order.subList(i, Math.min(order.size(), i + FETCH));
        Long[] positions = chunk.stream().map(p -> p[1]).toArray(Long[]::new);
        RowSet<Row> rows =
            CliSupport.await(
                db.pool.preparedQuery(FETCH_SQL).execute(Tuple.of((Object) positions)));
        if (rows.size() != positions.length) {
          throw new IllegalStateException(
              "events changed while being archived; nothing was removed, run again");
        }
        for (Row r : rows) {
          w.write(AuditCommand.toJson(EventStore.toEvent(r)).encode());
          w.write('\n');
        }
        progress.add(rows.size());
      }
      w.flush();
      ch.force(true);
      progress.done();
    } catch (Exception e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    return HexFormat.of().formatHex(sha.digest());
  }

  /**
   * Moves the events out, a few hundred streams a transaction: each stream is locked and skipped if
   * its version moved since the scan; its events' hashes go to {@code archived_events}, then the
   * events go (allowed by the trigger for this archive only), then its token-state rows.
   */
  private static long move(CliSupport.Db db, String archiveId, List<Scan> streams)
      throws Exception {
    long moved = 0;
    for (int i = 0; i < streams.size(); i += MOVE_STREAMS) {
      List<Scan> chunk = streams.subList(i, Math.min(streams.size(), i + MOVE_STREAMS));
      Map<String, Long> versions = new LinkedHashMap<>();
      chunk.forEach(s -> versions.put(s.streamId, s.version));
      moved +=
          CliSupport.await(
              db.pool.withTransaction(
                  tx ->
                      tx.preparedQuery("SELECT set_config('grantry.archive_id', $1, true)")
                          .execute(Tuple.of(archiveId))
                          .compose(
                              v ->
                                  tx.preparedQuery(
                                          "SELECT stream_id, version FROM streams WHERE stream_id = ANY($1) FOR UPDATE")
                                      .execute(
                                          Tuple.of(
                                              (Object) versions.keySet().toArray(new String[0]))))
                          .compose(
                              rows -> {
                                List<String> same = new ArrayList<>();
                                for (Row r : rows) {
                                  if (versions.get(r.getString(0)).longValue() == r.getLong(1)) {
                                    same.add(r.getString(0));
                                  }
                                }
                                String[] ids = same.toArray(new String[0]);
                                String[] grants =
                                    same.stream()
                                        .map(
                                            sid ->
                                                sid.substring(GrantTokens.STREAM_PREFIX.length()))
                                        .toArray(String[]::new);
                                return tx.preparedQuery(
                                        "INSERT INTO archived_events (position, txid, stream_id, version, prev_hash, hash,"
                                            + " archive_id) SELECT position, txid, stream_id, version, prev_hash, hash, $2 FROM events"
                                            + " WHERE stream_id = ANY($1)")
                                    .execute(Tuple.of(ids, archiveId))
                                    .compose(
                                        v ->
                                            tx.preparedQuery(
                                                    "DELETE FROM events WHERE stream_id = ANY($1)")
                                                .execute(Tuple.of((Object) ids)))
                                    .compose(
                                        deleted ->
                                            tx.preparedQuery(
                                                    "DELETE FROM access_tokens WHERE grant_id = ANY($1)")
                                                .execute(Tuple.of((Object) grants))
                                                .compose(
                                                    v ->
                                                        tx.preparedQuery(
                                                                "DELETE FROM refresh_tokens WHERE grant_id = ANY($1)")
                                                            .execute(Tuple.of((Object) grants)))
                                                .compose(
                                                    v ->
                                                        tx.preparedQuery(
                                                                "DELETE FROM grants WHERE grant_id = ANY($1)")
                                                            .execute(Tuple.of((Object) grants)))
                                                .map(v -> (long) deleted.rowCount()));
                              })));
    }
    return moved;
  }

  private static Instant max(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    new SecureRandom().nextBytes(b);
    return b;
  }
}
