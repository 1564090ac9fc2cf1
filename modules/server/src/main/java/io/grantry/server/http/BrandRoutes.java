package io.grantry.server.http;

import io.grantry.server.pages.Look;
import io.grantry.server.pages.Pages;
import io.vertx.ext.web.Router;

/**
 * The operator's branding on every page: hands each request the {@link Look} its pages render under
 * (an error page of any route included), and serves the brand stylesheet, made once at start, at
 * {@link Look#STYLESHEET_PATH} when there is one. Mounted before every other route group.
 */
public final class BrandRoutes implements RouteGroup {
  private final Look look;

  public BrandRoutes(Look look) {
    this.look = look;
  }

  @Override
  public void mount(Router router) {
    router
        .route()
        .handler(
            ctx -> {
              Pages.use(ctx, look);
              ctx.next();
            });
    if (look.stylesheet() != null) {
      router
          .get(Look.STYLESHEET_PATH)
          .handler(
              ctx ->
                  ctx.response()
                      .putHeader("Content-Type", "text/css; charset=utf-8")
                      .putHeader("Cache-Control", "public, max-age=3600")
                      .putHeader("X-Content-Type-Options", "nosniff")
                      .end(look.stylesheet()));
    }
  }
}
