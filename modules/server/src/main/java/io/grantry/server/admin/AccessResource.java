package io.grantry.server.admin;

import io.grantry.domain.DomainError;
import io.grantry.domain.grant.RevocationReason;
import io.grantry.server.app.CommandRejected;
import io.grantry.server.clients.ClientDirectory;
import io.grantry.server.consents.ConsentService;
import io.grantry.server.users.UserDirectory;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/**
 * What users allowed and the grants they hold: a user's consents ({@code GET
 * /admin/users/{id}/consents}), withdrawing one on the user's behalf ({@code DELETE
 * /admin/users/{id}/consents/{client_id}}), and revoking every grant of a client or of a user
 * ({@code POST .../revoke-grants}). Every event these append names {@code admin} as the actor.
 */
final class AccessResource {
  private final ConsentService consents;
  private final UserDirectory users;
  private final ClientDirectory clients;

  AccessResource(ConsentService consents, UserDirectory users, ClientDirectory clients) {
    this.consents = consents;
    this.users = users;
    this.clients = clients;
  }

  void listConsents(RoutingContext ctx) {
    String userId = AdminRequest.path(ctx, "user_id");
    AdminRequest.respond(
        ctx,
        existingUser(userId).compose(v -> consents.list(userId, true)),
        200,
        listed -> {
          JsonArray items = new JsonArray();
          for (ConsentService.Listed c : listed) {
            JsonObject j = new JsonObject().put("client_id", c.clientId());
            c.clientName().ifPresent(n -> j.put("client_name", n));
            j.put("scope", c.scopes()).put("granted_at", c.grantedAt().toString());
            c.revokedAt().ifPresent(t -> j.put("revoked_at", t.toString()));
            items.add(j);
          }
          return new JsonObject().put("items", items);
        });
  }

  void revokeConsent(RoutingContext ctx) {
    String userId = AdminRequest.path(ctx, "user_id");
    String clientId = AdminRequest.path(ctx, "client_id");
    AdminRequest.respond(
        ctx,
        existingUser(userId)
            .compose(v -> consents.withdraw(userId, clientId, AdminRequest.metadata(ctx))),
        200,
        done ->
            new JsonObject()
                .put("user_id", userId)
                .put("client_id", clientId)
                .put("consent_revoked", done.consentRevoked())
                .put("grants_revoked", done.grantsRevoked()));
  }

  void revokeClientGrants(RoutingContext ctx) {
    String clientId = AdminRequest.path(ctx, "client_id");
    AdminRequest.respond(
        ctx,
        clients
            .find(clientId)
            .compose(
                found ->
                    found.isEmpty()
                        ? Future.failedFuture(
                            new CommandRejected(new DomainError.NotFound("client", clientId)))
                        : consents
                            .grants()
                            .revokeClient(
                                clientId, RevocationReason.ADMIN, AdminRequest.metadata(ctx))),
        200,
        n -> new JsonObject().put("client_id", clientId).put("grants_revoked", n));
  }

  void revokeUserGrants(RoutingContext ctx) {
    String userId = AdminRequest.path(ctx, "user_id");
    AdminRequest.respond(
        ctx,
        existingUser(userId)
            .compose(
                v ->
                    consents
                        .grants()
                        .revokeUser(userId, RevocationReason.ADMIN, AdminRequest.metadata(ctx))),
        200,
        n -> new JsonObject().put("user_id", userId).put("grants_revoked", n));
  }

  private Future<Void> existingUser(String userId) {
    return users
        .findById(userId)
        .compose(
            found ->
                found.isEmpty()
                    ? Future.failedFuture(
                        new CommandRejected(new DomainError.NotFound("user", userId)))
                    : Future.succeededFuture());
  }
}
