package io.grantry.server.tracing;

import io.grantry.eventstore.AppendTracing;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;

/**
 * Which tracing the ledger's stores get. Apart from {@link Tracing}, and free of OpenTelemetry's
 * types, because every HTTP verticle asks, tracing on or off: asking loads no OpenTelemetry class.
 */
public final class LedgerTracing {
  private LedgerTracing() {}

  /**
   * What traces the group commits of {@code vertx}'s stores: null (nothing) unless {@code vertx}
   * traces with a tracer of {@link Tracing}.
   */
  public static AppendTracing of(Vertx vertx) {
    if (!(vertx instanceof VertxInternal internal) || internal.tracer() == null) {
      return null;
    }
    return internal.tracer() instanceof RequestTracer tracer ? tracer.ledger() : null;
  }
}
