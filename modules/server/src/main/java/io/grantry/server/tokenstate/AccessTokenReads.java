package io.grantry.server.tokenstate;

import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Access-token rows read by jti, coalesced: the lookups of one event loop that are waiting at the
 * same moment are read with one statement ({@code WHERE jti = ANY($1)}), as the event store's group
 * commit writes the appends that wait together with one transaction.
 *
 * <p>Why: a token nobody asked about before (a resource server's first sight of it) costs one
 * indexed read, and on a small machine most of that read's cost is the statement's, not the
 * index's: the client's encoding, writes and wake-ups, and PostgreSQL's parse of the messages, its
 * snapshot and executor start-up. Read together, many tokens share one statement.
 *
 * <p><b>No lookup waits for company, and none reads from before it began.</b> The first lookup is
 * sent at once; those that arrive while a statement runs wait for it and then go together in the
 * next one, never in one already sent. So every lookup's statement starts after the lookup was
 * asked for, and a revocation committed before an introspection began is seen by it exactly as with
 * a statement of its own (issue 7: at once, on every instance).
 *
 * <p>One instance per event loop (it belongs to the Vert.x context that made it, like the event
 * store): its queue is touched by that context's thread only, without locks. A lookup from another
 * thread is read alone.
 */
final class AccessTokenReads {
  /** Keys per statement at most; more waiting ones go in the next statement. */
  static final int MAX_BATCH = 256;

  private final Pool pool;
  private final String sql;
  private final Function<Row, TokenState.Token> token;

  /** The event loop this instance belongs to; null when made outside one (then nothing waits). */
  private final Context owner;

  /** The lookups waiting for the next statement, by jti (one jti asked twice is read once). */
  private Map<String, List<Promise<Optional<TokenState.Token>>>> waiting = new LinkedHashMap<>();

  private boolean running;

  /**
   * @param sql the rows of the keys in {@code $1} (a text array), with the key in column {@code
   *     jti}
   * @param token what one row is
   */
  AccessTokenReads(Pool pool, String sql, Function<Row, TokenState.Token> token) {
    this.pool = pool;
    this.sql = sql;
    this.token = token;
    this.owner = Vertx.currentContext();
  }

  Future<Optional<TokenState.Token>> read(String jti) {
    if (owner == null || Vertx.currentContext() != owner) {
      return pool.preparedQuery(sql)
          .execute(Tuple.of(new String[] {jti}))
          .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(token.apply(first(rows))));
    }
    Promise<Optional<TokenState.Token>> promise = Promise.promise();
    waiting.computeIfAbsent(jti, k -> new ArrayList<>(1)).add(promise);
    if (!running) {
      send();
    }
    return promise.future();
  }

  /** Sends the waiting lookups (up to {@link #MAX_BATCH} keys) as one statement. */
  private void send() {
    Map<String, List<Promise<Optional<TokenState.Token>>>> batch;
    if (waiting.size() <= MAX_BATCH) {
      batch = waiting;
      waiting = new LinkedHashMap<>();
    } else {
      batch = new LinkedHashMap<>();
      Iterator<Map.Entry<String, List<Promise<Optional<TokenState.Token>>>>> it =
          waiting.entrySet().iterator();
      while (batch.size() < MAX_BATCH) {
        Map.Entry<String, List<Promise<Optional<TokenState.Token>>>> e = it.next();
        batch.put(e.getKey(), e.getValue());
        it.remove();
      }
    }
    running = true;
    pool.preparedQuery(sql)
        .execute(Tuple.of(batch.keySet().toArray(String[]::new)))
        .onComplete(
            ar -> {
              if (Vertx.currentContext() == owner) {
                settle(batch, ar);
              } else {
                owner.runOnContext(v -> settle(batch, ar));
              }
            });
  }

  private void settle(
      Map<String, List<Promise<Optional<TokenState.Token>>>> batch, AsyncResult<RowSet<Row>> ar) {
    running = false;
    // The lookups that came meanwhile go first: their statement runs while these are answered.
    if (!waiting.isEmpty()) {
      send();
    }
    Map<String, TokenState.Token> found = new HashMap<>();
    Throwable failure = ar.cause();
    if (failure == null) {
      try {
        for (Row r : ar.result()) {
          found.put(r.getString("jti"), token.apply(r));
        }
      } catch (RuntimeException e) {
        failure = e;
      }
    }
    // Every lookup is answered even if one answer's handler throws (the first is rethrown after).
    RuntimeException thrown = null;
    for (Map.Entry<String, List<Promise<Optional<TokenState.Token>>>> e : batch.entrySet()) {
      Optional<TokenState.Token> t = Optional.ofNullable(found.get(e.getKey()));
      for (Promise<Optional<TokenState.Token>> p : e.getValue()) {
        try {
          if (failure != null) {
            p.fail(failure);
          } else {
            p.complete(t);
          }
        } catch (RuntimeException x) {
          thrown = thrown == null ? x : thrown;
        }
      }
    }
    if (thrown != null) {
      throw thrown;
    }
  }

  private static Row first(RowSet<Row> rows) {
    return rows.iterator().next();
  }
}
