package io.grantry.server.admin;

import io.grantry.domain.DomainError;
import io.grantry.domain.DomainError.ValidationError;
import io.grantry.eventstore.GlobalPosition;
import io.grantry.eventstore.audit.LedgerProofs;
import io.grantry.eventstore.merkle.ConsistencyProof;
import io.grantry.eventstore.merkle.InclusionProof;
import io.grantry.server.app.CommandRejected;
import io.grantry.server.audit.AuditLedger;
import io.grantry.server.audit.AuditLedger.Kind;
import io.grantry.server.audit.AuditLedger.Subject;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.openapi.validation.RequestParameter;
import java.time.Clock;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * The auditors' part of the admin API: the ordered history of a grant, a user or a client ({@code
 * GET /admin/audit/{grants,users,clients}/{id}}, paged in commit order) and the state as of an
 * instant ({@code GET /admin/audit/as-of}), both read from the ledger ({@link AuditLedger}); and
 * the Merkle proofs that one event is in a signed tree head, or that one tree head extends another
 * ({@link LedgerProofs}).
 */
final class AuditResource {
  /**
   * Most events one as-of request may replay: the state is folded in the server's memory, so a
   * replay of a whole large ledger belongs to {@code grantry audit as-of}, not to a request.
   */
  static final long MAX_AS_OF_EVENTS = 200_000;

  private final AuditLedger ledger;
  private final LedgerProofs proofs;
  private final Clock clock;

  AuditResource(AuditLedger ledger, LedgerProofs proofs, Clock clock) {
    this.ledger = ledger;
    this.proofs = proofs;
    this.clock = clock;
  }

  void grantHistory(RoutingContext ctx) {
    history(ctx, new Subject(Kind.GRANT, AdminRequest.path(ctx, "grant_id")));
  }

  void userHistory(RoutingContext ctx) {
    history(ctx, new Subject(Kind.USER, AdminRequest.path(ctx, "user_id")));
  }

  void clientHistory(RoutingContext ctx) {
    history(ctx, new Subject(Kind.CLIENT, AdminRequest.path(ctx, "client_id")));
  }

  private void history(RoutingContext ctx, Subject subject) {
    Page page;
    GlobalPosition after;
    try {
      page = Page.of(ctx);
      after = page.after().map(AuditResource::position).orElse(GlobalPosition.START);
    } catch (CommandRejected e) {
      ctx.fail(e);
      return;
    }
    AdminRequest.respond(
        ctx,
        known(subject).compose(v -> ledger.history(subject, after, page.limit())),
        200,
        h -> {
          JsonObject j =
              new JsonObject()
                  .put("items", new JsonArray(h.items()))
                  .put("next_cursor", h.next().map(p -> Page.encode(p.toString())).orElse(null));
          if (!h.archived().isEmpty()) {
            j.put("archived", new JsonArray(h.archived()));
          }
          return j;
        });
  }

  /**
   * {@code GET /admin/audit/proofs/inclusion?position&tree_size}: the event at {@code position} and
   * its RFC 9162 inclusion proof in the signed tree head of {@code tree_size} (default: the
   * latest).
   */
  void inclusionProof(RoutingContext ctx) {
    long position = AdminRequest.query(ctx, "position").orElseThrow().getLong();
    OptionalLong size =
        AdminRequest.query(ctx, "tree_size")
            .map(p -> OptionalLong.of(p.getLong()))
            .orElse(OptionalLong.empty());
    proof(ctx, proofs.inclusion(position, size).map(InclusionProof::toJson));
  }

  /**
   * {@code GET /admin/audit/proofs/consistency?first&second}: the RFC 9162 consistency proof from
   * the tree of {@code first} leaves to the signed tree head of size {@code second}.
   */
  void consistencyProof(RoutingContext ctx) {
    long first = AdminRequest.query(ctx, "first").orElseThrow().getLong();
    long second = AdminRequest.query(ctx, "second").orElseThrow().getLong();
    proof(ctx, proofs.consistency(first, second).map(ConsistencyProof::toJson));
  }

  private static void proof(RoutingContext ctx, Future<JsonObject> proof) {
    proof.onComplete(
        ar -> {
          if (ar.succeeded()) {
            ctx.response()
                .putHeader("Content-Type", "application/json")
                .putHeader("Cache-Control", "no-store")
                .end(ar.result().encode());
          } else if (ar.cause() instanceof LedgerProofs.Refused r) {
            AdminProblems.send(
                ctx,
                r.notFound() ? 404 : 400,
                r.notFound() ? "not_found" : "invalid_request",
                r.getMessage(),
                r.field());
          } else {
            ctx.fail(ar.cause());
          }
        });
  }

  void asOf(RoutingContext ctx) {
    Optional<String> user = AdminRequest.query(ctx, "user").map(RequestParameter::getString);
    Optional<String> client = AdminRequest.query(ctx, "client").map(RequestParameter::getString);
    Instant at;
    try {
      if (user.isPresent() && client.isPresent()) {
        throw invalid("client", "give user or client, not both");
      }
      at = AdminRequest.query(ctx, "time").map(p -> time(p.getString())).orElseGet(clock::instant);
    } catch (CommandRejected e) {
      ctx.fail(e);
      return;
    }
    Optional<Subject> subject =
        user.map(u -> new Subject(Kind.USER, u))
            .or(() -> client.map(c -> new Subject(Kind.CLIENT, c)));
    Future<Void> exists = subject.map(this::known).orElse(Future.succeededFuture());
    AdminRequest.respond(
        ctx,
        exists
            .compose(v -> ledger.asOf(subject, at, MAX_AS_OF_EVENTS, n -> {}))
            .recover(
                err ->
                    Future.failedFuture(
                        err instanceof AuditLedger.TooManyEvents
                            ? invalid(
                                subject.isPresent() ? "time" : "user",
                                err.getMessage()
                                    + " for one request; filter by user or client, or use `grantry audit as-of`")
                            : err)),
        200,
        state -> {
          JsonObject j = state.toJson();
          subject.ifPresent(s -> j.put(s.kind().noun(), s.id()));
          return j;
        });
  }

  private Future<Void> known(Subject s) {
    return ledger
        .exists(s)
        .compose(
            found ->
                found
                    ? Future.succeededFuture()
                    : Future.failedFuture(
                        new CommandRejected(new DomainError.NotFound(s.kind().noun(), s.id()))));
  }

  /** An RFC 3339 date-time ({@code 2026-11-22T09:00:00Z}, or with an offset). */
  static Instant time(String value) {
    try {
      return OffsetDateTime.parse(value).toInstant();
    } catch (DateTimeParseException e) {
      throw invalid("time", "time must be an RFC 3339 date-time such as 2026-11-22T09:00:00Z");
    }
  }

  private static GlobalPosition position(String key) {
    try {
      return GlobalPosition.parse(key);
    } catch (RuntimeException e) {
      throw invalid("cursor", "cursor is not one this server issued; start without it");
    }
  }

  private static CommandRejected invalid(String field, String message) {
    return new CommandRejected(new ValidationError(field, message));
  }
}
