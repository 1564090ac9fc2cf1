package io.grantry.server.admin;

import io.grantry.server.ops.ProjectionQueries;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.openapi.validation.RequestParameter;
import java.util.function.Function;

/**
 * The operators' view of the projections: {@code GET /admin/grants}, {@code GET
 * /admin/tokens/{id}}, {@code GET /admin/stats} and {@code GET /admin/projections} ({@link
 * ProjectionQueries} says what each computes). Reads only.
 */
final class OpsResource {
  private final ProjectionQueries queries;

  OpsResource(ProjectionQueries queries) {
    this.queries = queries;
  }

  void listGrants(RoutingContext ctx) {
    Page page = Page.of(ctx);
    var filter =
        new ProjectionQueries.GrantFilter(
            AdminRequest.query(ctx, "client").map(RequestParameter::getString),
            AdminRequest.query(ctx, "user").map(RequestParameter::getString),
            AdminRequest.query(ctx, "status").map(RequestParameter::getString),
            page.after(),
            page.fetch());
    AdminRequest.respond(
        ctx,
        queries.grants(filter),
        200,
        rows -> page.render(rows, Function.identity(), g -> g.getString("grant_id")));
  }

  void showToken(RoutingContext ctx) {
    String id = AdminRequest.path(ctx, "token_id");
    queries
        .token(id)
        .onFailure(ctx::fail)
        .onSuccess(
            token -> {
              if (token.isEmpty()) {
                // The id is not echoed: someone may paste a token where its id belongs.
                AdminProblems.send(
                    ctx,
                    404,
                    "not_found",
                    "no access token has this jti and no refresh token this id",
                    null);
              } else {
                AdminRequest.respond(
                    ctx, Future.succeededFuture(token.get()), 200, Function.identity());
              }
            });
  }

  void stats(RoutingContext ctx) {
    AdminRequest.respond(ctx, queries.stats(), 200, Function.identity());
  }

  void listProjections(RoutingContext ctx) {
    AdminRequest.respond(
        ctx, queries.projections(), 200, items -> new JsonObject().put("items", items));
  }
}
