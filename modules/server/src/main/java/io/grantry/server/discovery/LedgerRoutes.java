package io.grantry.server.discovery;

import io.grantry.eventstore.audit.LedgerProofs;
import io.grantry.eventstore.audit.LedgerTree;
import io.grantry.server.audit.LedgerNoteKeys;
import io.grantry.server.http.Failures;
import io.grantry.server.http.RouteGroup;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.List;

/**
 * What anyone may read of the ledger's tree, without credentials: what a witness polls and an
 * auditor keeps. Nothing here shows an event's content.
 *
 * <ul>
 *   <li>{@code GET /ledger/checkpoint}: the latest signed tree head, a C2SP {@code tlog-checkpoint}
 *       note (origin, size, root; the log's Ed25519 signature and witnesses' cosignatures), {@code
 *       text/plain}, cacheable for a few seconds.
 *   <li>{@code GET /ledger/key}: the verifier keys of the log's note keys, one a line.
 *   <li>{@code GET /ledger/consistency?first=N&second=M}: the RFC 9162 consistency proof from the
 *       tree of N leaves to the signed tree head of size M (JSON, {@link
 *       io.grantry.eventstore.merkle.ConsistencyProof}); immutable, so cacheable for long.
 * </ul>
 *
 * Inclusion proofs carry the event and are the admin API's ({@code /admin/audit/proofs/...}).
 */
public final class LedgerRoutes implements RouteGroup {
  private static final String TEXT = "text/plain; charset=utf-8";

  private final Pool pool;
  private final LedgerProofs proofs;

  public LedgerRoutes(Pool pool, LedgerProofs proofs) {
    this.pool = pool;
    this.proofs = proofs;
  }

  @Override
  public void mount(Router router) {
    router.get("/ledger/checkpoint").handler(this::checkpoint);
    router.get("/ledger/key").handler(this::key);
    router.get("/ledger/consistency").handler(this::consistency);
  }

  private void checkpoint(RoutingContext ctx) {
    proofs
        .tree()
        .latest()
        .onSuccess(
            head -> {
              String note = head.map(LedgerTree.Head::noteWithCosignatures).orElse(null);
              if (note == null) {
                Failures.send(ctx, 404, "not_found", "No signed tree head yet.");
                return;
              }
              ctx.response()
                  .putHeader("Content-Type", TEXT)
                  // A new head comes with each checkpoint (a minute by default): a few seconds of
                  // caching spares the database a crowd of pollers and delays nobody.
                  .putHeader("Cache-Control", "public, max-age=10")
                  .putHeader("Access-Control-Allow-Origin", "*")
                  .end(note);
            })
        .onFailure(ctx::fail);
  }

  private void key(RoutingContext ctx) {
    pool.preparedQuery(
            "SELECT payload->>'verifier_key' FROM events WHERE stream_id = $1 AND type = $2"
                + " ORDER BY version")
        .execute(Tuple.of(LedgerNoteKeys.STREAM, LedgerNoteKeys.TYPE))
        .onSuccess(
            rows -> {
              StringBuilder sb = new StringBuilder();
              for (Row r : rows) {
                sb.append(r.getString(0)).append('\n');
              }
              if (sb.length() == 0) {
                Failures.send(ctx, 404, "not_found", "No note key yet.");
                return;
              }
              ctx.response()
                  .putHeader("Content-Type", TEXT)
                  .putHeader("Cache-Control", "public, max-age=300")
                  .putHeader("Access-Control-Allow-Origin", "*")
                  .end(sb.toString());
            })
        .onFailure(ctx::fail);
  }

  private void consistency(RoutingContext ctx) {
    long first;
    long second;
    try {
      first = size(ctx, "first");
      second = size(ctx, "second");
    } catch (IllegalArgumentException e) {
      Failures.send(ctx, 400, "invalid_request", e.getMessage());
      return;
    }
    proofs
        .consistency(first, second)
        .onSuccess(
            p ->
                ctx.response()
                    .putHeader("Content-Type", "application/json")
                    .putHeader("Cache-Control", "public, max-age=31536000, immutable")
                    .putHeader("Access-Control-Allow-Origin", "*")
                    .end(p.toJson().encode()))
        .onFailure(err -> refused(ctx, err));
  }

  public static void refused(RoutingContext ctx, Throwable err) {
    if (err instanceof LedgerProofs.Refused r) {
      Failures.send(
          ctx,
          r.notFound() ? 404 : 400,
          r.notFound() ? "not_found" : "invalid_request",
          r.getMessage());
    } else {
      ctx.fail(err);
    }
  }

  /** A query parameter that is a tree size: one decimal, 0 to 2^63-1. */
  private static long size(RoutingContext ctx, String name) {
    List<String> values = ctx.queryParam(name);
    if (values.size() != 1) {
      throw new IllegalArgumentException(name + " is required, once");
    }
    String v = values.get(0);
    if (!v.matches("0|[1-9][0-9]{0,18}")) {
      throw new IllegalArgumentException(name + " must be a tree size (a whole number)");
    }
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " is too large");
    }
  }
}
