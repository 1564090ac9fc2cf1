package io.grantry.server.admin;

import io.grantry.server.throttle.ClientAuthThrottle;
import io.grantry.server.throttle.FailureWindows;
import io.grantry.server.throttle.LoginThrottle;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Comparator;
import java.util.List;

/**
 * {@code GET /admin/lockouts}: the sign-in and client-authentication throttles' current state in
 * this process, so an operator can see who is being slowed down or refused and until when. Keys are
 * usernames, client ids and addresses; no secret is counted or shown.
 */
final class LockoutResource {
  private final LoginThrottle logins;
  private final ClientAuthThrottle clients;

  LockoutResource(LoginThrottle logins, ClientAuthThrottle clients) {
    this.logins = logins;
    this.clients = clients;
  }

  void list(RoutingContext ctx) {
    JsonArray items = new JsonArray();
    add(items, "login_username", "delay", logins.slowedAccounts());
    add(items, "login_address", "delay", logins.slowedAddresses());
    add(items, "client_id", "delay", clients.slowedClients());
    add(items, "client_assertion", "delay", clients.slowedAssertions());
    add(items, "client_address", "refuse", clients.refusedAddresses());
    ctx.response()
        .putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store")
        .end(new JsonObject().put("items", items).encode());
  }

  private static void add(
      JsonArray items, String kind, String effect, List<FailureWindows.Over> over) {
    over.stream()
        .sorted(Comparator.comparing(FailureWindows.Over::key))
        .forEach(
            o ->
                items.add(
                    new JsonObject()
                        .put("kind", kind)
                        .put("key", o.key())
                        .put("failures", o.failures())
                        .put("until", o.until().toString())
                        .put("effect", effect)));
  }
}
