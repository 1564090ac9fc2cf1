package io.grantry.server.tracing;

import io.grantry.eventstore.AppendTracing;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * A span per group commit of the ledger, {@code ledger append}: a child of the request whose append
 * came first in the batch, linked to the requests of the batch's other appends (one transaction
 * serves them all), with the number of appends ({@code grantry.ledger.appends}). The batch's
 * statements run on a context of their own where this span is current, so vertx-pg-client makes
 * their spans its children. A batch none of whose appends comes from a traced request (a background
 * job's) is written untraced, as it would be with tracing off.
 */
final class LedgerSpans implements AppendTracing {
  static final String NAME = "ledger append";

  private final Tracer tracer;

  LedgerSpans(OpenTelemetry telemetry) {
    this.tracer = telemetry.getTracer("io.grantry.ledger");
  }

  @Override
  public Object origin() {
    SpanContext current = Span.current().getSpanContext();
    return current.isValid() ? current : null;
  }

  @Override
  public Future<Void> batch(List<Object> origins, Supplier<Future<Void>> write) {
    List<SpanContext> from = new ArrayList<>();
    for (Object o : origins) {
      if (o instanceof SpanContext sc && !from.contains(sc)) {
        from.add(sc);
      }
    }
    ContextInternal store = ContextInternal.current();
    if (from.isEmpty() || store == null) {
      return write.get();
    }
    SpanBuilder builder =
        tracer
            .spanBuilder(NAME)
            .setSpanKind(SpanKind.INTERNAL)
            .setParent(Context.root().with(Span.wrap(from.get(0))))
            .setAttribute("grantry.ledger.appends", (long) origins.size());
    for (SpanContext other : from.subList(1, from.size())) {
      builder.addLink(other);
    }
    Span span = builder.startSpan();
    // A duplicate of the store's context: the span is current there (vertx-opentelemetry keeps
    // the current OpenTelemetry context in the Vert.x context's locals) and nowhere else.
    ContextInternal traced = store.duplicate();
    Promise<Void> done = Promise.promise();
    traced.runOnContext(
        v -> {
          Scope scope = Context.root().with(span).makeCurrent();
          Future<Void> written;
          try {
            written = write.get();
          } catch (RuntimeException e) {
            written = Future.failedFuture(e);
          }
          written.onComplete(
              ar -> {
                scope.close();
                if (ar.failed()) {
                  span.setStatus(StatusCode.ERROR);
                }
                span.end();
                done.handle(ar);
              });
        });
    return done.future();
  }
}
