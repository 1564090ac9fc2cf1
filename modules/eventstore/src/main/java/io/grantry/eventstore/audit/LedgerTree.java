package io.grantry.eventstore.audit;

import io.grantry.eventstore.EventHash;
import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.RecordedEvent;
import io.grantry.eventstore.merkle.Frontier;
import io.grantry.eventstore.merkle.InclusionProof;
import io.grantry.eventstore.merkle.MerkleTree;
import io.grantry.eventstore.merkle.MerkleTree.Range;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The Merkle tree's storage (migration V16) and the proofs read from it. The checkpointer builds
 * the tree as it continues from one checkpoint to the next (off the token path) and stores what a
 * proof needs that cannot be had cheaply from the ledger itself:
 *
 * <ul>
 *   <li>{@code ledger_tree_tiles}: where each run of {@value #TILE} leaves (a tile) begins in
 *       commit order, so that the leaves of any tile are one indexed read of at most {@value #TILE}
 *       hashes from the events (and the stubs of archived events);
 *   <li>{@code ledger_tree_nodes}: the root of every perfect subtree of at least {@value #TILE}
 *       leaves (about one row per 128 events);
 *   <li>{@code ledger_tree_tile_leaves} (V24): the {@value #TILE} leaf hashes of every complete
 *       tile as one row of 8 KB, so that a proof reads one row instead of a tile's events, which
 *       lie on some forty pages of the largest table (the incomplete last tile has no row: its
 *       leaves are read from the events);
 *   <li>{@code ledger_tree_heads}: each signed tree head: size, root, frontier (the right edge's
 *       subtree roots), the signed note and witnesses' cosignatures.
 * </ul>
 *
 * An inclusion or consistency proof against a tree head of size {@code n} is made of nodes of that
 * tree: perfect subtrees of a tile or more are stored rows, smaller ones are hashed from one tile's
 * leaves, and the nodes on the tree's right edge are folds of the head's frontier. So a proof costs
 * a fixed handful of indexed reads whatever the ledger's size: the head, the stored nodes (at most
 * one per level), and one tile of leaves (its stored row; the events only for a tile without one).
 * A stored row is used only if it hashes to the tile's stored node: a changed row cannot forge a
 * proof (its path would not reach the signed root), but served as it is it would make every proof
 * of its tile fail ({@link #checkedRow}).
 *
 * <p>Every row is a function of the ledger's prefix, so two servers writing the same rows write the
 * same values ({@code ON CONFLICT DO NOTHING}).
 *
 * <p>Why one long file: the three tables are one layout (tile starts, stored nodes, heads) that the
 * writes and the proof reads must agree on, and a proof resolves its ranges against all three at
 * once ({@link #resolve}); split, each half would have to know the other's layout.
 */
public final class LedgerTree {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(LedgerTree.class);
  public static final int TILE_LEVEL = 8;
  public static final int TILE = 1 << TILE_LEVEL;

  /** The bytes of a tile's stored leaf hashes. */
  public static final int TILE_BYTES = TILE * MerkleTree.HASH_LENGTH;

  private static final String VISIBLE =
      " AND txid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint";

  /**
   * Leaves after a position in commit order: the events every reader can already see and the stubs
   * of archived events, in one statement (one snapshot, so an archival moving events from one table
   * to the other is seen before or after, never half).
   */
  static final String LEAVES_AFTER =
      "(SELECT txid, position, hash, stream_id = 'checkpoints' FROM events"
          + " WHERE (txid, position) > ($1, $2)"
          + VISIBLE
          + " ORDER BY txid, position LIMIT $3)"
          + " UNION ALL (SELECT txid, position, hash, false FROM archived_events"
          + " WHERE (txid, position) > ($1, $2) ORDER BY txid, position LIMIT $3)";

  /**
   * The leaves of one tile, from its first: at most {@value #TILE} of each table. The tree only
   * ever covers leaves that were committed before anything still running, so the first leaves from
   * a tile's start are final; a caller uses no more of them than the tree has.
   */
  private static final String TILE_LEAVES =
      "(SELECT txid, position, hash FROM events WHERE (txid, position) >= ($1, $2)"
          + " ORDER BY txid, position LIMIT $3)"
          + " UNION ALL (SELECT txid, position, hash FROM archived_events"
          + " WHERE (txid, position) >= ($1, $2) ORDER BY txid, position LIMIT $3)";

  private static final String HEAD_COLUMNS =
      "tree_size, txid, position, root, frontier, note, cosignatures, signed_at";

  /** One leaf: an event's place in commit order and its hash. */
  public record Leaf(GlobalPosition at, byte[] hash, boolean checkpoint) {}

  /**
   * A stored tree head.
   *
   * @param last the commit order of the tree's last leaf
   * @param note the signed note (C2SP tlog-checkpoint), null when signed without a note key
   * @param cosignatures witnesses' cosignature lines added since, each ending in a newline
   */
  public record Head(
      long size,
      GlobalPosition last,
      byte[] root,
      Frontier frontier,
      String note,
      String cosignatures,
      Instant signedAt) {
    /** The note with the witnesses' cosignatures after the log's signature. */
    public String noteWithCosignatures() {
      return note == null ? null : note + cosignatures;
    }
  }

  /** What building the tree produced for storage: tile starts and perfect subtrees. */
  public static final class Writes implements Frontier.NodeSink {
    private final List<Long> tiles = new ArrayList<>();
    private final List<Long> tileTxids = new ArrayList<>();
    private final List<Long> tilePositions = new ArrayList<>();
    private final List<Short> levels = new ArrayList<>();
    private final List<Long> indexes = new ArrayList<>();
    private final List<Buffer> hashes = new ArrayList<>();
    private final List<Long> leafTiles = new ArrayList<>();
    private final List<Buffer> leafRows = new ArrayList<>();

    /** Leaf {@code tile * TILE} is the event at {@code at}. */
    public void tile(long tile, GlobalPosition at) {
      tiles.add(tile);
      tileTxids.add(at.txid());
      tilePositions.add(at.position());
    }

    @Override
    public void node(int level, long index, byte[] hash, int offset) {
      levels.add((short) level);
      indexes.add(index);
      hashes.add(Buffer.buffer(Arrays.copyOfRange(hash, offset, offset + MerkleTree.HASH_LENGTH)));
    }

    /**
     * The leaf hashes of the complete tile {@code tile}: {@value LedgerTree#TILE} of them, back to
     * back (the array is kept: pass a copy).
     */
    public void tileLeaves(long tile, byte[] leafHashes) {
      if (leafHashes.length != TILE_BYTES) {
        throw new IllegalArgumentException("a tile holds " + TILE_BYTES + " bytes of leaf hashes");
      }
      leafTiles.add(tile);
      leafRows.add(Buffer.buffer(leafHashes));
    }

    public boolean isEmpty() {
      return tiles.isEmpty() && levels.isEmpty() && leafTiles.isEmpty();
    }

    /** How many tiles' leaf hashes are to be written. */
    public int tileRows() {
      return leafTiles.size();
    }

    public int nodes() {
      return levels.size();
    }

    void clear() {
      tiles.clear();
      tileTxids.clear();
      tilePositions.clear();
      levels.clear();
      indexes.clear();
      hashes.clear();
      leafTiles.clear();
      leafRows.clear();
    }
  }

  // The warnings given about stored rows that failed their check, per database pool: each tile is
  // warned about once per reason, however many LedgerTrees read through that pool (the server's
  // HTTP verticles have one each). Per reason, so that a row first met without its node and later
  // changed is warned about again.
  private static final Map<Pool, Set<RowWarning>> WARNED =
      Collections.synchronizedMap(new WeakHashMap<>());

  private record RowWarning(long tile, String reason) {}

  private final Pool pool;
  private final Set<RowWarning> warnedTiles;

  public LedgerTree(Pool pool) {
    this.pool = pool;
    this.warnedTiles = WARNED.computeIfAbsent(pool, p -> ConcurrentHashMap.newKeySet());
  }

  public Pool pool() {
    return pool;
  }

  // ---------------------------------------------------------------- building

  /**
   * Up to {@code limit} leaves after {@code from} in commit order (at least one unless the readable
   * ledger ends there).
   */
  public Future<List<Leaf>> leavesAfter(GlobalPosition from, int limit) {
    return pool.preparedQuery(LEAVES_AFTER)
        .execute(Tuple.of(from.txid(), from.position(), limit))
        .map(rows -> merged(rows, limit));
  }

  /**
   * The first {@code limit} rows of both tables in commit order. Each side gave at most its first
   * {@code limit} rows, and the first {@code limit} of the merged order hold at most that many of
   * either side, so they are exact.
   */
  private static List<Leaf> merged(RowSet<Row> rows, int limit) {
    List<Leaf> all = new ArrayList<>(rows.size());
    for (Row r : rows) {
      all.add(
          new Leaf(
              new GlobalPosition(r.getLong(0), r.getLong(1)),
              r.getBuffer(2).getBytes(),
              r.getBoolean(3)));
    }
    all.sort(Comparator.comparing(Leaf::at));
    return all.size() > limit ? new ArrayList<>(all.subList(0, limit)) : all;
  }

  /**
   * Tile starts, nodes and tile rows in one statement, so one transaction: a reader sees a tile's
   * row together with the node it is checked against, or neither. As three statements on the pool
   * they committed in any order, and a proof read in between met a row without its node, made the
   * tile's proofs from its events and warned about a tile nothing was wrong with.
   */
  private static final String WRITE =
      "WITH tiles AS (INSERT INTO ledger_tree_tiles (tile, txid, position)"
          + " SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[])"
          + " ON CONFLICT (tile) DO NOTHING),"
          + " nodes AS (INSERT INTO ledger_tree_nodes (level, idx, hash)"
          + " SELECT * FROM unnest($4::smallint[], $5::bigint[], $6::bytea[])"
          + " ON CONFLICT (level, idx) DO NOTHING)"
          + " INSERT INTO ledger_tree_tile_leaves (tile, leaves)"
          + " SELECT * FROM unnest($7::bigint[], $8::bytea[])"
          + " ON CONFLICT (tile) DO NOTHING";

  /**
   * Stores tile starts, nodes and complete tiles' leaf hashes (idempotent) in one transaction
   * ({@link #WRITE}), and forgets them.
   */
  public Future<Void> write(SqlClient client, Writes w) {
    if (w.isEmpty()) {
      return Future.succeededFuture();
    }
    return client
        .preparedQuery(WRITE)
        .execute(
            Tuple.tuple()
                .addValue(w.tiles.toArray(new Long[0]))
                .addValue(w.tileTxids.toArray(new Long[0]))
                .addValue(w.tilePositions.toArray(new Long[0]))
                .addValue(w.levels.toArray(new Short[0]))
                .addValue(w.indexes.toArray(new Long[0]))
                .addValue(w.hashes.toArray(new Buffer[0]))
                .addValue(w.leafTiles.toArray(new Long[0]))
                .addValue(w.leafRows.toArray(new Buffer[0])))
        .onSuccess(v -> w.clear())
        .mapEmpty();
  }

  /** Stores a signed tree head (once: the first writer's stays). */
  public Future<Void> putHead(Head h) {
    return pool.preparedQuery(
            "INSERT INTO ledger_tree_heads ("
                + HEAD_COLUMNS
                + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (tree_size) DO NOTHING")
        .execute(
            Tuple.tuple()
                .addLong(h.size())
                .addLong(h.last().txid())
                .addLong(h.last().position())
                .addBuffer(Buffer.buffer(h.root()))
                .addBuffer(Buffer.buffer(h.frontier().bytes()))
                .addString(h.note())
                .addString(h.cosignatures())
                .addOffsetDateTime(OffsetDateTime.ofInstant(h.signedAt(), ZoneOffset.UTC)))
        .mapEmpty();
  }

  /**
   * Adds witness cosignature lines to a stored head (each once).
   *
   * @param lines signature lines, each ending in a newline
   */
  public Future<Void> addCosignatures(long size, String lines) {
    return pool.preparedQuery(
            "UPDATE ledger_tree_heads SET cosignatures = cosignatures || $2 WHERE tree_size = $1"
                + " AND position($2 IN cosignatures) = 0")
        .execute(Tuple.of(size, lines))
        .mapEmpty();
  }

  // ---------------------------------------------------------------- heads

  public Future<Optional<Head>> latest() {
    return heads(
        "SELECT " + HEAD_COLUMNS + " FROM ledger_tree_heads ORDER BY tree_size DESC LIMIT 1",
        Tuple.tuple());
  }

  public Future<Optional<Head>> head(long size) {
    return heads(
        "SELECT " + HEAD_COLUMNS + " FROM ledger_tree_heads WHERE tree_size = $1", Tuple.of(size));
  }

  private Future<Optional<Head>> heads(String sql, Tuple params) {
    return pool.preparedQuery(sql)
        .execute(params)
        .map(
            rows -> {
              for (Row r : rows) {
                long size = r.getLong(0);
                return Optional.of(
                    new Head(
                        size,
                        new GlobalPosition(r.getLong(1), r.getLong(2)),
                        r.getBuffer(3).getBytes(),
                        Frontier.fromBytes(size, r.getBuffer(4).getBytes()),
                        r.getString(5),
                        r.getString(6),
                        r.getOffsetDateTime(7).toInstant()));
              }
              return Optional.empty();
            });
  }

  // ---------------------------------------------------------------- proofs

  /**
   * An event's leaf in the tree: its index and the event (or the stub of an archived event, whose
   * content is in its archive file), with the leaf hashes of its tile when they were read to find
   * the index (a proof needs them).
   *
   * @param tileLeafHashes the first leaf hashes of tile {@code tile}, back to back (null: not read)
   */
  public record Located(
      long index, RecordedEvent event, ArchivedEvent archived, long tile, byte[] tileLeafHashes) {
    Located(long index, RecordedEvent event, ArchivedEvent archived) {
      this(index, event, archived, -1, null);
    }

    public GlobalPosition at() {
      return event != null ? event.commitOrder() : archived.commitOrder();
    }

    public byte[] hash() {
      return event != null ? event.hash() : archived.hash();
    }
  }

  /**
   * The tile an event in commit order falls in (the last tile that starts at or before it), with
   * the tile's stored leaf hashes when it is complete and the tile's node (level {@value
   * #TILE_LEVEL}) they are checked against.
   */
  private static final String TILE_OF =
      "SELECT t.tile, t.txid, t.position, l.leaves, n.hash FROM (SELECT tile, txid, position"
          + " FROM ledger_tree_tiles WHERE (txid, position) <= ($1, $2)"
          + " ORDER BY txid DESC, position DESC LIMIT 1) t"
          + " LEFT JOIN ledger_tree_tile_leaves l ON l.tile = t.tile"
          + " LEFT JOIN ledger_tree_nodes n ON n.level = "
          + TILE_LEVEL
          + " AND n.idx = t.tile";

  /**
   * The event at global position {@code position} and its leaf index; empty when there is no such
   * event, and a located event with index -1 when the stored tree does not reach it yet.
   */
  public Future<Optional<Located>> locate(long position) {
    return pool.preparedQuery(
            "SELECT position, txid, event_id, stream_id, version, type, payload, metadata,"
                + " recorded_at, prev_hash, hash FROM events WHERE position = $1")
        .execute(Tuple.of(position))
        .compose(
            rows -> {
              if (rows.size() > 0) {
                return Future.succeededFuture(
                    Optional.of(new Located(-1, EventStore.toEvent(rows.iterator().next()), null)));
              }
              return pool.preparedQuery(
                      "SELECT "
                          + ArchivedEvent.COLUMNS
                          + " FROM archived_events WHERE position = $1")
                  .execute(Tuple.of(position))
                  .map(
                      stubs ->
                          stubs.size() == 0
                              ? Optional.<Located>empty()
                              : Optional.of(
                                  new Located(
                                      -1, null, ArchivedEvent.fromRow(stubs.iterator().next()))));
            })
        .compose(
            found -> {
              if (found.isEmpty()) {
                return Future.succeededFuture(found);
              }
              Located l = found.get();
              GlobalPosition at = l.at();
              return pool.preparedQuery(TILE_OF)
                  .execute(Tuple.of(at.txid(), at.position()))
                  .compose(
                      tiles -> {
                        if (tiles.size() == 0) {
                          return Future.succeededFuture(found);
                        }
                        Row t = tiles.iterator().next();
                        long tile = t.getLong(0);
                        byte[] row = checkedRow(tile, t.getBuffer(3), t.getBuffer(4));
                        if (row != null) {
                          // The leaf's place in its tile, from the tile's leaf hashes.
                          int i = indexOf(row, MerkleTree.leafHash(EventHash.sha256(), l.hash()));
                          if (i >= 0) {
                            return Future.succeededFuture(
                                Optional.of(
                                    new Located(
                                        tile * TILE + i, l.event(), l.archived(), tile, row)));
                          }
                          // Not there (the row disagrees with the events): the events decide.
                        }
                        return tileLeaves(new GlobalPosition(t.getLong(1), t.getLong(2)), TILE)
                            .map(
                                leaves -> {
                                  for (int i = 0; i < leaves.size(); i++) {
                                    if (leaves.get(i).at().equals(at)) {
                                      // The tile's leaves come along: the proof needs them.
                                      return Optional.of(
                                          new Located(
                                              tile * TILE + i,
                                              l.event(),
                                              l.archived(),
                                              tile,
                                              leafHashes(leaves, leaves.size())));
                                    }
                                  }
                                  return found;
                                });
                      });
            });
  }

  /** Where the 32-byte {@code hash} is among the leaf hashes {@code leaves}, or -1. */
  private static int indexOf(byte[] leaves, byte[] hash) {
    int n = leaves.length / MerkleTree.HASH_LENGTH;
    for (int i = 0; i < n; i++) {
      if (Arrays.equals(
          leaves,
          i * MerkleTree.HASH_LENGTH,
          (i + 1) * MerkleTree.HASH_LENGTH,
          hash,
          0,
          MerkleTree.HASH_LENGTH)) {
        return i;
      }
    }
    return -1;
  }

  /** The inclusion proof of leaf {@code index} in the tree of {@code head}, with its leaf hash. */
  public Future<InclusionProof> inclusion(long index, Head head, JsonObject event) {
    return inclusion(index, head, event, null);
  }

  /**
   * As {@link #inclusion(long, Head, io.vertx.core.json.JsonObject)}, with the leaf's tile as
   * {@link #locate} read it (null: read here).
   */
  public Future<InclusionProof> inclusion(
      long index, Head head, JsonObject event, Located located) {
    List<Range> path = MerkleTree.inclusionPath(index, head.size());
    List<Range> wanted = new ArrayList<>(path);
    wanted.add(new Range(index, index + 1));
    Map<Long, byte[]> preloaded =
        located != null && located.tileLeafHashes() != null
            ? Map.of(located.tile(), located.tileLeafHashes())
            : Map.of();
    return resolve(wanted, head, preloaded)
        .map(
            hashes ->
                new InclusionProof(
                    index,
                    head.size(),
                    hashes.get(hashes.size() - 1),
                    hashes.subList(0, hashes.size() - 1),
                    head.noteWithCosignatures(),
                    event));
  }

  /** The consistency proof from the tree of {@code size1} leaves to {@code head}'s tree. */
  public Future<List<byte[]>> consistency(long size1, Head head) {
    return resolve(MerkleTree.consistencyPath(size1, head.size()), head, Map.of());
  }

  /**
   * The hashes of nodes of {@code head}'s tree: right-edge nodes folded from its frontier, perfect
   * subtrees of a tile or more from the stored nodes, smaller ones hashed from their tile's leaf
   * hashes: {@code preloaded} (by tile), else the tile's stored row, else its events.
   */
  Future<List<byte[]>> resolve(List<Range> ranges, Head head, Map<Long, byte[]> preloaded) {
    MessageDigest md = EventHash.sha256();
    Frontier f = head.frontier();
    Map<Range, byte[]> known = new HashMap<>();
    List<Range> stored = new ArrayList<>();
    Map<Long, Long> tiles = new HashMap<>();
    for (Range r : ranges) {
      if (known.containsKey(r)) {
        continue;
      }
      if (r.end() == head.size()) {
        int j = frontierIndex(f, r.start());
        if (j >= 0) {
          known.put(r, f.fold(md, j));
          continue;
        }
      }
      if (!r.perfect() || r.end() > head.size()) {
        return Future.failedFuture(
            new IllegalArgumentException(
                "[" + r.start() + ", " + r.end() + ") is not a node of a tree of " + head.size()));
      }
      if (r.level() >= TILE_LEVEL) {
        stored.add(r);
      } else {
        tiles.merge(r.start() >> TILE_LEVEL, r.end(), Math::max);
      }
    }
    Future<Void> nodes = storedNodes(stored, known);
    List<Future<Void>> reads = new ArrayList<>();
    reads.add(nodes);
    Map<Long, byte[]> tileLeafHashes = new HashMap<>();
    for (var t : preloaded.entrySet()) {
      Long needed = tiles.get(t.getKey());
      if (needed != null
          && t.getValue().length / MerkleTree.HASH_LENGTH >= needed - t.getKey() * TILE) {
        tileLeafHashes.put(t.getKey(), t.getValue());
        tiles.remove(t.getKey());
      }
    }
    if (!tiles.isEmpty()) {
      reads.add(
          storedTiles(tiles.keySet())
              .compose(
                  rows -> {
                    Map<Long, Long> rest = new HashMap<>(tiles);
                    synchronized (tileLeafHashes) {
                      for (var row : rows.entrySet()) {
                        tileLeafHashes.put(row.getKey(), row.getValue());
                        rest.remove(row.getKey());
                      }
                    }
                    return rest.isEmpty()
                        ? Future.<Void>succeededFuture()
                        : tilesFromEvents(rest, tileLeafHashes);
                  }));
    }
    return Future.all(reads)
        .map(
            v -> {
              List<byte[]> out = new ArrayList<>(ranges.size());
              for (Range r : ranges) {
                byte[] h = known.get(r);
                if (h == null) {
                  long tile = r.start() >> TILE_LEVEL;
                  h =
                      MerkleTree.perfectRoot(
                          md,
                          tileLeafHashes.get(tile),
                          (int) (r.start() - tile * TILE) * MerkleTree.HASH_LENGTH,
                          (int) r.size());
                  known.put(r, h);
                }
                out.add(h);
              }
              return out;
            });
  }

  /**
   * The stored leaf hashes of those of {@code tiles} that have a row (complete tiles) and whose row
   * hashes to the tile's stored node ({@link #checkedRow}).
   */
  public Future<Map<Long, byte[]>> storedTiles(Collection<Long> tiles) {
    return pool.preparedQuery(
            "SELECT l.tile, l.leaves, n.hash FROM ledger_tree_tile_leaves l"
                + " LEFT JOIN ledger_tree_nodes n ON n.level = "
                + TILE_LEVEL
                + " AND n.idx = l.tile WHERE l.tile = ANY($1)")
        .execute(Tuple.of((Object) tiles.toArray(new Long[0])))
        .map(
            rows -> {
              Map<Long, byte[]> out = new HashMap<>();
              for (Row r : rows) {
                long tile = r.getLong(0);
                byte[] leaves = checkedRow(tile, r.getBuffer(1), r.getBuffer(2));
                if (leaves != null) {
                  out.put(tile, leaves);
                }
              }
              return out;
            });
  }

  /**
   * A tile's stored leaf hashes if they hash to the tile's node in {@code ledger_tree_nodes} (255
   * SHA-256), else null: a row that does not (changed, or cut short) would make every proof in the
   * tile fail for whoever checks it, so the proofs of that tile are made from its events instead,
   * and the server says so once per tile and reason (a WARN naming the tile; {@code grantry audit
   * verify --tiles} names the row or the node that is wrong). No row at all is the normal state of
   * the last, incomplete tile and of tiles not back-filled yet: null without a word.
   */
  byte[] checkedRow(long tile, Buffer row, Buffer node) {
    if (row == null) {
      return null;
    }
    if (row.length() == TILE_BYTES && node != null && node.length() == MerkleTree.HASH_LENGTH) {
      byte[] leaves = row.getBytes();
      if (MessageDigest.isEqual(
          node.getBytes(), MerkleTree.perfectRoot(EventHash.sha256(), leaves, 0, TILE))) {
        return leaves;
      }
    }
    String reason =
        node == null
            ? "cannot be checked: ledger_tree_nodes has no node for the tile"
            : row.length() != TILE_BYTES
                ? "hold " + row.length() + " bytes, not " + TILE_BYTES
                : "do not hash to the tile's node in ledger_tree_nodes";
    if (warnedTiles.add(new RowWarning(tile, reason))) {
      log.warn(
          "Tile {} of the ledger's Merkle tree (leaves {} to {}): its stored leaf hashes"
              + " (ledger_tree_tile_leaves) {}; its proofs are made from its events instead."
              + " Run `grantry audit verify --tiles` to find what was changed",
          tile,
          tile * TILE,
          tile * TILE + TILE - 1,
          reason);
    }
    return null;
  }

  /**
   * The leaf hashes of tiles without a stored row, from their events: {@code tiles} maps each to
   * the end of the leaves needed.
   */
  private Future<Void> tilesFromEvents(Map<Long, Long> tiles, Map<Long, byte[]> into) {
    Long[] ids = tiles.keySet().toArray(new Long[0]);
    return pool.preparedQuery(
            "SELECT tile, txid, position FROM ledger_tree_tiles WHERE tile = ANY($1)")
        .execute(Tuple.of((Object) ids))
        .compose(
            rows -> {
              List<Future<Void>> leafReads = new ArrayList<>();
              for (Row r : rows) {
                long tile = r.getLong(0);
                int count = (int) (tiles.get(tile) - tile * TILE);
                leafReads.add(
                    tileLeaves(new GlobalPosition(r.getLong(1), r.getLong(2)), count)
                        .compose(
                            leaves -> {
                              if (leaves.size() < count) {
                                return Future.failedFuture(
                                    new IllegalStateException(
                                        "tile "
                                            + tile
                                            + " of the ledger's tree has "
                                            + leaves.size()
                                            + " leaves, fewer than the "
                                            + count
                                            + " its tree head covers"));
                              }
                              byte[] hashes = leafHashes(leaves, count);
                              synchronized (into) {
                                into.put(tile, hashes);
                              }
                              return Future.<Void>succeededFuture();
                            }));
              }
              if (rows.size() < ids.length) {
                return Future.failedFuture(
                    new IllegalStateException(
                        "the ledger's tree has no record of where a tile begins"
                            + " (ledger_tree_tiles is incomplete)"));
              }
              return Future.all(leafReads).<Void>mapEmpty();
            });
  }

  /** The leaf hashes of the first {@code count} leaves, back to back. */
  static byte[] leafHashes(List<Leaf> leaves, int count) {
    byte[] hashes = new byte[count * MerkleTree.HASH_LENGTH];
    MessageDigest md = EventHash.sha256();
    for (int i = 0; i < count; i++) {
      System.arraycopy(
          MerkleTree.leafHash(md, leaves.get(i).hash()),
          0,
          hashes,
          i * MerkleTree.HASH_LENGTH,
          MerkleTree.HASH_LENGTH);
    }
    return hashes;
  }

  private static int frontierIndex(Frontier f, long start) {
    for (int j = 0; j < f.count(); j++) {
      if (f.start(j) == start) {
        return j;
      }
    }
    return -1;
  }

  private Future<Void> storedNodes(List<Range> ranges, Map<Range, byte[]> into) {
    if (ranges.isEmpty()) {
      return Future.succeededFuture();
    }
    Short[] levels = new Short[ranges.size()];
    Long[] idx = new Long[ranges.size()];
    for (int i = 0; i < ranges.size(); i++) {
      levels[i] = (short) ranges.get(i).level();
      idx[i] = ranges.get(i).start() >> ranges.get(i).level();
    }
    return pool.preparedQuery(
            "SELECT n.level, n.idx, n.hash FROM ledger_tree_nodes n"
                + " JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx)"
                + " ON n.level = w.level AND n.idx = w.idx")
        .execute(Tuple.tuple().addValue(levels).addValue(idx))
        .compose(
            rows -> {
              for (Row r : rows) {
                int level = r.getShort(0);
                long start = r.getLong(1) << level;
                synchronized (into) {
                  into.put(new Range(start, start + (1L << level)), r.getBuffer(2).getBytes());
                }
              }
              for (Range r : ranges) {
                if (!into.containsKey(r)) {
                  return Future.failedFuture(
                      new IllegalStateException(
                          "the ledger's tree lacks the node over leaves ["
                              + r.start()
                              + ", "
                              + r.end()
                              + ") (ledger_tree_nodes is incomplete)"));
                }
              }
              return Future.succeededFuture();
            });
  }

  /** The first {@code count} leaves from a tile's first, in commit order. */
  Future<List<Leaf>> tileLeaves(GlobalPosition start, int count) {
    return pool.preparedQuery(TILE_LEAVES)
        .execute(Tuple.of(start.txid(), start.position(), count))
        .map(
            rows -> {
              List<Leaf> all = new ArrayList<>(rows.size());
              for (Row r : rows) {
                all.add(
                    new Leaf(
                        new GlobalPosition(r.getLong(0), r.getLong(1)),
                        r.getBuffer(2).getBytes(),
                        false));
              }
              all.sort(Comparator.comparing(Leaf::at));
              return all.size() > count ? new ArrayList<>(all.subList(0, count)) : all;
            });
  }

  // ---------------------------------------------------------------- back-filling stored tiles

  /** A complete tile without stored leaf hashes: its number and where its first leaf is. */
  public record TileStart(long tile, GlobalPosition at) {}

  /**
   * Up to {@code limit} tiles of {@code [from, below)} that have a start but no stored leaf hashes,
   * in order.
   */
  public Future<List<TileStart>> tilesWithoutLeaves(long from, long below, int limit) {
    return pool.preparedQuery(
            "SELECT t.tile, t.txid, t.position FROM ledger_tree_tiles t"
                + " WHERE t.tile >= $1 AND t.tile < $2 AND NOT EXISTS"
                + " (SELECT 1 FROM ledger_tree_tile_leaves l WHERE l.tile = t.tile)"
                + " ORDER BY t.tile LIMIT $3")
        .execute(Tuple.of(from, below, limit))
        .map(
            rows -> {
              List<TileStart> out = new ArrayList<>(rows.size());
              for (Row r : rows) {
                out.add(
                    new TileStart(r.getLong(0), new GlobalPosition(r.getLong(1), r.getLong(2))));
              }
              return out;
            });
  }

  /** The stored roots of the given tiles (their nodes of level {@value #TILE_LEVEL}). */
  public Future<Map<Long, byte[]>> tileRoots(Collection<Long> tiles) {
    return pool.preparedQuery(
            "SELECT idx, hash FROM ledger_tree_nodes WHERE level = "
                + TILE_LEVEL
                + " AND idx = ANY($1)")
        .execute(Tuple.of((Object) tiles.toArray(new Long[0])))
        .map(
            rows -> {
              Map<Long, byte[]> out = new HashMap<>();
              for (Row r : rows) {
                out.put(r.getLong(0), r.getBuffer(1).getBytes());
              }
              return out;
            });
  }
}
