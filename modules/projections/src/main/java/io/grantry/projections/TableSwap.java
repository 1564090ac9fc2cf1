package io.grantry.projections;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The last step of a rebuild, in its transaction: the copies renamed over the live tables, and the
 * copies' indexes (so their constraints) given the live ones' names, matched by definition: {@code
 * CREATE TABLE ... LIKE} names them after the copy, and a later migration that names an index must
 * still find it.
 */
final class TableSwap {
  private TableSwap() {}

  static Future<Void> swap(SqlConnection tx, TableNames copies) {
    Future<Void> f = Future.succeededFuture();
    for (var e : copies.all().entrySet()) {
      String live = e.getKey();
      String copy = e.getValue();
      f = f.compose(v -> swap(tx, live, copy));
    }
    return f;
  }

  private static Future<Void> swap(SqlConnection tx, String live, String copy) {
    return indexes(tx, live)
        .compose(
            liveIdx ->
                indexes(tx, copy)
                    .compose(
                        copyIdx ->
                            execute(tx, "ALTER TABLE " + live + " RENAME TO " + live + "__old")
                                .compose(
                                    x -> execute(tx, "ALTER TABLE " + copy + " RENAME TO " + live))
                                .compose(x -> execute(tx, "DROP TABLE " + live + "__old"))
                                .compose(x -> renameIndexes(tx, liveIdx, copyIdx))));
  }

  private static Future<Void> execute(SqlConnection tx, String sql) {
    return tx.query(sql).execute().mapEmpty();
  }

  /** A table's indexes: definition without its own and its table's name, to the index's name. */
  private static Future<Map<String, String>> indexes(SqlConnection tx, String table) {
    return tx.preparedQuery(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x"
                + " JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = $1::regclass ORDER BY i.relname")
        .execute(Tuple.of(table))
        .map(
            rows -> {
              Map<String, String> out = new LinkedHashMap<>();
              for (Row r : rows) {
                out.put(
                    r.getString(1).replaceFirst("^CREATE (UNIQUE )?INDEX \\S+ ON \\S+ ", "$1"),
                    r.getString(0));
              }
              return out;
            });
  }

  private static Future<Void> renameIndexes(
      SqlConnection tx, Map<String, String> live, Map<String, String> copy) {
    Future<Void> f = Future.succeededFuture();
    for (var e : copy.entrySet()) {
      String wanted = live.get(e.getKey());
      if (wanted != null && !wanted.equals(e.getValue())) {
        f = f.compose(v -> execute(tx, "ALTER INDEX " + e.getValue() + " RENAME TO " + wanted));
      }
    }
    return f;
  }
}
