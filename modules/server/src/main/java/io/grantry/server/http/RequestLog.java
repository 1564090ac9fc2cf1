package io.grantry.server.http;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What a log line about a request names: its id, the client it names, and its route. The edge
 * leaves the request's {@link RoutingContext} in the data of the request's own (duplicated) Vert.x
 * context, which Vert.x carries through every callback and blocking task of the request, so a line
 * logged anywhere on the request's way finds it with {@link #fields()}; the logging configuration's
 * converter (text) and JSON provider add them. They read it while the line is written: the
 * appenders are synchronous, on the thread that logs (an asynchronous appender would read another
 * moment's context).
 *
 * <p>The client is the one the request names (HTTP Basic's user name, else a {@code client_id}
 * parameter), whether or not it authenticated; never a secret: the password part of Basic is not
 * read, and a value that does not look like a client id is left out.
 */
public final class RequestLog {
  private RequestLog() {}

  private static final Object KEY = new Object();
  private static final Object ROUTE = new Object();
  private static final Object TRACE = new Object();
  private static final String CLIENT = RequestLog.class.getName() + ".client";
  private static final Pattern CLIENT_ID = Pattern.compile("[\\x21-\\x7E]{1,128}");

  /** Called by the edge for every request, on the request's context. */
  static void attach(RoutingContext ctx) {
    Context c = Vertx.currentContext();
    if (c instanceof ContextInternal internal) {
      internal.localContextData().put(KEY, ctx);
    }
  }

  /**
   * Names the client a request is for when the request itself does not (the sign-in form carries it
   * in the signed pending request).
   */
  public static void nameClient(RoutingContext ctx, String clientId) {
    ctx.put(CLIENT, clientId);
  }

  /**
   * The request's route as the HTTP meters label it ({@code HttpServerMeters.routeLabel}), each
   * time vertx-web reports one, on the request's context: the route of a log line is then the
   * {@code route} label of the request's meters, a sub-router's route under its mount included (the
   * RoutingContext the edge saw knows only the mount).
   */
  public static void routed(String label) {
    Context c = Vertx.currentContext();
    if (label != null && c instanceof ContextInternal internal) {
      internal.localContextData().put(ROUTE, label);
    }
  }

  /**
   * The id of the trace a request belongs to when tracing is on (the tracer calls this on the
   * request's context as the request arrives), so that its log lines name their trace.
   */
  public static void traced(Context c, String traceId) {
    if (c instanceof ContextInternal internal) {
      internal.localContextData().put(TRACE, traceId);
    }
  }

  /**
   * The route vertx-web reported for the request of context {@code c} ({@link #routed(String)}), or
   * null when none matched (yet).
   */
  public static String routeLabel(Context c) {
    return c instanceof ContextInternal internal
            && internal.localContextData().get(ROUTE) instanceof String label
        ? label
        : null;
  }

  /**
   * request_id, trace_id (when traced), client_id and route of the request being handled on this
   * thread, if any.
   */
  public static Map<String, String> fields() {
    return fields(Vertx.currentContext());
  }

  /** The same of the request whose context is {@code c}. */
  public static Map<String, String> fields(Context c) {
    if (!(c instanceof ContextInternal internal)) {
      return Map.of();
    }
    if (!(internal.localContextData().get(KEY) instanceof RoutingContext ctx)) {
      return Map.of();
    }
    Map<String, String> out = new LinkedHashMap<>();
    String id = ctx.get("requestId");
    if (id != null) {
      out.put("request_id", id);
    }
    if (internal.localContextData().get(TRACE) instanceof String trace) {
      out.put("trace_id", trace);
    }
    String client = clientId(ctx);
    if (client != null) {
      out.put("client_id", client);
    }
    Object routed = internal.localContextData().get(ROUTE);
    out.put("route", routed instanceof String label ? label : route(ctx));
    return out;
  }

  /**
   * The route the request took, as a template ({@code /admin/clients/:client_id}): the canonical
   * path of an aliased endpoint, else the current route's path under its router's mount point, else
   * the request's path.
   */
  static String route(RoutingContext ctx) {
    String canonical = EndpointPaths.canonicalRoute(ctx);
    if (canonical != null) {
      return canonical;
    }
    Route current = ctx.currentRoute();
    String path = current == null ? null : current.getPath();
    if (path == null) {
      return ctx.normalizedPath();
    }
    String mount = ctx.mountPoint();
    if (mount == null || mount.isEmpty() || mount.equals("/")) {
      return path;
    }
    return (mount.endsWith("/") ? mount.substring(0, mount.length() - 1) : mount) + path;
  }

  private static String clientId(RoutingContext ctx) {
    String named = ctx.get(CLIENT);
    if (named != null) {
      return sane(named);
    }
    try {
      return claimedClientId(ctx);
    } catch (RuntimeException e) {
      return null; // a query string that does not decode, say: the line is still written
    }
  }

  private static String claimedClientId(RoutingContext ctx) {
    String auth = ctx.request().getHeader("Authorization");
    if (auth != null && auth.regionMatches(true, 0, "Basic ", 0, 6)) {
      try {
        String decoded =
            new String(
                Base64.getDecoder().decode(auth.substring(6).trim()), StandardCharsets.UTF_8);
        int colon = decoded.indexOf(':');
        if (colon > 0) {
          // RFC 6749 §2.3.1: the client id is form-urlencoded before Basic encoding.
          return sane(URLDecoder.decode(decoded.substring(0, colon), StandardCharsets.UTF_8));
        }
      } catch (IllegalArgumentException e) {
        return null;
      }
      return null;
    }
    // The query string only: a path parameter named client_id (the admin API's) is the client a
    // request is about, not the one that sends it.
    String param = ctx.queryParams().get("client_id");
    if (param == null && ctx.request().isEnded()) {
      param = ctx.request().getFormAttribute("client_id");
    }
    return sane(param);
  }

  private static String sane(String id) {
    return id != null && CLIENT_ID.matcher(id).matches() ? id : null;
  }
}
