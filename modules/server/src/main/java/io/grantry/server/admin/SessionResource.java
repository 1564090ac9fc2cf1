package io.grantry.server.admin;

import io.grantry.domain.DomainError;
import io.grantry.domain.user.SessionEndReason;
import io.grantry.server.app.CommandRejected;
import io.grantry.server.sessions.SessionService;
import io.grantry.server.users.UserDirectory;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Optional;

/**
 * {@code /admin/users/{user_id}/sessions}: a user's live browser sessions, and ending one or all of
 * them (reason {@code admin}, recorded in the user's stream with the admin as the actor).
 */
final class SessionResource {
  private final SessionService sessions;
  private final UserDirectory users;

  SessionResource(SessionService sessions, UserDirectory users) {
    this.sessions = sessions;
    this.users = users;
  }

  void list(RoutingContext ctx) {
    String userId = AdminRequest.path(ctx, "user_id");
    AdminRequest.respond(
        ctx,
        known(userId).compose(v -> sessions.list(userId)),
        200,
        (List<SessionService.Listed> live) -> {
          JsonArray items = new JsonArray();
          live.forEach(s -> items.add(json(s)));
          return new JsonObject().put("items", items);
        });
  }

  void endAll(RoutingContext ctx) {
    String userId = AdminRequest.path(ctx, "user_id");
    AdminRequest.respond(
        ctx,
        sessions.endAll(
            userId, SessionEndReason.ADMIN, Optional.empty(), AdminRequest.metadata(ctx)),
        200,
        n -> new JsonObject().put("user_id", userId).put("sessions_ended", n));
  }

  void end(RoutingContext ctx) {
    String userId = AdminRequest.path(ctx, "user_id");
    String sessionId = AdminRequest.path(ctx, "session_id");
    AdminRequest.respond(
        ctx,
        sessions.end(userId, sessionId, SessionEndReason.ADMIN, AdminRequest.metadata(ctx)),
        200,
        n ->
            new JsonObject()
                .put("user_id", userId)
                .put("session_id", sessionId)
                .put("ended", n > 0));
  }

  private Future<Void> known(String userId) {
    return users
        .findById(userId)
        .compose(
            found ->
                found.isPresent()
                    ? Future.<Void>succeededFuture()
                    : Future.failedFuture(
                        new CommandRejected(new DomainError.NotFound("user", userId))));
  }

  static JsonObject json(SessionService.Listed s) {
    JsonObject j =
        new JsonObject()
            .put("session_id", s.sessionId())
            .put("auth_time", s.authTime().toString())
            .put("expires_at", s.expiresAt().toString())
            .put("method", s.method());
    s.address().ifPresent(a -> j.put("address", a));
    s.userAgent().ifPresent(a -> j.put("user_agent", a));
    return j;
  }
}
