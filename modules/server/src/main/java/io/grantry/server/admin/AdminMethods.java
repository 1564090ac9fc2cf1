package io.grantry.server.admin;

import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.openapi.router.OpenAPIRoute;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Which methods each path of the contract has, for the {@code Allow} header of a 405 (RFC 9110
 * §10.2.1): taken from the operations the router was built from, so it cannot drift from them.
 */
final class AdminMethods {
  static final String KEY = "grantry.admin.methods";

  private record PathMethods(Pattern path, String allow) {}

  private final List<PathMethods> paths;

  private AdminMethods(List<PathMethods> paths) {
    this.paths = paths;
  }

  static AdminMethods of(List<OpenAPIRoute> routes) {
    Map<String, TreeSet<String>> byPath = new LinkedHashMap<>();
    for (OpenAPIRoute route : routes) {
      byPath
          .computeIfAbsent(route.getOperation().getOpenAPIPath(), p -> new TreeSet<>())
          .add(route.getOperation().getHttpMethod().name());
    }
    List<PathMethods> out = new ArrayList<>();
    byPath.forEach(
        (template, methods) ->
            out.add(new PathMethods(pattern(template), String.join(", ", methods))));
    return new AdminMethods(out);
  }

  /** {@code /clients/{client_id}} matches one segment where the template has a parameter. */
  private static Pattern pattern(String template) {
    StringBuilder re = new StringBuilder();
    for (String part : template.split("(?=\\{)|(?<=\\})")) {
      re.append(part.startsWith("{") ? "[^/]+" : Pattern.quote(part));
    }
    return Pattern.compile(re.toString());
  }

  /** The methods of the request's path, as an {@code Allow} value, or null for no such path. */
  static String allowed(RoutingContext ctx) {
    AdminMethods methods = ctx.get(KEY);
    String path = ctx.normalizedPath();
    if (methods == null || path == null || !path.startsWith(AdminApi.MOUNT)) {
      return null;
    }
    String local = path.substring(AdminApi.MOUNT.length());
    for (PathMethods p : methods.paths) {
      if (p.path().matcher(local).matches()) {
        return p.allow();
      }
    }
    return null;
  }
}
