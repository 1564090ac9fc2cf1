package io.grantry.server.admin;

import io.grantry.eventstore.EventStore;
import io.grantry.eventstore.audit.LedgerProofs;
import io.grantry.server.audit.AuditLedger;
import io.grantry.server.clients.ClientDirectory;
import io.grantry.server.clients.ClientService;
import io.grantry.server.consents.ConsentService;
import io.grantry.server.http.RouteGroup;
import io.grantry.server.keys.KeyService;
import io.grantry.server.ops.ProjectionQueries;
import io.grantry.server.sessions.SessionService;
import io.grantry.server.throttle.ClientAuthThrottle;
import io.grantry.server.throttle.LoginThrottle;
import io.grantry.server.users.UserDirectory;
import io.grantry.server.users.UserService;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import io.vertx.ext.web.openapi.router.RequestExtractor;
import io.vertx.ext.web.openapi.router.RouterBuilder;
import io.vertx.openapi.contract.OpenAPIContract;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The admin API under {@code /admin}, written contract-first: {@value #CONTRACT} (OpenAPI 3.1) is
 * loaded at start, vertx-web-openapi-router builds the routes from it and validates every request
 * against it, and each operation id is bound to one handler here. A start fails if an operation of
 * the document has no handler, so the document and the code cannot drift apart.
 *
 * <p>Order per request: a request id, the admin token (before anything is read), the body (at most
 * {@value #MAX_BODY} bytes), the library's validation, the handler; failures go to {@link
 * AdminProblems}.
 *
 * <p>The document's {@code servers} entry has the path {@code /admin}, which is where the router's
 * paths are mounted; the copy served at {@code /admin/openapi.json} names this server's issuer.
 */
public final class AdminApi implements RouteGroup {
  public static final String CONTRACT = "openapi/admin.yaml";
  public static final String MOUNT = "/admin";
  static final int MAX_BODY = 64 * 1024;

  private final Router router;

  private AdminApi(Router router) {
    this.router = router;
  }

  /**
   * What the admin API works with; the services are over the caller's event store, which must carry
   * the inline projections.
   *
   * @param secretGrace how long a rotated-out client secret keeps working when the request does not
   *     say
   */
  public record Services(
      ClientService clientService,
      ClientDirectory clientDirectory,
      UserService userService,
      UserDirectory userDirectory,
      SessionService sessions,
      ConsentService consents,
      KeyService keys,
      EventStore store,
      AuditLedger audit,
      LedgerProofs proofs,
      ProjectionQueries projections,
      LoginThrottle loginThrottle,
      ClientAuthThrottle clientAuthThrottle,
      Duration secretGrace,
      Clock clock) {}

  /** Loads the contract and builds the admin routes. */
  public static Future<AdminApi> create(
      Vertx vertx, Services s, String issuer, Optional<String> adminToken) {
    return vertx
        .executeBlocking(AdminApi::contractFile)
        .compose(file -> OpenAPIContract.from(vertx, file.copy()).map(c -> Map.entry(file, c)))
        .map(
            loaded -> {
              OpenAPIContract contract = loaded.getValue();
              ClientResource clients =
                  new ClientResource(
                      s.clientService(), s.clientDirectory(), s.secretGrace(), s.clock());
              UserResource users = new UserResource(s.userService(), s.userDirectory());
              SessionResource sessions = new SessionResource(s.sessions(), s.userDirectory());
              KeyResource keys = new KeyResource(s.keys(), s.store(), s.clock());
              AccessResource access =
                  new AccessResource(s.consents(), s.userDirectory(), s.clientDirectory());
              AuditResource audit = new AuditResource(s.audit(), s.proofs(), s.clock());
              OpsResource ops = new OpsResource(s.projections());
              LockoutResource lockouts =
                  new LockoutResource(s.loginThrottle(), s.clientAuthThrottle());
              String document = served(loaded.getKey(), issuer).encode();

              Map<String, Handler<RoutingContext>> handlers =
                  Map.ofEntries(
                      Map.entry(
                          "getOpenApi",
                          ctx ->
                              ctx.response()
                                  .putHeader("Content-Type", "application/json")
                                  .end(document)),
                      Map.entry("createClient", clients::create),
                      Map.entry("listClients", clients::list),
                      Map.entry("showClient", clients::show),
                      Map.entry("updateClient", clients::update),
                      Map.entry("patchClient", clients::patch),
                      Map.entry("enableClient", clients::enable),
                      Map.entry("rotateClientSecret", clients::rotateSecret),
                      Map.entry("disableClient", clients::disable),
                      Map.entry("revokeClientGrants", access::revokeClientGrants),
                      Map.entry("createUser", users::create),
                      Map.entry("listUsers", users::list),
                      Map.entry("showUser", users::show),
                      Map.entry("setUserPassword", users::setPassword),
                      Map.entry("disableUser", users::disable),
                      Map.entry("enableUser", users::enable),
                      Map.entry("setUserEmailVerified", users::setEmailVerified),
                      Map.entry("listUserSessions", sessions::list),
                      Map.entry("endUserSessions", sessions::endAll),
                      Map.entry("endUserSession", sessions::end),
                      Map.entry("listUserConsents", access::listConsents),
                      Map.entry("revokeUserConsent", access::revokeConsent),
                      Map.entry("revokeUserGrants", access::revokeUserGrants),
                      Map.entry("listKeys", keys::list),
                      Map.entry("rotateKey", keys::rotate),
                      Map.entry("grantHistory", audit::grantHistory),
                      Map.entry("userHistory", audit::userHistory),
                      Map.entry("clientHistory", audit::clientHistory),
                      Map.entry("auditAsOf", audit::asOf),
                      Map.entry("inclusionProof", audit::inclusionProof),
                      Map.entry("consistencyProof", audit::consistencyProof),
                      Map.entry("listLockouts", lockouts::list),
                      Map.entry("listGrants", ops::listGrants),
                      Map.entry("showToken", ops::showToken),
                      Map.entry("getStats", ops::stats),
                      Map.entry("listProjections", ops::listProjections));

              RouterBuilder builder =
                  RouterBuilder.create(vertx, contract, RequestExtractor.withBodyHandler());
              builder.rootHandler(AdminRequest.ASSIGN_REQUEST_ID);
              builder.rootHandler(new AdminToken(adminToken.orElse(null)));
              BodyHandler bodies = BodyHandler.create(false).setBodyLimit(MAX_BODY);
              // A JSON merge patch (RFC 7396) is JSON; the validator knows only application/json.
              builder.rootHandler(
                  ctx -> {
                    String type = ctx.request().getHeader("Content-Type");
                    if (ctx.request().method() == HttpMethod.PATCH
                        && type != null
                        && type.toLowerCase(java.util.Locale.ROOT)
                            .startsWith("application/merge-patch+json")) {
                      ctx.request().headers().set("Content-Type", "application/json");
                    }
                    ctx.next();
                  });
              // The body handler refuses (IllegalStateException, a 500) a form content type on a
              // GET; no
              // GET, HEAD or OPTIONS operation has a body, so theirs is not read.
              builder.rootHandler(
                  ctx -> {
                    HttpMethod m = ctx.request().method();
                    if (m == HttpMethod.GET || m == HttpMethod.HEAD || m == HttpMethod.OPTIONS) {
                      ctx.next();
                    } else {
                      bodies.handle(ctx);
                    }
                  });
              for (OpenAPIRoute route : builder.getRoutes()) {
                String id = route.getOperation().getOperationId();
                Handler<RoutingContext> handler = handlers.get(id);
                if (handler == null) {
                  throw new IllegalStateException(
                      CONTRACT + " has the operation " + id + " that no handler serves");
                }
                // The admin token is checked by the root handler above, before the body is read.
                route.setDoSecurity(false).addHandler(handler);
              }
              if (builder.getRoutes().size() != handlers.size()) {
                throw new IllegalStateException(
                    "handlers are bound to operations that " + CONTRACT + " does not have");
              }
              AdminMethods methods = AdminMethods.of(builder.getRoutes());
              Router router = builder.createRouter();
              // Last: a path no operation has is 404, a method its path lacks 405 with Allow (the
              // sub-router would otherwise hand both to the parent's plain 404).
              router.route().handler(ctx -> ctx.put(AdminMethods.KEY, methods).fail(404));
              router
                  .route()
                  .failureHandler(
                      ctx -> {
                        ctx.put(AdminMethods.KEY, methods);
                        AdminProblems.handle(ctx);
                      });
              return new AdminApi(router);
            });
  }

  /**
   * The contract as written, read from the class path: a JSON object of the YAML document, every
   * {@code $ref} kept. The library's own copy ({@link OpenAPIContract#getRawContract}) is not
   * served: it is the resolved form, every {@code $ref} inlined and {@code __absolute_uri__} keys
   * added, which is no valid OpenAPI document. snakeyaml is the parser vertx-openapi reads the file
   * with; keys that YAML reads as numbers (the status codes of {@code responses}) become strings,
   * as JSON requires.
   */
  static JsonObject contractFile() throws IOException {
    try (InputStream in = AdminApi.class.getClassLoader().getResourceAsStream(CONTRACT)) {
      if (in == null) {
        throw new IOException(CONTRACT + " is not on the class path");
      }
      Object doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
      if (!(doc instanceof Map<?, ?> map)) {
        throw new IOException(CONTRACT + " is not a YAML mapping");
      }
      return new JsonObject(jsonMap(map));
    }
  }

  private static Map<String, Object> jsonMap(Map<?, ?> map) {
    Map<String, Object> out = new LinkedHashMap<>();
    map.forEach((k, v) -> out.put(String.valueOf(k), jsonValue(v)));
    return out;
  }

  private static Object jsonValue(Object v) {
    if (v instanceof Map<?, ?> m) {
      return new JsonObject(jsonMap(m));
    }
    if (v instanceof List<?> l) {
      JsonArray a = new JsonArray();
      l.forEach(x -> a.add(jsonValue(x)));
      return a;
    }
    if (v instanceof Date d) {
      return d.toInstant().toString();
    }
    return v;
  }

  /** The document as served: {@code servers} names this server's issuer. */
  static JsonObject served(JsonObject raw, String issuer) {
    return raw.copy()
        .put("servers", new JsonArray().add(new JsonObject().put("url", issuer + MOUNT)));
  }

  @Override
  public void mount(Router parent) {
    parent.route(MOUNT + "/*").subRouter(router);
  }
}
