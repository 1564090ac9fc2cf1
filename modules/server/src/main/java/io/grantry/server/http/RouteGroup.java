package io.grantry.server.http;

import io.vertx.ext.web.Router;

/**
 * A group of routes that belong together (health, discovery, authorize, token, consent, admin).
 * Every HTTP verticle mounts every group, because HTTP servers of several verticles on one port
 * share connections round-robin: any instance may receive any path.
 */
public interface RouteGroup {
  void mount(Router router);
}
