package io.grantry.server.http;

import io.grantry.server.config.EndpointProfile;
import io.grantry.server.config.EndpointSettings;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.PlatformHandler;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The paths of the protocol endpoints: Grantry's own (canonical) ones, always served, and those of
 * the endpoint path profiles configured in GRANTRY_ENDPOINT_ALIASES ({@link EndpointSettings}). A
 * route group mounts its handlers once per path through {@link #routes}: an aliased path is the
 * same handlers, not a copy, on a route named after the canonical path, so that the HTTP metrics
 * (whose {@code route} label is the route's name) count it under the canonical route, and {@link
 * #routeOf} names the canonical path in logs.
 */
public final class EndpointPaths {
  /** A protocol endpoint, its canonical path and the paths each profile gives it. */
  public enum Endpoint {
    AUTHORIZE("/authorize", "/connect/authorize", "/v1/authorize"),
    TOKEN("/token", "/connect/token", "/v1/token"),
    PAR("/par", "/connect/par", "/v1/par"),
    REVOCATION("/revoke", "/connect/revocation", "/v1/revoke"),
    INTROSPECTION("/introspect", "/connect/introspect", "/v1/introspect"),
    USERINFO("/userinfo", "/connect/userinfo", "/v1/userinfo"),
    JWKS("/jwks", "/.well-known/openid-configuration/jwks", "/v1/keys"),
    END_SESSION("/logout", "/connect/endsession", "/v1/logout"),
    DEVICE_AUTHORIZATION(
        "/device_authorization", "/connect/deviceauthorization", "/v1/device/authorize");

    private final String canonical;
    private final Map<EndpointProfile, String> aliases = new EnumMap<>(EndpointProfile.class);

    Endpoint(String canonical, String duende, String okta) {
      this.canonical = canonical;
      aliases.put(EndpointProfile.DUENDE, duende);
      aliases.put(EndpointProfile.OKTA, okta);
    }

    /** Grantry's own path. */
    public String canonical() {
      return canonical;
    }

    /** The path {@code profile} gives this endpoint. */
    public String path(EndpointProfile profile) {
      return aliases.get(profile);
    }
  }

  /** Where an aliased route leaves its canonical path for {@link #routeOf}. */
  private static final String CANONICAL_ROUTE = EndpointPaths.class.getName() + ".route";

  private final EndpointSettings settings;

  public EndpointPaths(EndpointSettings settings) {
    this.settings = settings;
  }

  /** Grantry's own paths only (no profile configured). */
  public static EndpointPaths canonicalOnly() {
    return new EndpointPaths(EndpointSettings.none());
  }

  /** Every path {@code endpoint} is served at: the canonical one first, then the aliases. */
  public List<String> paths(Endpoint endpoint) {
    List<String> out = new ArrayList<>();
    out.add(endpoint.canonical());
    for (EndpointProfile p : EndpointProfile.values()) {
      if (settings.aliases().contains(p)) {
        out.add(endpoint.path(p));
      }
    }
    return out;
  }

  /**
   * The path discovery advertises for {@code endpoint}: the primary profile's
   * (GRANTRY_ENDPOINT_PRIMARY), else the canonical one.
   */
  public String advertised(Endpoint endpoint) {
    return settings.primary().map(endpoint::path).orElse(endpoint.canonical());
  }

  /**
   * A route for {@code method} at each of {@link #paths}, for the caller to add the same handlers
   * to each. Each route is named after the canonical path; an aliased one first notes the canonical
   * path for {@link #routeOf}.
   */
  public List<Route> routes(Router router, HttpMethod method, Endpoint endpoint) {
    List<Route> out = new ArrayList<>();
    for (String path : paths(endpoint)) {
      Route route = router.route(method, path).setName(endpoint.canonical());
      if (!path.equals(endpoint.canonical())) {
        route.handler(new NoteCanonical(endpoint.canonical()));
      }
      out.add(route);
    }
    return out;
  }

  /**
   * Notes the canonical path of an aliased route. A platform handler because vertx-web runs those
   * first and lets a body handler follow them (it refuses one after a user handler).
   */
  private record NoteCanonical(String canonical) implements PlatformHandler {
    @Override
    public void handle(RoutingContext ctx) {
      ctx.put(CANONICAL_ROUTE, canonical);
      ctx.next();
    }
  }

  /**
   * The path to name in a log line about this request: the canonical path of the endpoint it was
   * routed to (an alias's included), else the request's own path.
   */
  public static String routeOf(RoutingContext ctx) {
    return Optional.ofNullable(canonicalRoute(ctx)).orElseGet(ctx::normalizedPath);
  }

  /** The canonical path an aliased route noted, else null. */
  public static String canonicalRoute(RoutingContext ctx) {
    return ctx.get(CANONICAL_ROUTE);
  }
}
