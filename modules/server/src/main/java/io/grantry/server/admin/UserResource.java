package io.grantry.server.admin;

import io.grantry.domain.DomainError;
import io.grantry.domain.user.UserState;
import io.grantry.server.app.CommandRejected;
import io.grantry.server.users.UserDirectory;
import io.grantry.server.users.UserService;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;

/**
 * {@code /admin/users}: register, list, show, set the password, mark the email verified, disable.
 * Never shows a password hash.
 */
final class UserResource {
  private final UserService service;
  private final UserDirectory directory;

  UserResource(UserService service, UserDirectory directory) {
    this.service = service;
    this.directory = directory;
  }

  void create(RoutingContext ctx) {
    JsonObject body = AdminRequest.body(ctx);
    AdminRequest.respond(
        ctx,
        service.register(
            body.getString("username"),
            body.getString("password"),
            Optional.ofNullable(body.getString("email")),
            Optional.ofNullable(body.getString("name")),
            body.getBoolean("email_verified", false),
            AdminRequest.metadata(ctx)),
        201,
        UserResource::json);
  }

  void list(RoutingContext ctx) {
    Optional<String> username = AdminRequest.query(ctx, "username").map(p -> p.getString());
    if (username.isPresent()) {
      AdminRequest.respond(
          ctx,
          directory.findByUsername(username.get()),
          200,
          found ->
              new JsonObject()
                  .put(
                      "items",
                      found.map(u -> new JsonArray().add(json(u))).orElseGet(JsonArray::new))
                  .put("next_cursor", (String) null));
      return;
    }
    Page page = Page.of(ctx);
    AdminRequest.respond(
        ctx,
        directory.list(page.after(), page.fetch()),
        200,
        (List<UserState.Registered> rows) ->
            page.render(rows, UserResource::json, UserState.Registered::normalizedUsername));
  }

  void show(RoutingContext ctx) {
    String userId = AdminRequest.path(ctx, "user_id");
    AdminRequest.respond(
        ctx,
        directory
            .findById(userId)
            .compose(
                found ->
                    found
                        .map(Future::succeededFuture)
                        .orElseGet(
                            () ->
                                Future.failedFuture(
                                    new CommandRejected(
                                        new DomainError.NotFound("user", userId))))),
        200,
        UserResource::json);
  }

  void setPassword(RoutingContext ctx) {
    String userId = AdminRequest.path(ctx, "user_id");
    String password = AdminRequest.body(ctx).getString("password");
    AdminRequest.respond(
        ctx,
        service.setPassword(userId, password, AdminRequest.metadata(ctx)),
        200,
        UserResource::json);
  }

  void setEmailVerified(RoutingContext ctx) {
    String userId = AdminRequest.path(ctx, "user_id");
    boolean verified = AdminRequest.body(ctx).getBoolean("email_verified");
    AdminRequest.respond(
        ctx,
        service.setEmailVerified(userId, verified, AdminRequest.metadata(ctx)),
        200,
        UserResource::json);
  }

  void disable(RoutingContext ctx) {
    String userId = AdminRequest.path(ctx, "user_id");
    AdminRequest.respond(
        ctx, service.disable(userId, AdminRequest.metadata(ctx)), 200, UserResource::json);
  }

  void enable(RoutingContext ctx) {
    String userId = AdminRequest.path(ctx, "user_id");
    AdminRequest.respond(
        ctx, service.enable(userId, AdminRequest.metadata(ctx)), 200, UserResource::json);
  }

  static JsonObject json(UserState.Registered u) {
    JsonObject json = new JsonObject().put("user_id", u.userId()).put("username", u.username());
    u.email().ifPresent(e -> json.put("email", e).put("email_verified", u.emailVerified()));
    u.name().ifPresent(n -> json.put("name", n));
    return json.put("disabled", u.disabled()).put("registered_at", u.registeredAt().toString());
  }
}
