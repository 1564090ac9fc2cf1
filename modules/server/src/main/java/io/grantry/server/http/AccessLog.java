package io.grantry.server.http;

import io.vertx.ext.web.RoutingContext;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The access log (logger {@code grantry.access}, INFO): one line per answered request, for a share
 * of them (GRANTRY_ACCESS_LOG_SAMPLE), every 5xx included. It names the method, the path (never the
 * query string, which may carry codes, tokens or a login hint), the status, the time to answer and
 * the client's address; the line's request fields ({@link RequestLog}) add the request id, the
 * client and the route.
 */
final class AccessLog {
  private static final Logger log = LoggerFactory.getLogger("grantry.access");

  private final double sample;

  AccessLog(double sample) {
    this.sample = sample;
  }

  boolean on() {
    return sample > 0;
  }

  void handle(RoutingContext ctx) {
    long start = System.nanoTime();
    ctx.addEndHandler(
        ar -> {
          int status = ctx.response().getStatusCode();
          if (status < 500 && (sample < 1 && ThreadLocalRandom.current().nextDouble() >= sample)) {
            return;
          }
          log.info(
              "{} {} {} {} ms from {}",
              ctx.request().method(),
              abbreviated(ctx.request().path()),
              status,
              (System.nanoTime() - start) / 1_000_000,
              TrustedProxies.clientAddress(ctx));
        });
    ctx.next();
  }

  private static String abbreviated(String path) {
    return path.length() <= 200 ? path : path.substring(0, 200) + "...";
  }
}
